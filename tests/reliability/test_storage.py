"""Storage faults: the database and its WAL/SHM are private (0600); a database file removed or
replaced while the bot runs stops it with one clear line; a read-only or corrupt database
gives one clear line and exit 1, at start or at run time; updates received before a SIGKILL
are handled after the restart (or counted in one line when they were cut off mid-way), never
silently dropped and never handled twice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlite_utils

from bot.app.daily import job_db_watch
from storage.chats import get_chat
from storage.db import open_db
from tests.fakes.objects import make_user
from tests.reliability.conftest import FLIP_DAY, TOKEN, dump
from tests.reliability.crash import env_for

SECRET = TOKEN.split(":", 1)[1]

pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning"
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_and_wal_are_created_private_and_loose_ones_tightened(tmp_path):
    path = tmp_path / "data" / "bot.db"
    db = open_db(path)
    db.conn.execute("CREATE TABLE t (x)")
    db.conn.execute("INSERT INTO t VALUES (1)")
    for suffix in ("", "-wal", "-shm"):
        assert _mode(Path(f"{path}{suffix}")) == 0o600, suffix
    db.conn.close()
    path.chmod(0o644)
    open_db(path).conn.close()
    assert _mode(path) == 0o600


async def _spawn(args: list[str], env: dict[str, str]):
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=env["HOME"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def _lines(err: bytes) -> list[str]:
    return [line for line in err.decode().splitlines() if line.strip()]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("command", [["run"], ["daily", "--asof", FLIP_DAY.isoformat()]])
async def test_corrupt_database_at_start_is_one_line_exit_1(fake, tmp_path, command):
    db_path = tmp_path / "bot.db"
    db_path.write_bytes(b"this is not a database\n" * 200)
    db_path.chmod(0o600)
    proc = await _spawn(command, env_for(fake, db_path, tmp_path))
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 1, err.decode()
    lines = _lines(err)
    assert len(lines) == 1, lines
    assert "not a database" in lines[0]
    assert str(db_path) in lines[0]
    assert "Traceback" not in err.decode() + out.decode()


def _immutable(path: Path, on: bool) -> bool:
    """chattr +i: unwritable even for root, which ignores file modes. False where unsupported."""
    done = subprocess.run(
        ["chattr", "+i" if on else "-i", str(path)], check=False, capture_output=True
    )
    return done.returncode == 0


def _read_only_mount_works(folder: Path) -> bool:
    """Whether this root may mount ``folder`` read-only in a private mount namespace."""
    probe = subprocess.run(["unshare", "-m", "sh", "-c", _REMOUNT + 'test ! -w "$0"', str(folder)],
                           check=False, capture_output=True)  # fmt: skip
    return probe.returncode == 0


# in a private mount namespace, "$0" (a folder) becomes a read-only bind mount of itself
_REMOUNT = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && '


def _own_folder(tmp_path: Path) -> Path:
    """A folder holding only the database, so that nothing else becomes read-only with it."""
    folder = tmp_path / "db"
    folder.mkdir()
    return folder


def _unwritable(db_path: Path) -> tuple[list[str], Callable[[], object]]:
    """Make the database unwritable for the bot: the command prefix to run it with, and the undo.

    As a user, mode 0400 does it. Root ignores modes, so as root the file is made immutable
    (chattr +i) or, where the file system has no such flag, the bot runs in a private mount
    namespace where the database's folder is mounted read-only."""
    if os.geteuid() != 0:
        db_path.chmod(0o400)
        return [], lambda: db_path.chmod(0o600)
    if _immutable(db_path, True):
        return [], lambda: _immutable(db_path, False)
    folder = db_path.parent
    if not _read_only_mount_works(folder):
        pytest.skip("as root, with neither chattr +i nor a read-only mount namespace here")
    return ["unshare", "-m", "sh", "-c", _REMOUNT + 'shift; exec "$@"', str(folder), "--"], (
        lambda: None
    )


