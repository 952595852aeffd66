"""Operator commands: /status (data freshness, job runs, outbox, chats)."""

from __future__ import annotations

import sqlite_utils

from bot.registry import Command, Reply, Request, UserError
from bot.render.admin import StatusData, status_html
from storage.prices import last_dates

MAX_JOBS = 8


def _table_counts(db: sqlite_utils.Database, table: str, columns: tuple[str, ...]) -> dict | None:
    """Row counts grouped by the first existing column of ``columns`` (None: no table)."""
    if not db[table].exists():
        return None
    present = set(db[table].columns_dict)
    column = next((c for c in columns if c in present), None)
    if column is None:
        total = db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]
        return {"total": int(total)}
    rows = db.execute(f"SELECT [{column}], COUNT(*) FROM [{table}] GROUP BY [{column}]").fetchall()
    return {f"{column}={value}": int(count) for value, count in rows}


def collect_status(request: Request) -> StatusData:
    """Read everything /status shows (short queries on the shared connection)."""
    services = request.services
    db = services.db
    symbols = list(services.universe.all_symbols())
    stored = last_dates(db, symbols)
    expected = max(stored.values()) if stored else None
    jobs = [
        dict(
            zip(
                ("job", "session", "started_at", "finished_at", "status", "detail"),
                row,
                strict=True,
            )
        )
        for row in db.execute(
            "SELECT job, session, started_at, finished_at, status, detail FROM job_runs "
            "ORDER BY id DESC LIMIT ?",
            [MAX_JOBS],
        ).fetchall()
    ]
    return StatusData(
        expected=expected,
        freshness={s: stored.get(s) for s in symbols},
        jobs=jobs,
        outbox=_table_counts(db, "outbox", ("status", "state")),
        chats=_table_counts(db, "chats", ("active", "status", "kind", "type")),
        fetching=services.fetcher.pending(),
    )


async def cmd_status(request: Request) -> Reply:
    """/status: operators only."""
    if request.args:
        raise UserError("/status takes no arguments.", "/status")
    return Reply(status_html(collect_status(request)))


COMMANDS: tuple[Command, ...] = (
    Command(
        "status",
        "Data freshness, job runs, outbox (operators)",
        "/status",
        cmd_status,
        operators_only=True,
    ),
)
