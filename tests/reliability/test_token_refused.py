"""A revoked token (Telegram answers 401) at start and during a run, through real processes:
`run` and `daily` end with one redacted line and exit 1 when the token is refused at start; a
running bot keeps polling through a revocation, says so once, and answers again when the token
works. The token's secret part appears in no stdout, stderr or log line at any level."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from storage.db import open_db
from tests.fakes.objects import make_user
from tests.reliability.conftest import FLIP_DAY, TOKEN, add_subscriber
from tests.reliability.crash import env_for

REVOKED = "123456789:AAHrevokedTokenOfTheReliabilitySuite_y"
REFUSED = "refused the bot token"

pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning"
)


async def _spawn(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=env["HOME"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def _secrets() -> tuple[str, ...]:
    return (TOKEN.split(":", 1)[1], REVOKED.split(":", 1)[1])


@pytest.mark.timeout(240)
@pytest.mark.parametrize("command", [["run"], ["daily", "--asof", FLIP_DAY.isoformat()]])
async def test_token_refused_at_start_is_one_redacted_line(fake, db_path, tmp_path, command):
    db = open_db(db_path)
    add_subscriber(db, 6101, digest=True)
    db.conn.close()
    for level in ("WARNING", "DEBUG"):
        env = env_for(fake, db_path, tmp_path)
        env["TELEGRAM_BOT_TOKEN"] = REVOKED
        env["LOG_LEVEL"] = level
        proc = await _spawn(command, env)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        text = out.decode() + err.decode()
        assert proc.returncode == 1, text
        for secret in _secrets():
            assert secret not in text
        assert "Traceback" not in text
        assert REFUSED in err.decode()
        if level == "WARNING":
            lines = [line for line in err.decode().splitlines() if line.strip()]
            assert len(lines) == 1, lines
            assert "SECURITY.md" in lines[0]


@pytest.mark.timeout(240)
async def test_token_revoked_while_running_then_restored(fake, db_path, tmp_path):
    env = env_for(fake, db_path, tmp_path)
    env["LOG_LEVEL"] = "DEBUG"
    log_file = tmp_path / "bot.log"
    run = await _spawn(["run"], env)
    try:
        await fake.wait_for(lambda: fake.commands, timeout=60)
        user = make_user()
        await fake.send_command(None, user, "/help")
        await fake.wait_for_message(user.id, timeout=30)
        fake.token = REVOKED  # every call from the bot is now refused (401)
        await fake.send_command(None, user, "/help")  # its answer is refused too
        await asyncio.sleep(6)  # polls fail meanwhile
        fake.token = TOKEN
        await fake.send_command(None, user, "/help")
        await fake.wait_for_message(user.id, count=2, timeout=60)  # polling came back by itself
    finally:
        run.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(run.communicate(), timeout=60)
    log_file.write_bytes(err)
    text = out.decode() + log_file.read_text()
    assert run.returncode == 0, text[-3000:]
    for secret in _secrets():
        assert secret not in text
    assert "Traceback" not in text
    refused = [line for line in text.splitlines() if REFUSED in line]
    assert len(refused) == 1, refused  # one operator-visible line, not one per failed poll


def test_uncaught_exception_is_one_redacted_line(tmp_path):
    """The last line of defence: whatever escapes every handler prints one line, no token."""
    import subprocess

    from tests.reliability.crash import ROOT

    code = (
        "import threading\n"
        "from bot.logs import install_excepthook, register_secret\n"
        "install_excepthook()\n"
        f"register_secret({REVOKED!r})\n"
        f"t = threading.Thread(target=lambda: 1 / 0); t.start(); t.join()\n"
        f"raise RuntimeError('request to https://api.telegram.org/bot{TOKEN}/getMe failed, '\n"
        f"                   'secret {REVOKED.split(':')[1]}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 2, lines  # the thread's error and the main one, a line each
    assert "ZeroDivisionError" in lines[0]
    assert "RuntimeError" in lines[1]
    for secret in _secrets():
        assert secret not in done.stderr
    assert "Traceback" not in done.stderr
