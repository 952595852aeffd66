"""ALLOW_PAID_BROADCAST: several messages in flight, the flag on every send, and the same
delivery guarantees (every row once, in order per chat; failures mapped row by row)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from telegram.ext import ExtBot

from bot.delivery.http import BotRequest
from bot.delivery.limits import OVERALL_BURST, OVERALL_RATE, PAID_BURST, PAID_RATE, rate_limiter
from bot.delivery.sender import PAID_PARALLEL, Sender
from bot.services import Services
from storage.chats import get_chat
from storage.outbox import counts, rows_for
from tests.fakes.botapi import FakeBotApi
from tests.reliability.conftest import NOW, TOKEN
from tests.reliability.delivery import SimClock, on_send
from tests.reliability.test_telegram_faults import (
    assert_exactly_once_in_order,
    queue_flip_day,
)


@pytest_asyncio.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[ExtBot]:
    """An ExtBot on ``fake`` with the bot's own HTTP layer and send limits."""
    request = BotRequest(read_timeout=5.0)
    client = ExtBot(TOKEN, base_url=fake.base_url, request=request, rate_limiter=rate_limiter())
    async with client:
        yield client


def paid(services: Services) -> Services:
    services.settings = dataclasses.replace(services.settings, allow_paid_broadcast=True)
    return services


def sends(fake: FakeBotApi) -> list:
    return [c for c in fake.calls if c.method in ("sendMessage", "sendPhoto")]


async def test_paid_broadcast_sends_in_parallel_with_the_flag(
    services: Services, fake: FakeBotApi, bot: ExtBot
) -> None:
    chats = list(range(9501, 9521))
    await queue_flip_day(paid(services), chats)
    sender = Sender(bot, services, charts=False)
    assert sender.parallel == PAID_PARALLEL > 1
    report = await sender.drain()
    assert report.dead == 0
    assert_exactly_once_in_order(services, fake, chats)
    assert sends(fake)
    assert all(str(c.params.get("allow_paid_broadcast")).lower() == "true" for c in sends(fake))


async def test_free_sends_carry_no_paid_flag(
    services: Services, fake: FakeBotApi, bot: ExtBot
) -> None:
    chats = [9601, 9602]
    await queue_flip_day(services, chats)
    sender = Sender(bot, services, charts=False)
    assert sender.parallel == 1
    await sender.drain()
    assert_exactly_once_in_order(services, fake, chats)
    assert all("allow_paid_broadcast" not in c.params for c in sends(fake))


async def test_paid_batch_maps_failures_row_by_row(
    services: Services, fake: FakeBotApi, bot: ExtBot
) -> None:
    chats = list(range(9701, 9711))
    await queue_flip_day(paid(services), chats)
    fake.fail_chat(9703, "forbidden")
    fake.fail_chat(9707, "flood", times=1, retry_after=30)
    clock = SimClock(NOW)
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    await sender.drain(wait=3600)
    blocked = get_chat(services.db, 9703)
    assert blocked is not None
    assert not blocked.active  # deactivated, its rows dead or skipped
    fine = [c for c in chats if c != 9703]
    delivered = {c: len(fake.messages_to(c)) for c in fine}
    queued = len(rows_for(services.db, chat_id=9701))
    assert queued >= 2  # the flip day's alerts and digest
    assert set(delivered.values()) == {queued}  # every row of every other chat arrived
    assert counts(services.db).get("sending", 0) == 0
    assert len(fake.messages_to(9707)) == delivered[9701]  # flood: deferred, then sent


async def test_paid_broadcast_survives_a_dropped_connection(
    services: Services, fake: FakeBotApi, bot: ExtBot
) -> None:
    chats = list(range(9801, 9809))
    await queue_flip_day(paid(services), chats)
    clock = SimClock(NOW)
    on_send(fake, lambda n: fake.outage(True, "drop") if n == 7 else None)
    clock.at(NOW + dt.timedelta(seconds=40), lambda: fake.outage(False))
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    report = await sender.drain(wait=3600)
    assert report.retried > 0
    assert_exactly_once_in_order(services, fake, chats)


def most_in_one_second(times: list[float]) -> int:
    """The most calls that started within any one second."""
    times = sorted(times)
    most, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def limited_calls(requests: list[dict[str, Any]]) -> dict[bool, list[float]]:
    """Run one call per request data through the bot's limiter, all at once; when each call
    started, by whether it carried the paid flag."""
    limiter = rate_limiter()
    started: dict[bool, list[float]] = {True: [], False: []}

    async def call(data: dict[str, Any]) -> None:
        started[bool(data.get("allow_paid_broadcast"))].append(time.monotonic())

    async def one(data: dict[str, Any]) -> None:
        await limiter.process_request(call, (data,), {}, "sendMessage", data, None)

    await limiter.initialize()
    await asyncio.gather(*(one(d) for d in requests))
    await limiter.shutdown()
    return started


async def test_paid_sends_stay_under_1000_in_any_second() -> None:
    """Telegram allows 1000 paid messages a second; PTB's own paid bucket holds a whole
    second's worth and lets ~1400 of these through within the first second."""
    assert PAID_RATE + PAID_BURST + OVERALL_RATE + OVERALL_BURST <= 1000
    started = await limited_calls(
        [{"chat_id": 10_000 + i, "allow_paid_broadcast": True} for i in range(1400)]
    )
    assert len(started[True]) == 1400
    assert most_in_one_second(started[True]) <= PAID_RATE + PAID_BURST


async def test_replies_keep_the_free_limit_during_a_paid_broadcast() -> None:
    """Only messages with the paid flag use the paid rate: a reply sent meanwhile still
    counts against Telegram's free 30 a second, and does not hold the broadcast up."""
    paid = [{"chat_id": 20_000 + i, "allow_paid_broadcast": True} for i in range(300)]
    free = [{"chat_id": 30_000 + i} for i in range(45)]
    started = await limited_calls(free[:20] + paid + free[20:])
    assert len(started[True]) == 300
    assert len(started[False]) == 45
    assert most_in_one_second(started[False]) <= OVERALL_RATE + OVERALL_BURST
    # The 45 free sends take over a second and a half at 28 a second; the paid ones do not
    # wait for them.
    assert max(started[True]) < max(started[False])
