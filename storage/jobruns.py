"""Job runs and finished sessions: what the daily pipeline did, for /status and catch-up."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.db import stamp


@dataclass(frozen=True)
class JobRun:
    """One recorded run of a job (times are ISO strings as stored; ``status`` None: running)."""

    job: str
    session: str | None
    started_at: str
    finished_at: str | None
    status: str | None
    detail: str | None


def start_run(
    db: sqlite_utils.Database, job: str, session: dt.date | None, *, now: dt.datetime
) -> int:
    """Record a job run as 'running' and return its id."""
    cur = db.conn.execute(
        "INSERT INTO job_runs (job, session, started_at) VALUES (?, ?, ?)",
        [job, None if session is None else session.isoformat(), stamp(now)],
    )
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def finish_run(
    db: sqlite_utils.Database, run_id: int, status: str, detail: str, *, now: dt.datetime
) -> None:
    """Close a job run with its status ('ok', 'stale', 'skipped', 'error') and a detail line."""
    db.conn.execute(
        "UPDATE job_runs SET finished_at = ?, status = ?, detail = ? WHERE id = ?",
        [stamp(now), status, detail, run_id],
    )


def mark_session_done(
    conn: sqlite3.Connection,
    session: dt.date,
    universe_hash: str,
    *,
    events: int,
    queued: int,
    now: dt.datetime,
    waiting: Sequence[str] = (),
) -> None:
    """Record the session as processed (call inside the pipeline's transaction).

    ``waiting`` names pairs that could not be computed yet; running the session again (a
    retry) adds its events and queued messages to the row and replaces ``waiting``.
    """
    conn.execute(
        "INSERT INTO sessions_done (session, universe_hash, events, queued, done_at, waiting) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session, universe_hash) DO UPDATE SET "
        "events = events + excluded.events, queued = queued + excluded.queued, "
        "done_at = excluded.done_at, waiting = excluded.waiting",
        [session.isoformat(), universe_hash, events, queued, stamp(now),
         json.dumps(list(waiting))],
    )  # fmt: skip


def waiting_pairs(db: sqlite_utils.Database, session: dt.date) -> list[str] | None:
    """Pairs the finished ``session`` still waits for ([] when complete), None if not done."""
    row = db.execute(
        "SELECT waiting FROM sessions_done WHERE session = ? ORDER BY done_at DESC LIMIT 1",
        [session.isoformat()],
    ).fetchone()
    return None if row is None else [str(k) for k in json.loads(row[0])]


def last_done_session(db: sqlite_utils.Database) -> dt.date | None:
    """The newest session the pipeline finished (any universe)."""
    row = db.execute("SELECT MAX(session) FROM sessions_done").fetchone()
    return None if row is None or row[0] is None else dt.date.fromisoformat(row[0])


def recent_runs(db: sqlite_utils.Database, limit: int, job: str | None = None) -> list[JobRun]:
    """The ``limit`` latest runs (of ``job``, or of every job), newest first."""
    where = "" if job is None else "WHERE job = ? "
    rows = db.query(
        "SELECT job, session, started_at, finished_at, status, detail FROM job_runs "
        f"{where}ORDER BY id DESC LIMIT ?",
        [limit] if job is None else [job, limit],
    )
    return [JobRun(**row) for row in rows]
