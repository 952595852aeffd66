"""Pruning: finished rows past the retention go, with the payloads nobody names any more;
rows still to deliver and each chat's last delivered alert stay."""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from storage.db import transaction
from storage.outbox import (
    NewMessage,
    enqueue,
    idem_key,
    last_sent,
    mark_dead,
    mark_sent,
    prune,
    rows_for,
)

NOW = dt.datetime(2026, 3, 20, 21, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=10)
SESSION = dt.date(2026, 3, 10)


def _queue(db: sqlite_utils.Database, key: str, chat_id: int, kind: str, at: dt.datetime) -> int:
    message = NewMessage(idem_key(key, chat_id), key, chat_id, kind, SESSION, kind == "flip",
                         {"key": key}, at)  # fmt: skip
    with transaction(db) as conn:
        enqueue(conn, [message], now=at)
    return rows_for(db, chat_id=chat_id)[-1].id


def _count(db: sqlite_utils.Database, table: str) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_prune_keeps_what_is_still_needed(db: sqlite_utils.Database) -> None:
    digest = _queue(db, "digest:old", 1, "digest", OLD)
    first = _queue(db, "flip:a", 1, "flip", OLD)
    last = _queue(db, "flip:b", 1, "flip", OLD)
    dead = _queue(db, "flip:c", 2, "flip", OLD)
    waiting = _queue(db, "digest:old", 3, "digest", OLD)  # same payload as chat 1's digest
    recent = _queue(db, "digest:new", 1, "digest", NOW)
    for row_id in (digest, first, last, recent):
        mark_sent(db, row_id, now=NOW, message_id=row_id)
    mark_dead(db, dead, "bad request: chat not found")

    pruned = prune(db, before=NOW - dt.timedelta(days=7), batch=1)

    assert {r.id for r in rows_for(db)} == {last, waiting, recent}
    assert pruned.rows == 3
    last_alert = last_sent(db, 1)
    assert last_alert is not None
    assert last_alert.id == last  # /why still explains it
    # payloads: flip:a and flip:c went with their rows; digest:old is still named by chat 3
    assert pruned.payloads == 2
    assert _count(db, "payloads") == 3
    assert prune(db, before=NOW - dt.timedelta(days=7)).rows == 0


def test_nothing_recent_is_pruned(db: sqlite_utils.Database) -> None:
    row = _queue(db, "digest:new", 1, "digest", NOW)
    mark_sent(db, row, now=NOW, message_id=1)
    assert prune(db, before=NOW - dt.timedelta(days=7)).rows == 0
    assert _count(db, "payloads") == 1
