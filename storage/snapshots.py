"""Stored analytics snapshots (JSON documents), one per session and universe version."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlite_utils


def save_snapshot(
    db: sqlite_utils.Database,
    session: dt.date,
    universe_hash: str,
    data: dict[str, Any],
    *,
    created_at: dt.datetime,
) -> None:
    """Store (or replace) the snapshot of ``session``; ``data`` must be JSON-serialisable."""
    db.conn.execute(
        "INSERT OR REPLACE INTO snapshots (session, universe_hash, data, created_at) "
        "VALUES (?, ?, ?, ?)",
        [session.isoformat(), universe_hash, json.dumps(data), created_at.isoformat()],
    )


def load_snapshot(
    db: sqlite_utils.Database, session: dt.date, universe_hash: str
) -> dict[str, Any] | None:
    """The stored snapshot of ``session`` for this universe, or None."""
    row = db.execute(
        "SELECT data FROM snapshots WHERE session = ? AND universe_hash = ?",
        [session.isoformat(), universe_hash],
    ).fetchone()
    return None if row is None else dict(json.loads(row[0]))
