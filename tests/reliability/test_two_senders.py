"""Two senders drain one outbox at the same moment: two `rotation-bot daily` processes on one
database, both past the pipeline and sending at once (the fake holds the first messages until
a send from each process waits). Every row reaches its chat exactly once."""

from __future__ import annotations

import asyncio
import sys

import pytest

from storage.db import open_db
from tests.fakes.botapi import FakeBotApi
from tests.reliability.conftest import FLIP_DAY, add_subscriber
from tests.reliability.crash import env_for
from tests.reliability.delivery import deliveries

CHATS = tuple(range(7001, 7013))

pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning"
)


async def _daily(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "daily", "--asof", FLIP_DAY.isoformat(),
        env=env, cwd=env["HOME"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.timeout(300)
async def test_two_daily_processes_deliver_every_row_exactly_once(
    fake: FakeBotApi, db_path, tmp_path
) -> None:
    db = open_db(db_path)
    for chat in CHATS:
        add_subscriber(db, chat, digest=True)
    db.conn.close()
    fake.know_chats(*CHATS)
    fake.hold_sends(until_in_flight=2)  # both processes are in their send loop at once
    env = env_for(fake, db_path, tmp_path)
    first, second = await asyncio.gather(_daily(env), _daily(env))
    results = await asyncio.wait_for(
        asyncio.gather(first.communicate(), second.communicate()), timeout=240
    )
    for proc, (_out, err) in zip((first, second), results, strict=True):
        assert proc.returncode == 0, err.decode()
    assert fake.held_sends_met  # a send from each process waited at the same moment

    db = open_db(db_path)
    try:
        statuses = dict(db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
        got = deliveries(db, fake, CHATS)
    finally:
        db.conn.close()
    assert set(statuses) == {"sent"}, statuses
    rows = sum(len(d.copies) for d in got.values())
    assert rows >= 2 * len(CHATS)  # a flip and a digest each
    for chat, delivered in got.items():
        assert delivered.unknown == 0, (chat, delivered)
        assert set(delivered.copies.values()) == {1}, (chat, delivered.copies)
