"""The daily pipeline on ragged real data, session by session, delivered through the Bot API
fake: a symbol no pair uses stops early, and every IWM/SPY and ^RUT/^GSPC flip still arrives
once, on its own session."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pandas as pd
import pytest
import pytest_asyncio

from analytics.events import decode
from bot.app.daily import run_pipeline
from bot.services import Services
from jobs.replay import replay_dry
from market.csv_provider import CsvProvider
from storage.chats import upsert_chat
from storage.outbox import rows_for
from storage.subscriptions import subscribe
from tests.conftest import csv_services
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import fake_botapi  # noqa: F401
from tests.ragged.data import ragged_folder
from tests.subscriptions.conftest import running_app

CHAT = 4040
PAIRS = ("IWM/SPY", "^RUT/^GSPC")
MDY_LAST = dt.date(2025, 10, 15)  # MDY (strength quadrant only) stops here


@pytest.fixture
def services(tmp_path: Path) -> Services:
    folder = ragged_folder(tmp_path / "prices", cut={"MDY": MDY_LAST})
    built = csv_services(tmp_path / "bot.db", token="123:TEST", operators=frozenset())
    built.settings = type(built.settings)(**{**vars(built.settings), "market_data_dir": folder})
    upsert_chat(built.db, CHAT, "private", now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    subscribe(built.db, CHAT, "smallcaps", "preset", now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    yield built
    built.db.conn.close()


@pytest_asyncio.fixture
async def app(services: Services, fake_botapi: FakeBotApi) -> AsyncIterator:  # noqa: F811
    # the subscriber and the operators wrote to the bot before
    fake_botapi.know_chats(CHAT, *services.settings.operator_ids)
    async with running_app(services, fake_botapi) as application:
        yield application


async def _clean_flips(services: Services, sessions: list[dt.date]) -> list[tuple[dt.date, str]]:
    """Flips of the two pairs on the intact bundled data over ``sessions`` (dry replay)."""
    from bot.settings import BUNDLED_DATA_DIR

    symbols = list(services.universe.all_symbols())
    fetched = await CsvProvider(BUNDLED_DATA_DIR).fetch(symbols, dt.date(2020, 1, 1), sessions[-1])
    closes = pd.DataFrame({s: b["close"] for s, b in fetched.bars.items()})[symbols]
    steps = replay_dry(sessions, closes, services.universe)
    return [
        (step.session, pair)
        for step in steps
        for e in step.events
        if e.kind == "flip"
        for pair in e.pairs
        if pair in PAIRS
    ]


async def _daily_through(app, services: Services, fake: FakeBotApi, start, end) -> None:
    for session in services.calendar.sessions(start, end):
        provider = CsvProvider(services.settings.market_data_dir, asof=session)
        now = services.calendar.close_time(session) + dt.timedelta(minutes=30)
        outcome = await run_pipeline(app.bot, services, session, provider=provider, now=now)
        late = session > MDY_LAST
        assert outcome.result.status == ("partial" if late else "done"), outcome.summary()
        assert outcome.result.stale == (("MDY",) if late else ())
        assert outcome.result.waiting == {}


def _delivered_flips(services: Services, fake: FakeBotApi) -> list[tuple[dt.date, str]]:
    """(session, pair) of every flip delivered to the chat: sent outbox rows, each one
    message at the Bot API fake, as of its own session."""
    rows = [r for r in rows_for(services.db, chat_id=CHAT) if r.kind == "flip"]
    assert all(r.status == "sent" for r in rows)
    messages = [
        c for c in fake.messages_to(CHAT) if "Leadership flip" in (c.caption or c.text or "")
    ]
    assert len(messages) == len(rows)
    for row, call in zip(rows, messages, strict=True):
        assert f"as of {row.session} close" in (call.caption or call.text or "")
    return [
        (row.session, move.pair)
        for row in rows
        for move in decode("flip", row.payload).moves
        if move.pair in PAIRS
    ]


async def _check(app, services: Services, fake: FakeBotApi, start, end) -> None:
    await _daily_through(app, services, fake, start, end)
    expected = await _clean_flips(services, services.calendar.sessions(start, end))
    assert len(expected) >= 4
    assert {p for _, p in expected} == set(PAIRS)
    assert sorted(_delivered_flips(services, fake)) == sorted(expected)  # each once, on its session


async def test_a_stale_symbol_no_pair_uses_loses_no_flip(app, services, fake_botapi) -> None:  # noqa: F811
    await _check(app, services, fake_botapi, dt.date(2025, 10, 27), dt.date(2025, 12, 12))


@pytest.mark.slow
@pytest.mark.timeout(1800)
async def test_a_stale_symbol_no_pair_uses_loses_no_flip_over_ten_months(
    app,
    services,
    fake_botapi,  # noqa: F811
) -> None:
    await _check(app, services, fake_botapi, dt.date(2025, 6, 2), dt.date(2026, 4, 1))
