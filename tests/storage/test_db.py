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
