"""The composition root: one typed Services, handler modules imported, one bot configuration."""

from __future__ import annotations

import dataclasses

from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter

from bot import handlers
from bot.app.builder import build_application, delivery_bot
from bot.app.context import BotData
from bot.delivery.http import BotRequest
from bot.delivery.limits import OVERALL_BURST, OVERALL_RATE, BotRateLimiter
from bot.services import Services
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import builder_for


def _limits(limiter: object) -> tuple[float, float]:
    assert isinstance(limiter, BotRateLimiter)
    assert isinstance(limiter.free, AIORateLimiter)
    base = limiter.free._base_limiter  # the overall bucket: what bursts past 30/s if too large
    assert base is not None
    return base.max_rate, base.time_period


async def test_delivery_bot_is_built_like_the_bot(
    services: Services, fake_botapi: FakeBotApi
) -> None:
    app = build_application(services, builder_for(fake_botapi))
    settings = dataclasses.replace(
        services.settings,
        telegram_bot_token=fake_botapi.token,
        telegram_api_url=fake_botapi.base_url,
    )
    bot = delivery_bot(settings)
    assert _limits(bot.rate_limiter) == _limits(app.bot.rate_limiter)
    assert _limits(bot.rate_limiter) == (OVERALL_BURST, OVERALL_BURST / OVERALL_RATE)
    assert bot.defaults is not None
    assert bot.defaults.parse_mode == ParseMode.HTML
    assert isinstance(bot.request, BotRequest)
    async with bot:
        fake_botapi.know_chats(77)
        sent = await bot.send_message(77, "<b>daily</b>")
    assert sent.text == "daily"
    assert [c.params.get("parse_mode") for c in fake_botapi.messages_to(77)] == ["HTML"]


def test_bot_data_is_typed_and_filled_by_the_root(services: Services) -> None:
    app = build_application(services)
    assert isinstance(app.bot_data, BotData)
    assert app.bot_data.services is services
    assert app.bot_data.sender.services is services
    assert {c.name for c in app.bot_data.commands} >= {"rotation", "status", "subscribe"}
    assert app.job_queue is not None
    assert {j.name for j in app.job_queue.jobs()} == {"daily", "outbox-drain", "db-watch"}


def test_every_handler_module_contributes_its_commands() -> None:
    modules = (handlers.market, handlers.sectors, handlers.baskets, handlers.watch, handlers.admin,
               handlers.subscriptions, handlers.dashboard, handlers.export)  # fmt: skip
    expected = [c.name for m in modules for c in m.COMMANDS]
    assert [c.name for c in handlers.COMMANDS] == expected
