"""Yahoo unreachable, Tiingo next: the refresh stores every ETF and stock from Tiingo (its
adjusted closes, source 'tiingo'), names what no source had, and the daily run alerts on the
pairs whose legs are fresh while the index pairs wait."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from analytics.types import Universe
from jobs.daily import run_daily
from jobs.refresh import refresh_prices
from market.calendar import nyse
from market.chain import SourceChain
from market.csv_provider import CsvProvider
from market.symbols import is_index
from market.tiingo import NOT_CARRIED, TiingoProvider
from market.universe import load_universe
from market.yahoo import RetryPolicy, YahooProvider
from storage.prices import load_bars
from tests.fakes.price_sources import TOKEN, FakePriceSources
from tests.fakes.yahoo_chart import FakeYahoo, patch_curl_cffi

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:yfinance.*")

FLIP_DAY = dt.date(2025, 10, 31)  # IWM/SPY flips on the bundled data
PRIOR_DAY = dt.date(2025, 10, 30)
NOW = dt.datetime(2025, 10, 31, 21, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def universe() -> Universe:
    return load_universe()


@pytest.fixture
def server(universe: Universe) -> Iterator[FakePriceSources]:
    fake = FakePriceSources()
    fake.serve_tiingo([s for s in universe.all_symbols() if not is_index(s)])
    with fake.running() as running:
        yield running


def chain(tmp_path: Path, server: FakePriceSources, monkeypatch: pytest.MonkeyPatch) -> SourceChain:
    fake = FakeYahoo()
    fake.unreachable = True
    patch_curl_cffi(monkeypatch, fake)

    async def no_sleep(seconds: float) -> None:
        return None

    yahoo = YahooProvider(tmp_path / "yf", retry=RetryPolicy(attempts=2), sleep=no_sleep)
    return SourceChain([yahoo, TiingoProvider(TOKEN, api_url=server.tiingo_url)])


async def test_yahoo_unreachable_every_etf_and_stock_comes_from_tiingo(
    db: sqlite_utils.Database,
    tmp_path: Path,
    server: FakePriceSources,
    monkeypatch: pytest.MonkeyPatch,
    universe: Universe,
) -> None:
    symbols = list(universe.all_symbols())
    stocks = [s for s in symbols if not is_index(s)]
    indexes = [s for s in symbols if is_index(s)]

    report = await refresh_prices(
        db, chain(tmp_path, server, monkeypatch), nyse(), symbols, FLIP_DAY, fetched_at=NOW
    )

    assert sorted(report.failures) == sorted(indexes)
    for symbol in indexes:
        cause = report.failures[symbol]
        assert cause.startswith("yahoo: Yahoo unreachable: ")
        assert cause.endswith(f"tiingo: {NOT_CARRIED}")
    for symbol in stocks:
        stored = load_bars(db, symbol)
        assert set(stored["source"]) == {"tiingo"}, symbol
        served = server.tiingo[symbol].loc[: str(FLIP_DAY)]
        assert stored["close"].tolist() == served["close"].tolist()  # the adjusted closes
        assert stored.index[-1].date() == FLIP_DAY


async def test_the_daily_run_alerts_on_pairs_whose_legs_are_fresh(
    db: sqlite_utils.Database,
    sample_dir: Path,
    tmp_path: Path,
    server: FakePriceSources,
    monkeypatch: pytest.MonkeyPatch,
    universe: Universe,
) -> None:
    symbols = list(universe.all_symbols())
    await refresh_prices(
        db, CsvProvider(sample_dir, asof=PRIOR_DAY), nyse(), symbols, PRIOR_DAY, fetched_at=NOW
    )

    result = await run_daily(
        db, chain(tmp_path, server, monkeypatch), nyse(), universe, FLIP_DAY, now=NOW
    )

    assert result.status == "partial"
    assert list(result.waiting) == ["^RUT/^GSPC"]  # index legs: no source had them
    flips = [e for e in result.events if e.kind == "flip"]
    assert [e.pair for e in flips] == ["IWM/SPY"]
    assert set(load_bars(db, "IWM", last=1)["source"]) == {"tiingo"}
