"""Store once, address many: outbox rows name their payload; each distinct payload is one row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from storage.db import migrations, open_db, schema_version, transaction
from storage.outbox import NewMessage, PayloadIds, enqueue, idem_key, rows_for

NOW = dt.datetime(2026, 3, 10, 21, 30, tzinfo=dt.UTC)
SESSION = dt.date(2026, 3, 10)
FLIP = {"pair": "IWM/SPY", "chart": {"dates": ["2026-03-09", "2026-03-10"], "ratio": [1.0, 1.1]}}


def _message(key: str, chat_id: int, payload: dict, kind: str = "flip") -> NewMessage:
    return NewMessage(idem_key(key, chat_id), key, chat_id, kind, SESSION, kind == "flip",
                      payload, NOW)  # fmt: skip


def _count(db, table: str) -> int:  # type: ignore[no-untyped-def]
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_a_flip_to_many_chats_is_stored_once(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db")
    rows = [_message("flip:smallcaps:2026-03-10", c, dict(FLIP)) for c in range(1, 201)]
    ids = PayloadIds()
    with transaction(db) as conn:
        assert enqueue(conn, rows[:100], now=NOW, payloads=ids) == 100
        assert enqueue(conn, rows[100:], now=NOW, payloads=ids) == 100
    assert _count(db, "outbox") == 200
    assert _count(db, "payloads") == 1  # 200 equal payloads (200 objects): one stored copy
    stored = rows_for(db, session=SESSION)
    assert {r.payload_id for r in stored} == {stored[0].payload_id}
    assert all(r.payload == FLIP for r in stored)


def test_different_payloads_stay_apart_and_a_rerun_adds_nothing(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db")
    digest_a = {"rows": ["IWM/SPY"]}
    digest_b = {"rows": ["KRE/SPY"]}
    rows = [_message("digest:2026-03-10", c, digest_a if c % 2 else digest_b, "digest")
            for c in range(1, 11)]  # fmt: skip
    with transaction(db) as conn:
        assert enqueue(conn, rows, now=NOW) == 10
    with transaction(db) as conn:
        assert enqueue(conn, rows, now=NOW) == 0
    assert _count(db, "payloads") == 2
    due = rows_for(db, session=SESSION)
    assert [r.chat_id for r in due] == list(range(1, 11))
    assert all(r.payload == (digest_a if r.chat_id % 2 else digest_b) for r in due)


def test_migration_moves_existing_rows_to_stored_payloads(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db", migrate=False)
    for version, _name, sql in migrations():
        if version < 10:
            db.conn.executescript(sql)
            db.conn.execute(f"PRAGMA user_version={version}")
    before = [
        (1, "flip:a@1", "flip:a", 1, "flip", json.dumps(FLIP), "sent"),
        (2, "flip:a@2", "flip:a", 2, "flip", json.dumps(FLIP), "pending"),
        (5, "digest:d@1", "digest:d", 1, "digest", json.dumps({"rows": []}), "pending"),
        (7, "flip:a@3", "flip:a", 3, "flip", json.dumps(FLIP), "dead"),
    ]
    for row in before:
        db.conn.execute(
            "INSERT INTO outbox (id, idem_key, event_key, chat_id, kind, session, payload, "
            "status, not_before, created_at) VALUES (?, ?, ?, ?, ?, '2026-03-10', ?, ?, "
            "'2026-03-10T21:30:00+00:00', '2026-03-10T21:30:00+00:00')",
            row,
        )
    db.conn.close()
    db = open_db(tmp_path / "x.db")
    assert schema_version(db) == migrations()[-1][0]
    assert _count(db, "payloads") == 2
    after = rows_for(db)
    assert [(r.id, r.idem_key, r.status) for r in after] == [(b[0], b[1], b[6]) for b in before]
    assert [r.payload for r in after] == [json.loads(b[5]) for b in before]
    assert len({r.payload_id for r in after if r.kind == "flip"}) == 1
    columns = {c.name for c in db["outbox"].columns}
    assert "payload" not in columns
    assert "payload_id" in columns
