"""Honest answers on ragged real data: every figure whose data ends before the session shown
carries its own date; stale pairs are out of the score and breadth, and the answer says so."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest

from bot.commands.offline import reply_to_plain
from bot.handlers import answer
from bot.services import Services
from jobs.refresh import refresh_prices
from market.csv_provider import CsvProvider
from tests.conftest import csv_services
from tests.ragged.data import ragged_folder

SESSION = dt.date(2026, 4, 1)
RSP_LAST = dt.date(2026, 3, 20)
NVDA_LAST = dt.date(2026, 3, 25)
MDY_LAST = dt.date(2025, 12, 26)
HALT = [dt.date(2026, 3, 25), dt.date(2026, 3, 26), dt.date(2026, 3, 27)]


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("ragged")
    folder = ragged_folder(
        root / "prices",
        cut={"RSP": RSP_LAST, "MDY": MDY_LAST, "TSLA": RSP_LAST, "NVDA": NVDA_LAST},
        drop={"KRE": HALT},
    )
    built = csv_services(root / "bot.db", token="123:TEST", operators=frozenset())
    built = dataclasses.replace(
        built, settings=dataclasses.replace(built.settings, market_data_dir=folder)
    )
    symbols = list(built.universe.all_symbols())
    now = dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
    asyncio.run(
        refresh_prices(
            built.db, CsvProvider(folder), built.calendar, symbols, SESSION, fetched_at=now
        )
    )
    yield built
    built.db.conn.close()


async def ask(services: Services, text: str) -> str:
    return reply_to_plain(await answer(services, text))


async def test_rotation_dates_stale_pairs_and_leaves_them_out_of_score_and_breadth(
    services: Services,
) -> None:
    text = await ask(services, "/rotation")
    assert f"RSP/SPY · as of {RSP_LAST} (no newer close)" in text
    assert f"SMALLCAP_WINNERS/MAG7 · as of {NVDA_LAST} (no newer close)" in text
    assert "IWM/SPY · as of" not in text
    assert "Score: 1 of 4 themes" in text  # the two stale pairs are themes of their own
    assert (
        f"Left out of the score: RSP/SPY (no close since {RSP_LAST}), "
        f"SMALLCAP_WINNERS/MAG7 (no close since {NVDA_LAST}): no {SESSION} close."
    ) in text
    assert f"Left out of breadth: RSP/SPY (no close since {RSP_LAST})" in text
    assert "RSP/SPY: no regime" not in text
    assert f"RSP (last close {RSP_LAST})" in text
    assert f"MDY (last close {MDY_LAST})" in text
    assert text.rstrip().endswith(f"as of {SESSION} close")


async def test_ticker_of_a_stale_symbol_says_its_own_date(services: Services) -> None:
    text = await ask(services, "/ticker RSP")
    assert f"({RSP_LAST}): no newer close; every figure below is as of {RSP_LAST}" in text
    assert f"RSP/SPY · as of {RSP_LAST} (no newer close)" in text


async def test_basket_coverage_counts_closes_on_the_session_shown(services: Services) -> None:
    text = await ask(services, "/ticker MAG7")
    assert f"(5/7 closed on {SESSION}; no close: NVDA, TSLA)" in text
    assert f"Level as of {NVDA_LAST}: it needs 6 of 7 members" in text
    assert f"Last close 185.41 ({NVDA_LAST}): no newer close" in text


async def test_returns_spanning_a_halt_say_so(services: Services) -> None:
    text = await ask(services, "/ticker KRE")
    assert "1D     +1.07 %  " in text  # today's return is not across the halt
    assert "1W    +2.35 %*" in text
    assert "the window spans 3 session(s) with no KRE close" in text


async def test_pair_history_and_quadrant_date_their_stale_figures(services: Services) -> None:
    pair = await ask(services, "/pair RSP SPY")
    assert f"As of {RSP_LAST}: no newer close of both legs" in pair
    history = await ask(services, "/history RSP/SPY")
    assert f"as of {RSP_LAST} (no newer close)" in history
    quadrant = await ask(services, "/quadrant")
    assert "MDY strength" in quadrant
    mdy = next(line for line in quadrant.splitlines() if "MDY strength" in line)
    assert f"as of {MDY_LAST} (no newer close)" in mdy
    iwm = next(line for line in quadrant.splitlines() if "IWM strength" in line)
    assert "as of" not in iwm
