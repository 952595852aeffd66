"""Opening the SQLite database (WAL, busy timeout, foreign keys) and applying migrations."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import sqlite_utils

log = logging.getLogger(__name__)

#: The database handle every storage function takes (bot/ and jobs/ name it through here).
Database = sqlite_utils.Database

BUSY_TIMEOUT_MS = 10_000
_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(Exception):
    """The database cannot be opened or written (path, permissions, corruption)."""


#: The database and its WAL/SHM files hold chat ids, titles and usernames: owner only.
FILE_MODE = 0o600
_SIDE_FILES = ("-wal", "-shm", "-journal")


def stamp(moment: dt.datetime) -> str:
    """The one way storage writes a moment: UTC, to the second, ISO 8601
    ("2026-03-31T20:15:00+00:00"), so stored stamps compare as text."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def open_db(path: Path | str, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating it and its folder) the database at ``path`` and apply migrations.

    ``":memory:"`` gives an in-memory database. The file and its WAL/SHM are created 0600
    (an existing file readable by others is made private, with a warning). Raises StorageError
    with the path and the reason when the file cannot be created, read or written (read-only,
    not a database, corrupt).
    """
    if str(path) == ":memory:":
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    else:
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _private(target)
            conn = sqlite3.connect(
                target,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            _private(target)  # the WAL/SHM files SQLite just created
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open database {target}: {_reason(exc, target)}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        db = sqlite_utils.Database(conn)
        if migrate:
            apply_migrations(db)
            # A write probe: a read-only file fails here, at start, not at the first command.
            conn.execute(f"PRAGMA user_version={schema_version(db)}")
    except sqlite3.Error as exc:
        conn.close()
        raise StorageError(f"cannot use database {path}: {_reason(exc)}") from None
    return db


def payload_hash(body: str) -> bytes:
    """The key an outbox payload is stored once under: SHA-256 of its JSON text."""
    return hashlib.sha256(body.encode("utf-8")).digest()


def _private(target: Path) -> None:
    """Create ``target`` 0600 if missing; make it and its side files owner-only."""
    if not target.exists():
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    for file in (target, *(target.with_name(target.name + s) for s in _SIDE_FILES)):
        try:
            mode = file.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & 0o077:
            log.warning("%s was readable by others (%o); made private (600)", file, mode)
            file.chmod(FILE_MODE)


@dataclass(frozen=True)
class FileIdentity:
    """Which file a database path named when it was opened (device and inode)."""

    path: Path
    device: int
    inode: int


def file_identity(db: sqlite_utils.Database) -> FileIdentity | None:
    """The identity of the file behind ``db`` (None for an in-memory database)."""
    row = db.execute("PRAGMA database_list").fetchone()
    if row is None or not row[2]:
        return None
    path = Path(row[2])
    info = path.stat()
    return FileIdentity(path, info.st_dev, info.st_ino)


def check_identity(identity: FileIdentity | None) -> None:
    """Raise StorageError when the database file was removed or replaced since it was opened:
    writes would go to a file nobody will ever read again (lost at the next start)."""
    if identity is None:
        return
    try:
        info = identity.path.stat()
    except FileNotFoundError:
        raise StorageError(
            f"database {identity.path} was removed while the bot ran; stopping "
            "(writes would be lost). Restore it or start again to create a new one."
        ) from None
    if (info.st_dev, info.st_ino) != (identity.device, identity.inode):
        raise StorageError(
            f"database {identity.path} was replaced by another file while the bot ran; "
            "stopping (writes would go to the old one). Start again to use the new file."
        )


#: Messages of sqlite3 errors that mean the database itself is unusable (not a bug in a query).
_FATAL = ("readonly", "read-only", "disk i/o", "malformed", "not a database", "unable to open",
          "disk is full", "no such table")  # fmt: skip


def is_fatal(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be used any more (read-only, corrupt...)."""
    if isinstance(exc, StorageError):
        return True
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, sqlite3.IntegrityError):
        return False
    text = str(exc).lower()
    return any(marker in text for marker in _FATAL)


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error) on the database's connection.

    Connections are in autocommit mode (isolation_level=None): a single statement is atomic
    by itself, and every multi-statement write goes through this.

    Why IMMEDIATE: the bot and `rotation-bot daily` (cron) write the same file. A deferred
    BEGIN reads first and asks for the write lock at its first write; in WAL mode, when
    another process committed in between, that upgrade fails at once with "database is
    locked" (SQLITE_BUSY_SNAPSHOT: the busy timeout does not apply, waiting cannot help).
    BEGIN IMMEDIATE takes the write lock first, waits for it up to BUSY_TIMEOUT_MS, and
    every read inside then sees the latest commit: the read-then-write steps (a migration's
    version re-check, a chat migration, the daily pipeline's state and outbox) rely on it.
    """
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _reason(exc: BaseException, target: Path | None = None) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc) or exc.__class__.__name__
    lower = text.lower()
    if target is not None and _on_read_only_file_system(target):
        # SQLite says only "unable to open database file" when it cannot create the WAL/SHM
        return f"{text} (the file system holding it is read-only)"
    if "readonly" in lower or "read-only" in lower:
        return f"{text} (the file or its folder is read-only: check the permissions)"
    if "not a database" in lower or "malformed" in lower:
        return f"{text} (the file is damaged or not a SQLite database: restore a backup)"
    return text


def _on_read_only_file_system(target: Path) -> bool:
    try:
        return bool(os.statvfs(target.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in storage/migrations, in version order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise StorageError(f"duplicate migration versions: {versions}")
    return found


def schema_version(db: sqlite_utils.Database) -> int:
    """The highest migration applied (PRAGMA user_version)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(db: sqlite_utils.Database) -> list[int]:
    """Apply every migration newer than the database's user_version; return those applied.

    Each migration runs in its own transaction together with the version bump, so a crash
    leaves the database at the previous version, and applying twice changes nothing.
    """
    conn = db.conn
    applied: list[int] = []
    for version, name, sql in migrations():
        if version <= schema_version(db):
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check under the write lock: another process may have migrated meanwhile.
            if version <= schema_version(db):
                conn.execute("ROLLBACK")
                continue
            for statement in split_statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.debug("applied migration %s", name)
        applied.append(version)
    return applied


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (handles semicolons inside triggers)."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
