"""Fixtures for bot tests: a database filled from the bundled sample, Services, applications."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot.app.builder import TIMEZONE, install_handlers
from bot.app.context import CONTEXT_TYPES
from bot.services import Services
from bot.settings import BUNDLED_DATA_DIR, Settings
from jobs.refresh import refresh_prices
from market.calendar import nyse
from market.csv_provider import CsvProvider
from market.universe import load_universe
from storage.db import open_db
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import fake_botapi  # noqa: F401 - fixture
from tests.fakes.offline_request import FakeRequest, OfflineBot

ASOF = dt.date(2026, 3, 31)
OPERATOR = 4242
FETCHED_AT = dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def filled_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database filled once per session from the sample up to ASOF (copied per test)."""
    path = tmp_path_factory.mktemp("filled") / "filled.db"
    db = open_db(path)
    universe = load_universe()
    calendar = nyse()
    asyncio.run(
        refresh_prices(
            db,
            CsvProvider(BUNDLED_DATA_DIR, asof=ASOF),
            calendar,
            list(universe.all_symbols()),
            calendar.latest_session_on_or_before(ASOF),
            fetched_at=FETCHED_AT,
        )
    )
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return path


@pytest.fixture
def settings() -> Settings:
    """csv source over the bundled sample, one operator, a test token."""
    return Settings(
        telegram_bot_token="123:TEST",
        market_data_source="csv",
        operator_ids=frozenset({OPERATOR}),
    )


@pytest.fixture
def services(filled_db_file: Path, tmp_path: Path, settings: Settings) -> Iterator[Services]:
    """Services over a private copy of the filled database."""
    path = tmp_path / "bot.db"
    shutil.copy(filled_db_file, path)
    svc = Services(settings=settings, db=open_db(path), calendar=nyse(), universe=load_universe())
    yield svc
    svc.db.conn.close()


def prices_fingerprint(services: Services) -> tuple:
    """Row count and a checksum of every stored price (to prove nothing was written)."""
    return tuple(
        services.db.execute("SELECT COUNT(*), TOTAL(close), MAX(fetched_at) FROM prices").fetchone()
    )


@contextlib.asynccontextmanager
async def inproc_app(services: Services) -> AsyncIterator[tuple[Application, FakeBotApi]]:
    """In-process Application (HTML defaults) whose calls are answered by an unstarted fake."""
    # Updates handed to process_update never pass through the fake: it cannot know their chats.
    fake = FakeBotApi(any_chat=True)
    layer = FakeRequest(fake)
    defaults = Defaults(parse_mode=ParseMode.HTML, tzinfo=TIMEZONE)
    bot = OfflineBot("123:TEST", request=layer, get_updates_request=layer, defaults=defaults)
    app = ApplicationBuilder().bot(bot).updater(None).context_types(CONTEXT_TYPES).build()
    install_handlers(app, services)
    await app.initialize()
    try:
        yield app, fake
    finally:
        await app.shutdown()


@pytest_asyncio.fixture
async def inproc(services: Services) -> AsyncIterator[tuple[Application, FakeBotApi]]:
    """In-process Application over ``services`` (see ``inproc_app``)."""
    async with inproc_app(services) as pair:
        yield pair


async def process(app: Application, update: Update) -> None:
    """Feed one update through the application."""
    await app.process_update(update)


@pytest.fixture
def env(clean_env: Path, filled_db_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the filled database for the command line (csv source, warnings only)."""
    path = clean_env / "cli.db"
    shutil.copy(filled_db_file, path)
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("MARKET_DATA_SOURCE", "csv")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return clean_env
