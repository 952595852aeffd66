"""open_db: pragmas, migrations idempotent, unwritable paths reported with the path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storage.db import StorageError, apply_migrations, migrations, open_db, schema_version


def test_open_db_sets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    db = open_db(tmp_path / "sub" / "x.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert schema_version(db) == migrations()[-1][0]
    assert "prices" in db.table_names()


def test_migrations_applied_twice_change_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = open_db(path)
    before = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert apply_migrations(db) == []
    db.conn.close()
    again = open_db(path)
    after = again.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert before == after


def test_migration_versions_are_unique_and_increasing() -> None:
    versions = [v for v, _, _ in migrations()]
    assert versions == sorted(set(versions))
    assert versions[0] == 1


def test_a_file_in_place_of_the_folder_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="blocker"):
        open_db(blocker / "x.db")


def test_impossible_path_names_the_path() -> None:
    with pytest.raises(StorageError, match=re.escape("/proc/nonexistent/db.sqlite")):
        open_db("/proc/nonexistent/db.sqlite")


def test_a_directory_as_database_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=re.escape(str(tmp_path))):
        open_db(tmp_path)


def test_the_inbox_migration_keeps_a_table_the_bot_created_itself(tmp_path: Path) -> None:
    """Before migration 0009 the bot created the inbox from code: a database at version 8
    with that table and rows in it migrates to 0009 with its rows kept."""
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version, _, sql in migrations():
        if version > 8:
            break
        conn.executescript(sql)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS inbox (update_id INTEGER PRIMARY KEY, payload TEXT NOT NULL,"
        " received_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'received'"
        "  CHECK (state IN ('received', 'processing', 'done')), pid INTEGER)"
    )
    conn.execute("INSERT INTO inbox (update_id, payload, received_at) VALUES (7, '{}', 'x')")
    conn.execute("PRAGMA user_version=8")
    conn.commit()
    conn.close()
    db = open_db(path)
    assert schema_version(db) >= 9
    assert db.execute("SELECT update_id, state FROM inbox").fetchall() == [(7, "received")]


def test_a_new_database_has_the_inbox(tmp_path: Path) -> None:
    db = open_db(tmp_path / "new.db")
    assert "inbox" in db.table_names()
    assert db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 0


def test_storage_stamps_every_moment_in_utc_to_the_second(tmp_path: Path) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from storage.chats import upsert_chat
    from storage.db import stamp
    from storage.subscriptions import subscribe

    evening = dt.datetime(2026, 3, 31, 16, 15, 7, 250, tzinfo=ZoneInfo("America/New_York"))
    assert stamp(evening) == "2026-03-31T20:15:07+00:00"
    db = open_db(tmp_path / "x.db")
    upsert_chat(db, 5, "private", now=evening)
    subscribe(db, 5, "smallcaps", "preset", now=evening)
    assert db.execute("SELECT created_at FROM chats").fetchone()[0] == stamp(evening)
    assert db.execute("SELECT created_at FROM subscriptions").fetchone()[0] == stamp(evening)
