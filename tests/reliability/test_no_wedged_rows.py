"""No wedged deliveries: whatever Telegram answers, no outbox row stays 'sending' and no chat's
messages stay stuck behind one. A burst of 401/404 answers pauses delivery (one log line) and
it resumes when the token works again; an unmapped error (409, 500) or a bug releases the row
with backoff; a 429 for one chat defers that chat only; a hung send is cut; a claim older than
the lease is taken back even while its process lives."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram.ext import ExtBot

from bot.delivery import sender as sender_module
from bot.delivery.sender import Sender
from storage.outbox import counts
from tests.fakes.botapi import FakeBotApi
from tests.reliability.conftest import NOW, TOKEN
from tests.reliability.delivery import SimClock, on_send
from tests.reliability.test_telegram_faults import (
    _bot,
    assert_exactly_once_in_order,
    queue_flip_day,
)

REFUSED = "refused the bot token"


@pytest_asyncio.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[ExtBot]:
    async with _bot(fake) as client:
        yield client


def _statuses(services) -> dict[str, int]:
    return counts(services.db)


@pytest.mark.parametrize("kind", ["unauthorized", "gone"])
async def test_burst_of_401_or_404_mid_broadcast_pauses_then_resumes(
    services,
    fake: FakeBotApi,
    bot,
    caplog,
    kind,
) -> None:
    chats = list(range(9501, 9531))
    await queue_flip_day(services, chats)
    clock = SimClock(NOW)
    # A 3-second burst of refusals in the middle of the broadcast (every call fails).
    on_send(fake, lambda n: fake.fail_next(40, kind) if n == 12 else None)
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    caplog.set_level(logging.WARNING, logger="bot.delivery.sender")
    report = await sender.drain(wait=0)
    assert report.token_refused
    assert "sending" not in _statuses(services)  # nothing wedged while paused
    assert _statuses(services).get("dead", 0) == 0  # refusals are not the messages' fault
    while _statuses(services).get("pending"):
        await sender.drain(wait=3600)
    assert_exactly_once_in_order(services, fake, chats)
    refused = [r for r in caplog.records if REFUSED in r.getMessage()]
    assert len(refused) == 1, [r.getMessage() for r in refused]
    assert any("delivery resumed" in r.getMessage() for r in caplog.records)


async def test_token_revoked_mid_drain_then_restored(services, fake, bot) -> None:
    chats = list(range(9551, 9561))
    await queue_flip_day(services, chats)
    clock = SimClock(NOW)

    def revoke(n: int) -> None:
        if n == 7:
            fake.token = "123456789:AAHsomeOtherTokenAfterTheRevocation_x"

    on_send(fake, revoke)
    clock.at(NOW + dt.timedelta(minutes=10), lambda: setattr(fake, "token", TOKEN))
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    first = await sender.drain(wait=60)
    assert first.token_refused
    assert "sending" not in _statuses(services)
    assert _statuses(services).get("pending")
    while _statuses(services).get("pending"):
        await sender.drain(wait=3600)
    assert not sender.token_refused
    assert_exactly_once_in_order(services, fake, chats)


@pytest.mark.parametrize("kind", ["conflict", "server_error"])
async def test_unmapped_errors_release_the_row_with_backoff(
    services,
    fake,
    bot,
    kind,
) -> None:
    chats = list(range(9601, 9605))
    await queue_flip_day(services, chats)
    fake.fail_next(2, kind)
    clock = SimClock(NOW)
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    first = await sender.drain(wait=0)
    assert first.retried >= 1
    assert "sending" not in _statuses(services)
    await sender.drain(wait=3600)
    assert_exactly_once_in_order(services, fake, chats)


async def test_flood_for_one_chat_defers_that_chat_not_the_drain(
    services,
    fake,
    bot,
) -> None:
    chats = list(range(9651, 9656))
    await queue_flip_day(services, chats)
    flooded = chats[0]
    fake.fail_chat(flooded, "flood", times=1, retry_after=600)
    clock = SimClock(NOW)
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    report = await sender.drain(wait=0)
    assert clock.slept < 600  # nobody slept the flood wait holding the drain
    assert fake.messages_to(flooded) == []
    for chat in chats[1:]:
        assert fake.messages_to(chat)  # every other chat got all of its messages
    assert report.retried == 1
    await sender.drain(wait=3600)
    assert clock.now() >= NOW + dt.timedelta(seconds=600)
    assert_exactly_once_in_order(services, fake, chats)


async def test_a_bug_or_a_hung_send_releases_the_row(
    services,
    fake,
    bot,
    monkeypatch,
) -> None:
    chats = list(range(9701, 9704))
    await queue_flip_day(services, chats)
    clock = SimClock(NOW)
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    real_send = sender._send
    calls = 0

    async def flaky(chat_id, row):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a rendering bug")
        if calls == 2:
            fake.delay = 5.0  # hangs past the send timeout
        else:
            fake.delay = 0.0
        return await real_send(chat_id, row)

    monkeypatch.setattr(sender, "_send", flaky)
    monkeypatch.setattr(sender_module, "SEND_TIMEOUT_SECONDS", 0.3)
    first = await sender.drain(wait=0)
    assert first.retried >= 1
    assert "sending" not in _statuses(services)
    await sender.drain(wait=3600)
    got = {c: len(fake.messages_to(c)) for c in chats}
    assert all(got.values()), got
    assert _statuses(services) == {"sent": sum(1 for _ in services.db.execute(
        "SELECT id FROM outbox"))}  # fmt: skip


async def test_a_claim_past_the_lease_is_taken_back_while_its_process_lives(
    services,
    fake,
    bot,
) -> None:
    chats = [9751]
    await queue_flip_day(services, chats)
    services.db.conn.execute(
        "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = "
        "strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 hour') WHERE id = (SELECT MIN(id) FROM outbox)",
        [os.getpid()],
    )
    clock = SimClock(NOW)
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    await sender.drain(wait=3600)
    assert_exactly_once_in_order(services, fake, chats)
