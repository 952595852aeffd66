"""Fixtures for subscription and delivery tests: services on a temp database, the real
Application against the Bot API fake, and a helper to run the daily pipeline."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.app.builder import build_application
from bot.app.daily import run_pipeline
from bot.services import Services
from tests.conftest import csv_services
from tests.fake_prices import FakeProvider
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import builder_for, fake_botapi, polling  # noqa: F401

FLIP_DAY = dt.date(2025, 10, 31)  # IWM/SPY flips to SPY on the bundled data
NOW = dt.datetime(2025, 10, 31, 21, 0, tzinfo=dt.UTC)
OPERATOR = 999


@pytest.fixture
def services(tmp_path) -> Services:
    built = csv_services(tmp_path / "bot.db", token="123:TEST", operators=frozenset({OPERATOR}))
    yield built
    built.db.conn.close()


@contextlib.asynccontextmanager
async def running_app(services: Services, fake: FakeBotApi) -> AsyncIterator:
    """The real Application polling ``fake``, its scheduled jobs removed (the operators have
    started the bot, so Telegram knows their chats)."""
    fake.know_chats(*services.settings.operator_ids)
    application = build_application(services, builder_for(fake))
    assert application.job_queue is not None
    for job in application.job_queue.jobs():
        job.schedule_removal()  # tests drive the pipeline themselves (removed before the
        # scheduler starts: a job already due by then would run at once)
    async with polling(application):
        yield application


@pytest_asyncio.fixture
async def app(services, fake_botapi: FakeBotApi) -> AsyncIterator:  # noqa: F811
    async with running_app(services, fake_botapi) as application:
        yield application


async def daily(app, services, session=FLIP_DAY, **faults):
    """Run the pipeline for ``session`` on the csv sample and deliver through ``app.bot``."""
    provider = FakeProvider(services.settings.market_data_dir, asof=session, **faults)
    return await run_pipeline(app.bot, services, session, provider=provider, now=NOW)


def flip_messages(fake: FakeBotApi, chat_id: int) -> list:
    """Delivered leadership-flip alerts for IWM/SPY in a chat."""
    return [
        c
        for c in fake.messages_to(chat_id)
        if "Leadership flip" in (c.caption or c.text or "") and "IWM/SPY" in (c.caption or c.text)
    ]
