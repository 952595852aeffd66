"""Fixtures for the reliability suite: services on a temporary database filled from the
bundled sample up to the session before a known flip, the real Application against the Bot
API fake, subscribers, and helpers to compare database contents."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import sqlite_utils
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot.app.builder import TIMEZONE, build_application, install_handlers
from bot.app.context import CONTEXT_TYPES
from bot.services import Services
from bot.settings import BUNDLED_DATA_DIR
from jobs.refresh import refresh_prices
from market.calendar import nyse
from market.csv_provider import CsvProvider
from market.universe import load_universe
from storage.chats import get_chat, update_settings, upsert_chat
from storage.db import open_db
from storage.subscriptions import subscribe
from tests.conftest import csv_services
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import builder_for, fake_botapi, polling  # noqa: F401
from tests.fakes.offline_request import FakeRequest, OfflineBot

FLIP_DAY = dt.date(2025, 10, 31)  # IWM/SPY flips to SPY on the bundled data
PRIOR_DAY = dt.date(2025, 10, 30)
NOW = dt.datetime(2025, 10, 31, 21, 0, tzinfo=dt.UTC)
OPERATOR = 999
TOKEN = "123456789:AAHfakeTokenForTheReliabilitySuite_x"


@pytest.fixture(scope="session")
def prior_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding every universe symbol up to PRIOR_DAY (copied per test)."""
    path = tmp_path_factory.mktemp("prior") / "prior.db"
    db = open_db(path)
    universe = load_universe()
    asyncio.run(
        refresh_prices(
            db,
            CsvProvider(BUNDLED_DATA_DIR, asof=PRIOR_DAY),
            nyse(),
            list(universe.all_symbols()),
            PRIOR_DAY,
            fetched_at=NOW - dt.timedelta(days=1),
        )
    )
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return path


@pytest.fixture
def db_path(prior_db_file: Path, tmp_path: Path) -> Path:
    """A private copy of the prior-day database."""
    path = tmp_path / "bot.db"
    shutil.copy(prior_db_file, path)
    return path


@pytest.fixture
def services(db_path: Path) -> Iterator[Services]:
    """csv source over the bundled sample, one operator, a token-shaped token."""
    built = csv_services(db_path, token=TOKEN, operators=frozenset({OPERATOR}))
    yield built
    built.db.conn.close()


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """The Bot API fake, accepting the suite's token.

    This suite seeds its subscribers (thousands in some tests) straight into the database:
    chats that wrote to the bot long before the test, so Telegram knows them. The fake is
    told to accept any chat id here; "chat not found" for chats the bot never met is tested
    against the strict default (tests/test_fake_botapi.py, tests/subscriptions, tests/bot).
    """
    async with FakeBotApi(TOKEN, any_chat=True) as server:
        yield server


@contextlib.asynccontextmanager
async def running_app(services: Services, fake: FakeBotApi) -> AsyncIterator:
    """The real Application polling the fake; scheduled jobs removed (tests drive them)."""
    application = build_application(services, builder_for(fake))
    assert application.job_queue is not None
    # As `rotation-bot run` does (bot.app.builder.run_polling): every update type, chat_member too.
    for job in application.job_queue.jobs():
        job.schedule_removal()  # before the scheduler starts: a job due by then would run
    async with polling(application, allowed_updates=Update.ALL_TYPES):
        yield application


@pytest_asyncio.fixture
async def app(services: Services, fake: FakeBotApi) -> AsyncIterator:
    """``running_app`` over the suite's services."""
    async with running_app(services, fake) as application:
        yield application


def add_subscriber(
    db: sqlite_utils.Database, chat_id: int, kind: str = "private", *, digest: bool = False
) -> None:
    """A chat following IWM/SPY (the pair that flips on FLIP_DAY)."""
    now = dt.datetime.now(dt.UTC)
    upsert_chat(db, chat_id, kind, now=now)
    subscribe(db, chat_id, "IWM/SPY", "pair", now=now)
    chat = get_chat(db, chat_id)
    assert chat is not None
    update_settings(db, dataclasses.replace(chat, digest=digest), now=now)


def dump(db: sqlite_utils.Database) -> list[str]:
    """Every row of every table (prices as a fingerprint), as text: proves nothing was written.
    The inbox (every update received, bot.app.builder.RecordingApplication) is left out."""
    tables = [
        name
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        # chart_files caches the Telegram file id of each chart sent (for inline answers):
        # every answered chart command writes it, like an in-memory cache.
        if name not in ("prices", "inbox", "chart_files")
    ]
    rows = [repr(prices_fingerprint(db))]
    for name in sorted(tables):
        rows.extend(f"{name}: {row!r}" for row in db.execute(f"SELECT * FROM [{name}]"))
    return rows


def prices_fingerprint(db: sqlite_utils.Database) -> tuple:
    """Count, checksum and newest fetch time of the stored prices."""
    row = db.execute("SELECT COUNT(*), TOTAL(close), MAX(date), MAX(fetched_at) FROM prices")
    return tuple(row.fetchone())


async def make_inproc(services: Services):
    """An initialized in-process Application, its unstarted fake, and a coroutine to close."""
    # Updates handed to process_update never pass through the fake: it cannot know their chats.
    server = FakeBotApi(TOKEN, any_chat=True)
    layer = FakeRequest(server)
    defaults = Defaults(parse_mode=ParseMode.HTML, tzinfo=TIMEZONE)
    bot = OfflineBot(TOKEN, request=layer, get_updates_request=layer, defaults=defaults)
    application = ApplicationBuilder().bot(bot).updater(None).context_types(CONTEXT_TYPES).build()
    install_handlers(application, services)
    for job in application.job_queue.jobs() if application.job_queue else ():
        job.schedule_removal()
    await application.initialize()
    return application, server, application.shutdown


@pytest_asyncio.fixture
async def inproc(services: Services) -> AsyncIterator[tuple[Application, FakeBotApi]]:
    """The real handlers in-process; Bot API calls answered by an unstarted fake."""
    application, server, close = await make_inproc(services)
    try:
        yield application, server
    finally:
        await close()