@pytest.mark.timeout(180)
async def test_read_only_database_at_start_is_one_line_exit_1(fake, db_path, tmp_path):
    db_path = db_path.rename(_own_folder(tmp_path) / db_path.name)
    prefix, undo = _unwritable(db_path)
    env = env_for(fake, db_path, tmp_path)
    try:
        proc = await asyncio.create_subprocess_exec(
            *prefix, sys.executable, "-m", "bot", "run", env=env, cwd=env["HOME"],
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    finally:
        undo()
    assert proc.returncode == 1, err.decode()
    lines = _lines(err)
    assert len(lines) == 1, lines
    assert "read-only" in lines[0]
    assert "Traceback" not in err.decode() + out.decode()


@pytest.mark.timeout(180)
async def test_database_removed_while_running_stops_with_one_line(fake, db_path, tmp_path):
    proc = await _spawn(["run"], env_for(fake, db_path, tmp_path))
    try:
        await fake.wait_for(lambda: fake.commands, timeout=60)
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{db_path}{suffix}")
        code = await asyncio.wait_for(proc.wait(), timeout=60)  # stops by itself
    finally:
        if proc.returncode is None:
            proc.kill()
    out, err = await proc.communicate()
    assert code == 1
    lines = _lines(err)
    assert len(lines) == 1, lines
    assert "was removed" in lines[0]
    assert "Traceback" not in err.decode() + out.decode()
    assert SECRET not in err.decode() + out.decode()


async def test_database_replaced_while_running_stops_taking_updates(app, services, fake, db_path):
    copy = db_path.with_name("other.db")
    shutil.copy(db_path, copy)
    os.replace(copy, db_path)  # the path now names another file
    app.job_queue.run_once(job_db_watch, 0)
    await fake.wait_for(lambda: services.fatal, timeout=30)
    assert "replaced" in services.fatal
    before = dump(services.db)
    user = make_user()
    await fake.send_command(None, user, "/subscribe")
    await asyncio.sleep(1.0)
    assert fake.messages_to(user.id) == []  # nothing handled, nothing written
    assert dump(services.db) == before


async def test_database_turning_read_only_at_run_time_stops_the_bot(app, services, fake, db_path):
    read_only = sqlite3.connect(
        f"file:{db_path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    services.db = sqlite_utils.Database(read_only)
    user = make_user()
    await fake.send_command(None, user, "/subscribe")
    await fake.wait_for(lambda: services.fatal, timeout=30)
    assert "readonly" in services.fatal
    assert get_chat(services.db, user.id) is None


@pytest.mark.timeout(240)
async def test_updates_received_before_a_sigkill_are_handled_after_restart(fake, db_path, tmp_path):
    env = env_for(fake, db_path, tmp_path)
    env["LOG_LEVEL"] = "INFO"
    proc = await _spawn(["run"], env)
    users = [make_user() for _ in range(24)]
    try:
        await fake.wait_for(lambda: fake.commands, timeout=60)
        fake.delay = 0.4  # answers are slow: most updates wait in the bot when it is killed
        for user in users:
            await fake.send_command(None, user, "/help")
        await fake.wait_for(lambda: fake.pending_updates == 0, timeout=30)  # all fetched
        await fake.wait_for(lambda: sum(bool(fake.messages_to(u.id)) for u in users) >= 2, 60)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
    answered_before = {u.id for u in users if fake.messages_to(u.id)}
    assert len(answered_before) < len(users)  # the kill came mid-burst
    fake.delay = 0.0
    again = await _spawn(["run"], env)
    try:

        def settled() -> bool:
            return sum(bool(fake.messages_to(u.id)) for u in users) >= len(users) - 8

        await fake.wait_for(settled, timeout=60)
        await asyncio.sleep(3.0)
    finally:
        again.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(again.communicate(), timeout=60)
    log = err.decode()
    match = re.search(r"(\d+) update\(s\) were being handled", log)
    cut = int(match.group(1)) if match else 0
    answered = [u.id for u in users if fake.messages_to(u.id)]
    assert all(len(fake.messages_to(u.id)) <= 1 for u in users)  # never handled twice
    # Every update is either answered or counted as cut off mid-way (at most the 8 handled at
    # once; one may have been answered just before the kill, so the sum may exceed the users).
    assert len(answered) + cut >= len(users), (len(answered), cut, log[-2000:])
    assert cut <= 8


async def test_handled_updates_are_forgotten_after_two_days(app, services, fake):
    from bot.app.daily import job_drain
    from storage import inbox

    user = make_user()
    await fake.send_command(None, user, "/help")
    await fake.wait_for_message(user.id, timeout=30)
    await fake.wait_for(
        lambda: services.db.execute("SELECT state FROM inbox").fetchall() == [("done",)], 30
    )
    services.db.conn.execute("UPDATE inbox SET received_at = '2000-01-01T00:00:00+00:00'")
    app.job_queue.run_once(job_drain, 0)
    await fake.wait_for(
        lambda: services.db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 0, timeout=30
    )
    assert inbox.KEEP_DONE.days == 2
