"""kill -9 during a slow delivery, restart: every chat has its alert once (the in-flight one
at most twice). A real `python -m bot daily` process against the Bot API fake."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from storage.db import open_db
from storage.outbox import counts
from tests.reliability.conftest import add_subscriber
from tests.reliability.crash import env_for, start_daily
from tests.subscriptions.conftest import flip_messages

CHATS = (801, 802, 803, 804, 805)
ROOT = Path(__file__).resolve().parents[2]


def _prepare(path: Path) -> None:
    db = open_db(path)
    for chat_id in CHATS:
        add_subscriber(db, chat_id)
    db.conn.close()


@pytest.mark.timeout(120)
# The fake reads sendPhoto uploads through aiohttp's multipart parser and never closes the
# spooled temp file; the client killed mid-request makes that visible at garbage collection.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning"
)
async def test_sigkill_mid_batch_repeats_at_most_the_in_flight_message(
    tmp_path, fake_botapi, sample_dir
):
    fake = fake_botapi
    fake.know_chats(*CHATS)
    database = tmp_path / "crash.db"
    _prepare(database)
    env = env_for(fake, database, tmp_path)
    fake.delay = 2.0
    fake.delay_after_delivery = True  # delivered, but the answer is slow: a kill leaves doubt
    first = await start_daily(env)
    await fake.wait_for(lambda: len(fake.delivered) >= 2, timeout=60)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert first.returncode == -signal.SIGKILL
    before = len(fake.delivered)
    assert before < len(CHATS)

    fake.delay = 0.0
    second = await start_daily(env)
    _out, err = await asyncio.wait_for(second.communicate(), timeout=60)
    assert second.returncode == 0, err.decode()
    per_chat = {c: len(flip_messages(fake, c)) for c in CHATS}
    assert all(n >= 1 for n in per_chat.values()), per_chat
    assert sum(n - 1 for n in per_chat.values()) <= 1, per_chat
    db = open_db(database)
    assert counts(db) == {"sent": len(CHATS)}
    db.conn.close()
