"""A chat's basket works wherever a symbol does, in that chat only: /ticker, /pair, /history,
/export and inline (a user's private-chat baskets); another chat, or another user inline, does
not see it; two chats' baskets of one name are two baskets (their charts are not shared)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pandas as pd
import pytest
import pytest_asyncio
from telegram.ext import Application

from bot.app.builder import build_application
from bot.commands.offline import reply_to_plain
from bot.commands.registry import UserError
from bot.handlers import answer
from bot.services import Services
from tests.bot.conftest import ASOF
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import builder_for, polling
from tests.fakes.objects import make_user

OWNER, STRANGER = 8101, 8102
NOW = dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)


async def _say(services: Services, text: str, chat: int, *, charts: bool = False):
    return await answer(services, text, asof=ASOF, chat_id=chat, charts=charts)


async def test_the_basket_answers_in_its_chat_only(services: Services) -> None:
    await _say(services, "/basket MIX XLK XLE XLF", OWNER)
    ticker = reply_to_plain(await _say(services, "/ticker mix", OWNER))
    assert "Equal-weight basket of 3: XLK, XLE, XLF (3/3 closed on 2026-03-31)" in ticker
    pair = reply_to_plain(await _say(services, "/pair MIX/SPY 1m", OWNER))
    assert "MIX / SPY" in pair
    history = reply_to_plain(await _say(services, "/history MIX vs SPY", OWNER))
    assert "Flip history · MIX/SPY" in history
    exported = await _say(services, "/export MIX/SPY", OWNER)
    assert exported.document is not None
    assert exported.document.filename == "MIX-SPY_2026-03-31.csv"
    for text in ("/ticker MIX", "/pair MIX SPY", "/history MIX/SPY", "/export MIX"):
        with pytest.raises(UserError, match="MIX was not found"):
            await _say(services, text, STRANGER)


async def test_two_chats_baskets_of_one_name_are_two_baskets(services: Services) -> None:
    await _say(services, "/basket BANKS KRE XLF", OWNER)
    await _say(services, "/basket BANKS XLU XLP", STRANGER)
    first = await _say(services, "/ticker BANKS", OWNER, charts=True)
    second = await _say(services, "/ticker BANKS", STRANGER, charts=True)
    assert "basket of 2: KRE, XLF" in reply_to_plain(first)
    assert "basket of 2: XLU, XLP" in reply_to_plain(second)
    assert first.chart is not None
    assert second.chart is not None
    assert first.chart != second.chart  # stored (and reused inline) under different names
    assert first.photo != second.photo
    pair_one = await _say(services, "/pair BANKS SPY", OWNER, charts=True)
    pair_two = await _say(services, "/pair BANKS SPY", STRANGER, charts=True)
    assert pair_one.photo != pair_two.photo


async def test_the_export_is_the_basket_level(services: Services) -> None:
    await _say(services, "/basket MIX XLK XLE", OWNER)
    one = await _say(services, "/export MIX all", OWNER)
    assert one.document is not None
    table = pd.read_csv(pd.io.common.BytesIO(one.document.data))
    assert list(table.columns[:2]) == ["date", "close"]
    assert table["close"].iloc[0] == pytest.approx(100.0)  # the level starts at 100


@pytest_asyncio.fixture
async def live(
    fake_botapi: FakeBotApi, services: Services
) -> AsyncIterator[tuple[Application, FakeBotApi]]:
    services.clock = lambda: NOW
    application = build_application(services, builder_for(fake_botapi))
    for job in application.job_queue.jobs():
        job.schedule_removal()
    async with polling(application, poll_timeout=0.5):
        yield application, fake_botapi


async def test_inline_shows_the_users_private_chat_baskets(live, services: Services) -> None:
    _app, fake = live
    owner, stranger = make_user(), make_user()
    await answer(services, "/basket MIX XLK XLE XLF", asof=ASOF, chat_id=owner.id)

    async def ask(user) -> dict:
        query_id = await fake.send_inline_query(user, "MIX")
        return await fake.wait_for(lambda: fake.inline_answers.get(query_id))

    mine = await ask(owner)
    (article,) = [r for r in mine["results"] if r["type"] == "article"]
    assert article["title"].startswith("MIX · last close")
    assert "XLK, XLE, XLF" in article["input_message_content"]["message_text"]
    assert mine.get("is_personal") is True  # Telegram caches it for this user only
    theirs = await ask(stranger)
    assert theirs["results"] == []
    assert theirs.get("is_personal") is True
