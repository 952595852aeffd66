"""The alert_state table: rule state between sessions, one JSON value per state slot."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from typing import Any

import sqlite_utils


def load_state(db: sqlite_utils.Database) -> dict[str, Any]:
    """Every stored slot's state (JSON-decoded)."""
    rows = db.execute("SELECT slot, state FROM alert_state").fetchall()
    return {str(slot): json.loads(state) for slot, state in rows}


def save_state(conn: sqlite3.Connection, state: Mapping[str, Any], session: dt.date) -> None:
    """Write every slot of ``state`` (call inside the pipeline's transaction)."""
    conn.executemany(
        "INSERT INTO alert_state (slot, state, session) VALUES (?, ?, ?) "
        "ON CONFLICT (slot) DO UPDATE SET state = excluded.state, session = excluded.session",
        [(slot, json.dumps(value), session.isoformat()) for slot, value in state.items()],
    )
