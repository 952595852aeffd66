"""Quiet hours and forum topics, from the pipeline to what Telegram receives.

A session computed while a chat's quiet hours run (the bot restarted in the night, so the
missed session runs then) sends its flip at once but silently (``disable_notification``),
while the day's message waits for the end of quiet hours, taken in the chat's own zone on
the night its clocks change: fall back (07:00 comes an hour later in UTC than the day
before) and spring forward (a 02:30 end that does not exist ends quiet hours at the jump).
A chat that set a forum topic receives everything in that topic, with sound.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram.ext import ExtBot

from bot.delivery.http import BotRequest
from bot.delivery.sender import Sender
from jobs.daily import run_daily
from storage.chats import get_chat, update_settings, upsert_chat
from storage.subscriptions import subscribe
from tests.fake_prices import FakeProvider
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import supergroup_chat
from tests.reliability.conftest import FLIP_DAY, TOKEN
from tests.reliability.delivery import SimClock

QUIET = 1001
FORUM = -1_001_000_000_077
TOPIC = 77
UTC = dt.UTC


@pytest_asyncio.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[ExtBot]:
    """A bot on the fake through the bot's own HTTP layer."""
    client = ExtBot(TOKEN, base_url=fake.base_url, request=BotRequest(read_timeout=60.0))
    async with client:
        yield client


def _follow(services, chat_id: int, kind: str, **settings) -> None:
    now = dt.datetime(2025, 10, 1, tzinfo=UTC)
    upsert_chat(services.db, chat_id, kind, now=now)
    subscribe(services.db, chat_id, "IWM/SPY", "pair", now=now)
    chat = get_chat(services.db, chat_id)
    assert chat is not None
    update_settings(services.db, dataclasses.replace(chat, digest=True, **settings), now=now)


async def _queue(services, session: dt.date, now: dt.datetime) -> None:
    provider = FakeProvider(services.settings.market_data_dir, asof=session)
    result = await run_daily(
        services.db, provider, services.calendar, services.universe, session, now=now
    )
    assert result.status == "done"


def _to(fake: FakeBotApi, chat_id: int) -> list:
    return fake.messages_to(chat_id)


@pytest.mark.parametrize(
    ("session", "started", "quiet", "ends", "flips"),
    [
        # fall back, New York, 2025-11-02: 01:30 EDT; quiet until 07:00, which is EST (UTC-5)
        (FLIP_DAY, dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC), ("01:00", "07:00"),
         dt.datetime(2025, 11, 2, 12, 0, tzinfo=UTC), True),
        # spring forward, New York, 2026-03-08: 01:30 EST; 02:30 never comes, the jump to
        # 03:00 EDT (07:00 UTC) ends quiet hours (no pair flipped on that session)
        (dt.date(2026, 3, 6), dt.datetime(2026, 3, 8, 6, 30, tzinfo=UTC), ("01:00", "02:30"),
         dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC), False),
    ],
    ids=["fall-back", "spring-forward"],
)  # fmt: skip
async def test_quiet_hours_across_a_dst_change_and_a_forum_topic(
    services, fake: FakeBotApi, bot: ExtBot, session, started, quiet, ends, flips
) -> None:
    _follow(services, QUIET, "private", timezone="America/New_York",
            quiet_start=quiet[0], quiet_end=quiet[1])  # fmt: skip
    _follow(services, FORUM, "supergroup", thread_id=TOPIC)
    fake.know_chats(QUIET)
    fake.add_chat(supergroup_chat(FORUM, "Forum", is_forum=True))
    await _queue(services, session, started)

    clock = SimClock(started)
    sender = Sender(bot, services, clock=clock.now, sleep=clock.sleep, charts=False)
    await sender.drain(wait=0)
    night = _to(fake, QUIET)
    assert bool(night) is flips, "only the urgent flip goes out during quiet hours"
    assert all(m.disable_notification is True for m in night), [
        (m.body, m.disable_notification) for m in night
    ]
    held = len(night)

    forum = _to(fake, FORUM)
    assert len(forum) == len(night) + 1  # the same flip and the day's message, nothing held
    assert all(m.message_thread_id == TOPIC for m in forum)
    assert all(not m.disable_notification for m in forum)

    clock.now_ = ends - dt.timedelta(seconds=1)
    await sender.drain(wait=0)
    assert len(_to(fake, QUIET)) == held, "the day's message went out inside quiet hours"

    clock.now_ = ends
    await sender.drain(wait=0)
    morning = _to(fake, QUIET)[held:]
    assert morning, "the day's message waits for the end of quiet hours, then goes out"
    assert all(not m.disable_notification for m in morning)
    assert all(m.message_thread_id is None for m in _to(fake, QUIET))
