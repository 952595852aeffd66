"""Telegram faults during delivery: connection dropped mid-batch, TimedOut, a long outage.

The pipeline queues real alerts (the 2025-10-31 IWM/SPY and ^RUT/^GSPC flips, breadth and a
digest per chat); a Sender on a simulated clock drains them through the Bot API fake while
faults are injected. Afterwards every row must have arrived exactly once and in row order per
chat (the documented exception: a message Telegram accepted whose answer timed out).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.delivery.sender import Sender
from bot.services import Services
from jobs.daily import run_daily
from storage.chats import get_chat, update_settings, upsert_chat
from storage.outbox import counts
from storage.subscriptions import subscribe
from tests.fake_prices import FakeProvider
from tests.fakes.botapi import FakeBotApi
from tests.reliability.conftest import FLIP_DAY, NOW, TOKEN
from tests.reliability.delivery import SimClock, deliveries, on_send

MIN_PER_CHAT = 2  # one flip alert (IWM/SPY with its theme ^RUT/^GSPC) and a digest


def _subscribe_chats(services: Services, chats: list[int]) -> None:
    for chat_id in chats:
        upsert_chat(services.db, chat_id, "private", now=NOW)
        subscribe(services.db, chat_id, "smallcaps", "preset", now=NOW)
        chat = get_chat(services.db, chat_id)
        assert chat is not None
        update_settings(services.db, dataclasses.replace(chat, digest=True), now=NOW)


async def queue_flip_day(services: Services, chats: list[int]) -> int:
    """Subscribe ``chats`` and run the pipeline for FLIP_DAY without delivering."""
    _subscribe_chats(services, chats)
    provider = FakeProvider(services.settings.market_data_dir, asof=FLIP_DAY)
    result = await run_daily(
        services.db, provider, services.calendar, services.universe, FLIP_DAY, now=NOW
    )
    assert result.status == "done"
    assert result.queued >= MIN_PER_CHAT * len(chats)
    assert result.queued % len(chats) == 0
    return result.queued


def _bot(fake: FakeBotApi, *, read_timeout: float = 5.0) -> ExtBot:
    request = HTTPXRequest(read_timeout=read_timeout, connection_pool_size=8)
    return ExtBot(
        TOKEN,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=request,
        rate_limiter=AIORateLimiter(),  # type: ignore[arg-type]
    )


@pytest_asyncio.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[ExtBot]:
    async with _bot(fake) as client:
        yield client


def assert_exactly_once_in_order(services: Services, fake: FakeBotApi, chats: list[int]) -> None:
    got = deliveries(services.db, fake, chats)
    for chat, d in got.items():
        assert d.unknown == 0, (chat, d)
        assert set(d.copies.values()) == {1}, (chat, d.copies)
        assert d.in_order, (chat, d)
    total = sum(len(d.copies) for d in got.values())
    assert total >= MIN_PER_CHAT * len(chats)
    assert counts(services.db) == {"sent": total}


async def test_connection_dropped_mid_batch_then_back(services, fake, bot) -> None:
    chats = list(range(9001, 9007))
    await queue_flip_day(services, chats)
    clock = SimClock(NOW)
    on_send(fake, lambda n: fake.outage(True, "drop") if n == 5 else None)
    clock.at(NOW + dt.timedelta(seconds=40), lambda: fake.outage(False))
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    first = await sender.drain(wait=3600)
    assert first.retried > 0  # the drop was felt, not skipped
    assert_exactly_once_in_order(services, fake, chats)


async def test_timed_out_before_telegram_accepted_is_resent_once(services, fake) -> None:
    chats = list(range(9101, 9105))
    await queue_flip_day(services, chats)
    slow = {3, 8, 9}

    def script(n: int) -> None:
        fake.delay = 1.0 if n in slow else 0.0

    on_send(fake, script)
    clock = SimClock(NOW)
    async with _bot(fake, read_timeout=0.25) as bot:
        sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
        report = await sender.drain(wait=3600)
    assert report.retried == len(slow)
    assert_exactly_once_in_order(services, fake, chats)


async def test_timed_out_after_telegram_accepted_repeats_only_that_message(
    services, fake, report_figures
) -> None:
    """The documented in-doubt case: Telegram has the message, its answer never came."""
    chats = list(range(9201, 9205))
    await queue_flip_day(services, chats)
    doubtful = {2, 6}
    fake.delay_after_delivery = True

    def script(n: int) -> None:
        fake.delay = 1.0 if n in doubtful else 0.0

    on_send(fake, script)
    clock = SimClock(NOW)
    async with _bot(fake, read_timeout=0.25) as bot:
        sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
        await sender.drain(wait=3600)
    got = deliveries(services.db, fake, chats)
    repeats = sum(n - 1 for d in got.values() for n in d.copies.values())
    assert all(n >= 1 for d in got.values() for n in d.copies.values())
    assert repeats == len(doubtful)
    assert all(d.in_order and d.unknown == 0 for d in got.values())
    report_figures(f"TimedOut after acceptance: {repeats} repeat(s) of "
              f"{len(doubtful)} in-doubt message(s)")  # fmt: skip


async def run_outage(
    services: Services, fake: FakeBotApi, bot: ExtBot, chats: list[int], outage: dt.timedelta
) -> tuple[SimClock, int]:
    await queue_flip_day(services, chats)
    clock = SimClock(NOW)
    fake.outage(True, "502")
    clock.at(NOW + outage, lambda: fake.outage(False))
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    # The JobQueue drains every minute; each drain waits for rows due within the minute.
    failed = 0
    for _ in range(int(outage.total_seconds() // 60) + 30):
        started = clock.now()
        failed += (await sender.drain(wait=60)).retried
        await clock.sleep(60 - (clock.now() - started).total_seconds() % 60)
        if counts(services.db).get("pending", 0) == 0:
            break
    return clock, failed


async def test_long_outage_then_recovery_delivers_everything_once_in_order(
    services, fake, bot
) -> None:
    chats = list(range(9301, 9306))
    clock, failed = await run_outage(services, fake, bot, chats, dt.timedelta(minutes=20))
    assert clock.now() >= NOW + dt.timedelta(minutes=20)
    assert failed > 0
    assert_exactly_once_in_order(services, fake, chats)


@pytest.mark.slow
async def test_soak_six_hour_outage_and_flaky_network(services, fake, bot, report_figures) -> None:
    chats = list(range(9401, 9461))
    rng = random.Random(7)

    def flaky(n: int) -> None:
        fake.delay = 0.0
        if rng.random() < 0.1:
            fake.fail_next(1, "bad_gateway")

    on_send(fake, flaky)
    _clock, failed = await run_outage(services, fake, bot, chats, dt.timedelta(hours=6))
    assert_exactly_once_in_order(services, fake, chats)
    report_figures(f"6 h outage + flaky network: {counts(services.db)} messages "
              f"delivered once in order after {failed} failed calls")  # fmt: skip
