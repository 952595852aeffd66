"""ALLOW_PAID_BROADCAST: several messages in flight, the flag on every send, and the same
delivery guarantees (every row once, in order per chat; failures mapped row by row)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from telegram.ext import ExtBot

from bot.app import PAID_BURST, PAID_RATE, rate_limiter
from bot.sender import PAID_PARALLEL, Sender
from bot.services import Services
from storage.chats import get_chat
from storage.outbox import counts, rows_for
from tests.fakes.botapi import FakeBotApi
from tests.reliability.conftest import NOW
from tests.reliability.delivery import SimClock, on_send
from tests.reliability.test_telegram_faults import (
    assert_exactly_once_in_order,
    queue_flip_day,
)
from tests.reliability.test_telegram_faults import bot as bot  # the ExtBot fixture


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


def test_paid_limiter_stays_under_1000_a_second() -> None:
    limiter = rate_limiter(paid=True)
    assert PAID_RATE + PAID_BURST < 1000
    assert limiter is not rate_limiter()
