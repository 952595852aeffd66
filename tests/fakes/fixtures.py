"""Pytest fixtures and helpers for end-to-end tests against the fake Bot API.

Import the fixture in a conftest: ``from tests.fakes.fixtures import fake_botapi  # noqa: F401``.
"""

from __future__ import annotations

import contextlib
import datetime as dtm
from collections.abc import AsyncIterator, Sequence

import pytest_asyncio
from telegram.ext import Application, ApplicationBuilder

from bot.delivery.http import BotRequest
from tests.fakes.botapi import FakeBotApi


@pytest_asyncio.fixture
async def fake_botapi() -> AsyncIterator[FakeBotApi]:
    """A started ``FakeBotApi`` on a free loopback port, stopped after the test."""
    async with FakeBotApi() as fake:
        yield fake


def builder_for(fake: FakeBotApi) -> ApplicationBuilder:
    """An ``ApplicationBuilder`` whose bot talks to ``fake`` over the bot's own HTTP layer
    (add handlers, limiter, ...)."""
    return (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .request(BotRequest())
    )


@contextlib.asynccontextmanager
async def polling(
    app: Application,
    *,
    poll_timeout: float = 1.0,
    allowed_updates: Sequence[str] | None = None,
) -> AsyncIterator[Application]:
    """Run ``app`` (initialize, start, poll) for the block, then stop it cleanly.

    ``poll_timeout`` is the long-polling timeout in seconds; stopping cancels the poll at once.
    ``allowed_updates`` as for getUpdates (None: Telegram's default, without ``chat_member``).
    """
    assert app.updater is not None, "build the application with an updater to poll"
    await app.initialize()
    try:
        await app.start()
        await app.updater.start_polling(
            poll_interval=0.0,
            timeout=dtm.timedelta(seconds=poll_timeout),
            drop_pending_updates=False,
            allowed_updates=allowed_updates,
        )
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
    finally:
        await app.shutdown()
