"""Operator commands: /status (data freshness and sources, stale symbols, disagreements
between sources, job runs, outbox, chats)."""

from __future__ import annotations

from bot.commands.registry import Command, Reply, Request, UserError
from bot.render.admin import StatusData, status_html
from storage.chats import chat_counts
from storage.jobruns import recent_runs
from storage.outbox import counts
from storage.prices import last_dates, latest_sources, recent_disagreements
from storage.stale_symbols import load_marks

MAX_JOBS = 8
MAX_DISAGREEMENTS = 10


def collect_status(request: Request) -> StatusData:
    """Read everything /status shows (short queries on the shared connection)."""
    services = request.services
    db = services.db
    symbols = list(services.universe.all_symbols())
    stored = last_dates(db, symbols)
    return StatusData(
        expected=max(stored.values()) if stored else None,
        freshness={s: stored.get(s) for s in symbols},
        jobs=recent_runs(db, MAX_JOBS),
        outbox=counts(db),
        chats=chat_counts(db),
        fetching=services.fetcher.pending(),
        sources=latest_sources(db, symbols),
        stale=load_marks(db),
        disagreements=recent_disagreements(db, MAX_DISAGREEMENTS),
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
