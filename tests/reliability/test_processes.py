"""Two real processes on one database: `rotation-bot run` polling the Bot API fake while
`rotation-bot daily` runs the pipeline. Users keep getting answers, nobody sees "database is
locked", neither process logs the token at DEBUG, and a world-readable .env is warned about."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from storage.db import open_db
from tests.fakes.objects import make_user
from tests.reliability.conftest import FLIP_DAY, OPERATOR, TOKEN, add_subscriber
from tests.reliability.crash import ROOT, env_for

SECRET = TOKEN.split(":", 1)[1]
COMMANDS = (
    "/rotation",
    "/ticker IWM",
    "/subscribe",
    "/settings quiet 22:00-07:00",
    "/alert IWM/SPY spread_1m > 3",
    "/alerts",
    "/subscriptions",
    "/pair IWM QQQ",
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning"
)


async def _spawn(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=env["HOME"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.timeout(180)
async def test_daily_in_a_second_process_while_run_polls(fake, db_path, tmp_path):
    db = open_db(db_path)
    for chat in range(6001, 6006):
        add_subscriber(db, chat, digest=True)
    db.conn.close()
    env = env_for(fake, db_path, tmp_path)
    secrets = {k: env.pop(k) for k in ("TELEGRAM_BOT_TOKEN",)}
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"TELEGRAM_BOT_TOKEN={secrets['TELEGRAM_BOT_TOKEN']}\nLOG_LEVEL=DEBUG\n")
    dotenv.chmod(0o644)
    env.pop("LOG_LEVEL")

    run = await _spawn(["run"], env)
    try:
        await fake.wait_for(lambda: fake.commands, timeout=60)  # setMyCommands at start-up
        users = [make_user() for _ in range(8)]
        daily = await _spawn(["daily", "--asof", FLIP_DAY.isoformat()], env)
        for round_ in range(3):
            for i, user in enumerate(users):
                await fake.send_command(None, user, COMMANDS[(i + round_) % len(COMMANDS)])
            await asyncio.sleep(0.2)
        out, err = await asyncio.wait_for(daily.communicate(), timeout=120)
        assert daily.returncode == 0, err.decode()
        for user in users:
            await fake.wait_for_message(user.id, count=3, timeout=60)
    finally:
        run.send_signal(signal.SIGTERM)
        run_out, run_err = await asyncio.wait_for(run.communicate(), timeout=60)
    logs = err.decode() + out.decode() + run_err.decode() + run_out.decode()
    assert "readable by other users" in run_err.decode()
    assert "database is locked" not in logs.lower()
    assert SECRET not in logs
    assert "DEBUG" in logs  # the level from .env took effect
    seen = " ".join((c.text or c.caption or "") for c in fake.calls)
    assert "locked" not in seen.lower()
    assert "went wrong" not in seen
    assert fake.messages_to(OPERATOR) == []
    assert all(c.ok for c in fake.calls if c.method in ("sendMessage", "sendPhoto"))
    for chat in range(6001, 6006):
        assert fake.messages_to(chat)  # the daily run's alerts went out


def test_env_file_is_private_is_not_warned(tmp_path):
    """The warning names the group/world-readable file only (0600 is quiet)."""
    import subprocess

    dotenv = tmp_path / ".env"
    dotenv.write_text("LOG_LEVEL=WARNING\nMARKET_DATA_SOURCE=csv\n")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
           "DATABASE_PATH": str(tmp_path / "x.db")}  # fmt: skip
    for mode, warned in ((0o600, False), (0o644, True)):
        dotenv.chmod(mode)
        done = subprocess.run(
            [sys.executable, "-m", "bot", "ask", "/help"], env=env, cwd=tmp_path,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert ("readable by other users" in done.stderr) is warned, done.stderr
