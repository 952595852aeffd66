"""A paid broadcast where 10 % of the chats blocked the bot and 1 % no longer exist: each of
those chats gets exactly one request and is deactivated, and nothing is sent again inside the
paid window; every other chat is served once, in order.

Real PTB client (the bot's HTTP layer and limiter) against the Bot API fake on loopback."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator

import pytest_asyncio
from telegram.ext import ExtBot

from bot.delivery.http import BotRequest
from bot.delivery.limits import rate_limiter
from bot.delivery.sender import PAID_PARALLEL, Sender
from bot.services import Services
from storage.chats import chat_counts, get_chat
from storage.outbox import counts, rows_for
from storage.subscriptions import audience_page
from tests.fakes.botapi import FakeBotApi
from tests.reliability.conftest import TOKEN
from tests.reliability.delivery import deliveries
from tests.reliability.test_telegram_faults import queue_flip_day

CHATS = list(range(20_001, 20_201))  # 200 private chats
BLOCKED = CHATS[3::10]  # 20: 403 "Forbidden: bot was blocked by the user"
GONE = [CHATS[6], CHATS[106]]  # 2: 400 "Bad Request: chat not found"
SENDS = ("sendMessage", "sendPhoto")


@pytest_asyncio.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[ExtBot]:
    """An ExtBot on ``fake`` with the bot's own HTTP layer and send limits."""
    client = ExtBot(TOKEN, base_url=fake.base_url, request=BotRequest(read_timeout=5.0),
                    rate_limiter=rate_limiter())  # fmt: skip
    async with client:
        yield client


async def test_blocked_chats_get_one_request_each_and_are_deactivated(
    services: Services, fake: FakeBotApi, bot: ExtBot
) -> None:
    services.settings = dataclasses.replace(services.settings, allow_paid_broadcast=True)
    per_chat = await queue_flip_day(services, CHATS) // len(CHATS)  # a flip and a digest each
    for chat_id in BLOCKED:
        fake.fail_chat(chat_id, "forbidden")
    for chat_id in GONE:
        fake.fail_chat(chat_id, "not_found")
    sender = Sender(bot, services, charts=False)
    assert sender.parallel == PAID_PARALLEL

    report = await sender.drain()

    requests = Counter(c.chat_id for c in fake.calls if c.method in SENDS)
    refusing = set(BLOCKED) | set(GONE)
    assert {c: requests[c] for c in refusing} == dict.fromkeys(refusing, 1)
    assert sorted(report.deactivated) == sorted(refusing)
    for chat_id in refusing:
        chat = get_chat(services.db, chat_id)
        assert chat is not None
        assert not chat.active
        statuses = sorted(r.status for r in rows_for(services.db, chat_id=chat_id))
        assert statuses == ["dead"] + ["skipped"] * (per_chat - 1)
    served = [c for c in CHATS if c not in refusing]
    got = deliveries(services.db, fake, served)
    assert all(set(d.copies.values()) == {1} and d.in_order for d in got.values())
    assert {c: requests[c] for c in served} == dict.fromkeys(served, per_chat)
    assert counts(services.db) == {"sent": per_chat * len(served), "dead": len(refusing),
                                   "skipped": (per_chat - 1) * len(refusing)}  # fmt: skip
    assert chat_counts(services.db) == {"active": len(served), "inactive": len(refusing)}
    # Their subscriptions stop: the next session's fan-out does not reach them.
    audience = {chat.chat_id for chat, _subs in audience_page(services.db, after=None, limit=10**6)}
    assert audience == set(served)
