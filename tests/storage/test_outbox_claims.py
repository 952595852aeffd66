"""requeue_inflight: a row held by a live sender stays put; a dead sender's row goes back."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from storage.db import open_db
from storage.outbox import (
    NewMessage,
    claim,
    due_rows,
    enqueue,
    idem_key,
    next_due,
    requeue_inflight,
)

NOW = dt.datetime(2026, 3, 10, 21, 30, tzinfo=dt.UTC)


def _row(db: sqlite_utils.Database, chat_id: int) -> int:
    event = f"flip:flip:IWM/SPY:{chat_id}"
    message = NewMessage(idem_key(event, chat_id), event, chat_id, "flip",
                         dt.date(2026, 3, 10), True, {"pair": "IWM/SPY"}, NOW)  # fmt: skip
    enqueue(db.conn, [message], now=NOW)
    return int(db.execute("SELECT id FROM outbox WHERE chat_id = ?", [chat_id]).fetchone()[0])


def _status(db: sqlite_utils.Database, row_id: int) -> str:
    return str(db.execute("SELECT status FROM outbox WHERE id = ?", [row_id]).fetchone()[0])


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_live_senders_row_is_left_alone(db: sqlite_utils.Database) -> None:
    row = _row(db, 1)
    assert claim(db, row)
    assert requeue_inflight(db) == 0  # this process is alive and may be sending it
    assert _status(db, row) == "sending"


def test_a_dead_senders_row_goes_back_to_pending(db: sqlite_utils.Database) -> None:
    row = _row(db, 2)
    assert claim(db, row)
    db.conn.execute("UPDATE outbox SET claimed_by = ? WHERE id = ?", [_dead_pid(), row])
    assert requeue_inflight(db) == 1
    assert _status(db, row) == "pending"


def test_an_expired_claim_goes_back_even_if_the_pid_lives(db: sqlite_utils.Database) -> None:
    row = _row(db, 3)
    assert claim(db, row)
    db.conn.execute("UPDATE outbox SET claimed_at = '2020-01-01T00:00:00' WHERE id = ?", [row])
    assert requeue_inflight(db) == 1
    assert _status(db, row) == "pending"


def _plans(db: sqlite_utils.Database, read: Callable[[], object]) -> list[str]:
    """The query plan of each statement ``read`` runs, one line per statement."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    read()
    db.conn.set_trace_callback(None)
    statements = [s for s in seen if s.lstrip().upper().startswith(("SELECT", "UPDATE"))]
    return [
        " | ".join(str(row[3]) for row in db.conn.execute("EXPLAIN QUERY PLAN " + s))
        for s in statements
    ]


def test_due_rows_read_pending_rows_in_order_without_sorting_them_all(tmp_path: Path) -> None:
    """The due read walks outbox_pending in id order and stops at its limit (no temporary
    sort of every pending row, which stalled paid broadcasts)."""
    db = open_db(tmp_path / "bot.db")
    (plan,) = _plans(db, lambda: due_rows(db, dt.datetime(2026, 4, 1, tzinfo=dt.UTC), 5))
    assert "USING INDEX outbox_pending" in plan
    assert "TEMP B-TREE" not in plan


def test_the_reads_of_open_rows_use_the_indexes_of_open_rows(tmp_path: Path) -> None:
    """The next due time and the rows in flight are read from the indexes that hold only
    open rows (migration 0013), never by searching the outbox chat by chat."""
    db = open_db(tmp_path / "bot.db")
    (due,) = _plans(db, lambda: next_due(db))
    assert "USING INDEX outbox_due" in due
    plans = _plans(db, lambda: requeue_inflight(db))
    assert len(plans) == 2  # the holders read, then the requeue
    for plan in plans:
        assert "USING INDEX outbox_sending" in plan
