"""`rotation-bot daily` with the Bot API unreachable at the close: the session is computed and
its messages are committed first; the run exits non-zero with one line saying they are queued;
the next run, with Telegram back, delivers the flip once, as of its own session."""

from __future__ import annotations

import asyncio
import socket
import sys

import pytest

from storage.db import open_db
from storage.jobruns import last_done_session
from storage.outbox import counts
from tests.reliability.conftest import FLIP_DAY, TOKEN, add_subscriber
from tests.reliability.crash import env_for

CHATS = range(7001, 7004)


def _closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _daily(env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "daily", "--asof", FLIP_DAY.isoformat(),
        env=env, cwd=env["HOME"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=150)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _flips(fake, chat: int) -> list[str]:
    texts = [(c.text or c.caption or "") for c in fake.messages_to(chat)]
    return [t for t in texts if "Leadership flip" in t]


@pytest.mark.timeout(300)
async def test_daily_queues_the_session_when_telegram_is_down(fake, db_path, tmp_path):
    db = open_db(db_path)
    for chat in CHATS:
        add_subscriber(db, chat)
    db.conn.close()
    env = env_for(fake, db_path, tmp_path)
    down = dict(env, TELEGRAM_API_URL=f"http://127.0.0.1:{_closed_port()}/bot")

    code, out, err = await _daily(down)
    assert code == 1
    lines = [line for line in err.splitlines() if "Telegram unreachable" in line]
    assert len(lines) == 1, err
    assert "messages stay queued" in lines[0]
    assert "Traceback" not in err + out
    assert TOKEN.split(":", 1)[1] not in err + out
    db = open_db(db_path)
    assert last_done_session(db) == FLIP_DAY  # computed and committed without Telegram
    assert counts(db).get("pending", 0) >= len(CHATS)
    db.conn.close()
    assert fake.calls == []  # nothing reached the (running) fake

    code, out, err = await _daily(env)  # Telegram is back
    assert code == 0, err
    for chat in CHATS:
        flips = _flips(fake, chat)
        assert len(flips) == 1, flips  # once, not re-computed or re-queued
        assert f"as of {FLIP_DAY.isoformat()} close" in flips[0]
    db = open_db(db_path)
    assert counts(db).get("pending", 0) == 0
    db.conn.close()
