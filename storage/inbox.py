"""Received updates, recorded before they are processed, so a crash cannot silently drop a
command Telegram already considers delivered.

Polling: the raw getUpdates answer is written here before python-telegram-bot sees it, i.e.
before the next poll acknowledges it (bot.app.builder.PollingRequest). Each update is claimed
('received' -> 'processing', with the process id) when its handling starts and marked 'done'
after. At start, 'received' rows are processed (they never started); 'processing' rows of a
process that is gone were cut off mid-way: they are not run again (a command may have written
already) and are counted in one log line. Telegram re-delivering an update we recorded is
recognised by its update_id and not processed twice. Webhook: the update is recorded when its
handling starts (the only loss window: between the HTTP answer and that moment). The table
is migration 0009.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from storage.db import stamp
from storage.outbox import _alive

#: Done rows are kept this long (enough to recognise a re-delivery), then deleted.
KEEP_DONE = dt.timedelta(days=2)


def record(db: sqlite_utils.Database, updates: Iterable[dict[str, Any]], now: dt.datetime) -> int:
    """Store raw updates (as Telegram sent them) not seen before; return how many were new."""
    rows = [(int(u["update_id"]), json.dumps(u), stamp(now)) for u in updates]
    if not rows:
        return 0
    before = db.conn.total_changes
    db.conn.executemany(
        "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)", rows
    )
    return db.conn.total_changes - before


def claim(
    db: sqlite_utils.Database, update_id: int, payload: dict[str, Any], now: dt.datetime
) -> bool:
    """Start handling an update: True once per update_id (recording it if it is new)."""
    db.conn.execute(
        "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
        [update_id, json.dumps(payload), stamp(now)],
    )
    cur = db.conn.execute(
        "UPDATE inbox SET state = 'processing', pid = ? WHERE update_id = ? AND state = 'received'",
        [os.getpid(), update_id],
    )
    return cur.rowcount == 1


def finish(db: sqlite_utils.Database, update_id: int) -> None:
    """The update was handled (answered, or failed and reported)."""
    db.conn.execute("UPDATE inbox SET state = 'done' WHERE update_id = ?", [update_id])


def prune(db: sqlite_utils.Database, now: dt.datetime) -> int:
    """Delete handled updates older than KEEP_DONE; return how many."""
    cur = db.conn.execute(
        "DELETE FROM inbox WHERE state = 'done' AND received_at < ?", [stamp(now - KEEP_DONE)]
    )
    return int(cur.rowcount)


def recover(db: sqlite_utils.Database, now: dt.datetime) -> tuple[list[dict[str, Any]], int]:
    """At start: the updates never started (to process now, oldest first), and how many were
    cut off mid-way by a process that is gone (closed as done, not run again)."""
    gone = [
        pid
        for (pid,) in db.execute(
            "SELECT DISTINCT pid FROM inbox WHERE state = 'processing' AND pid IS NOT NULL"
        )
        if not _alive(int(pid))
    ]
    cut = 0
    for pid in gone:
        cur = db.conn.execute(
            "UPDATE inbox SET state = 'done' WHERE state = 'processing' AND pid = ?", [pid]
        )
        cut += int(cur.rowcount)
    prune(db, now)
    waiting = [
        json.loads(payload)
        for (payload,) in db.execute(
            "SELECT payload FROM inbox WHERE state = 'received' ORDER BY update_id"
        )
    ]
    return waiting, cut
