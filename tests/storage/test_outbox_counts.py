"""/status's outbox counts: every status counted right, sent rows never read one by one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from storage.db import open_db
from storage.outbox import NewMessage, Status, counts, enqueue, idem_key

NOW = dt.datetime(2026, 3, 10, 21, 30, tzinfo=dt.UTC)


def test_counts_match_the_rows_in_every_status(tmp_path: Path) -> None:
    """Rows in each status (two of each, three sent), counted: the same as grouping the
    table. A status added later without an index of its own would be counted as sent here."""
    db = open_db(tmp_path / "bot.db")
    statuses = [s for s in Status for _ in range(3 if s is Status.SENT else 2)]
    messages = [
        NewMessage(idem_key("digest:2026-03-10", chat), "digest:2026-03-10", chat, "digest",
                   NOW.date(), False, {"n": 1}, NOW)
        for chat in range(len(statuses))
    ]  # fmt: skip
    enqueue(db.conn, messages, now=NOW)
    for chat, status in enumerate(statuses):
        db.conn.execute("UPDATE outbox SET status = ? WHERE chat_id = ?", [status.value, chat])
    grouped = dict(db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
    assert counts(db) == grouped == {s.value: 3 if s is Status.SENT else 2 for s in Status}


def test_counts_read_no_sent_row(tmp_path: Path) -> None:
    """Each status but 'sent' is counted from its own index and the whole table's count comes
    from an index: no statement walks the table's rows."""
    db = open_db(tmp_path / "bot.db")
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    assert counts(db) == {}
    db.conn.set_trace_callback(None)
    for statement in seen:
        plan = " | ".join(str(r[3]) for r in db.conn.execute("EXPLAIN QUERY PLAN " + statement))
        assert "INDEX" in plan, (statement, plan)
