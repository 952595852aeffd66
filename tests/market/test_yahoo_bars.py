"""Daily bars only: unmodified yfinance fed chart answers shaped like ones Yahoo really gave.

Yahoo has answered daily requests with 5-minute bars (IBM: each day's 09:30 bar read as its
close), with 3-month bars (VFINX: 12 "daily" rows) and, during a session, with a last bar
that is a live quote. Each is checked here down to what the refresh stores in a real SQLite
file; a daily answer is stored exactly as before.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlite_utils

from jobs.refresh import refresh_prices
from market.calendar import nyse
from market.yahoo import RetryPolicy, YahooProvider
from storage.prices import load_bars, stored_symbols
from tests.fakes.yahoo_chart import (
    NEW_YORK,
    FakeYahoo,
    chart_json,
    intraday_chart_json,
    load_bundled_bars,
    patch_curl_cffi,
    quarterly_chart_json,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:yfinance.*")

FETCHED = dt.datetime(2026, 4, 2, 12, 0, tzinfo=dt.UTC)
END = dt.date(2026, 4, 1)
ONE_TRY = RetryPolicy(attempts=1)
#: IBM's five-minute answer: (session, 09:30 bar, 15:55 bar); 2026-03-27 opened at 296.44
#: and closed at 287.56.
IBM_5M = [
    ("2026-03-25", 291.10, 293.02),
    ("2026-03-26", 293.50, 294.87),
    ("2026-03-27", 296.44, 287.56),
    ("2026-03-30", 288.00, 289.91),
    ("2026-03-31", 290.12, 292.40),
]
VFINX_3MO = [
    ("2023-07-03", 405.12),
    ("2023-10-02", 392.60),
    ("2024-01-02", 437.01),
    ("2024-04-01", 480.70),
    ("2024-07-01", 505.33),
    ("2024-10-01", 530.81),
    ("2025-01-02", 540.10),
    ("2025-04-01", 512.44),
    ("2025-07-01", 565.28),
    ("2025-10-01", 600.05),
    ("2026-01-02", 612.90),
    ("2026-04-01", 598.31),
]


def provider(tmp_path: Path, clock: dt.datetime = FETCHED) -> YahooProvider:
    async def no_sleep(seconds: float) -> None:
        return None

    return YahooProvider(tmp_path / "yf", retry=ONE_TRY, sleep=no_sleep, clock=lambda: clock)


@pytest.fixture
def fake_yahoo(monkeypatch: pytest.MonkeyPatch) -> FakeYahoo:
    return patch_curl_cffi(monkeypatch, FakeYahoo())


async def refresh(db: sqlite_utils.Database, yahoo: YahooProvider, symbols: list[str]) -> Any:
    return await refresh_prices(db, yahoo, nyse(), symbols, END, fetched_at=FETCHED)


async def test_a_five_minute_answer_is_refused_and_nothing_of_it_stored(
    tmp_path: Path, db: sqlite_utils.Database, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.serve(["IWM"])
    fake_yahoo.answers["IBM"] = intraday_chart_json("IBM", IBM_5M)

    report = await refresh(db, provider(tmp_path), ["IWM", "IBM"])

    assert list(report.failures) == ["IBM"]
    assert report.failures["IBM"] == "Yahoo answered 5m bars, not daily: refused"
    assert stored_symbols(db) == ["IWM"]
    assert load_bars(db, "IWM")["close"].iloc[-1] == load_bundled_bars("IWM")["close"].iloc[-1]
    assert fake_yahoo.unexpected == []


async def test_a_three_month_answer_is_refused_and_nothing_of_it_stored(
    tmp_path: Path, db: sqlite_utils.Database, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.answers["VFINX"] = quarterly_chart_json("VFINX", VFINX_3MO)

    report = await refresh(db, provider(tmp_path), ["VFINX"])

    assert report.failures == {"VFINX": "Yahoo answered 3mo bars, not daily: refused"}
    assert stored_symbols(db) == []
    assert fake_yahoo.unexpected == []


async def test_bars_spaced_wider_than_daily_are_refused_when_the_meta_says_nothing(
    tmp_path: Path, db: sqlite_utils.Database, fake_yahoo: FakeYahoo
) -> None:
    answer = quarterly_chart_json("VFINX", VFINX_3MO)
    del answer["chart"]["result"][0]["meta"]["dataGranularity"]
    fake_yahoo.answers["VFINX"] = answer

    report = await refresh(db, provider(tmp_path), ["VFINX"])

    assert report.failures["VFINX"].startswith("Yahoo's bars are 9")
    assert report.failures["VFINX"].endswith("days apart, not daily: refused")
    assert stored_symbols(db) == []


async def test_a_last_bar_taken_mid_session_is_not_stored_as_a_close(
    tmp_path: Path, db: sqlite_utils.Database, fake_yahoo: FakeYahoo
) -> None:
    bars = load_bundled_bars("IWM")
    # Yahoo answered at 12:38 New York time on END: the END bar is a live quote.
    noon = pd.Timestamp("2026-04-01 12:38", tz=NEW_YORK)
    fake_yahoo.answers["IWM"] = chart_json("IWM", bars, market_time=noon)
    yahoo = provider(tmp_path, clock=noon.tz_convert("UTC").to_pydatetime())

    report = await refresh(db, yahoo, ["IWM"])

    stored = load_bars(db, "IWM")
    assert stored.index[-1] == pd.Timestamp("2026-03-31")
    assert stored["close"].tolist() == bars["close"].iloc[:-1].tolist()
    assert report.stale == {"IWM": dt.date(2026, 3, 31)}
    assert report.warnings["IWM"] == (
        "2026-04-01: session still open at 12:38 on its exchange; live quote not stored as a close",
    )


async def test_a_last_trade_before_the_close_is_the_close_once_the_session_has_ended(
    tmp_path: Path, db: sqlite_utils.Database, fake_yahoo: FakeYahoo
) -> None:
    """A thin stock's last trade may come at 15:41: after 16:00 that bar is the close."""
    bars = load_bundled_bars("IWM")
    last_trade = pd.Timestamp("2026-04-01 15:41", tz=NEW_YORK)
    fake_yahoo.answers["IWM"] = chart_json("IWM", bars, market_time=last_trade)
    after_close = pd.Timestamp("2026-04-01 16:20", tz=NEW_YORK).tz_convert("UTC")

    report = await refresh(db, provider(tmp_path, clock=after_close.to_pydatetime()), ["IWM"])

    assert report.ok
    assert report.stale == {}
    assert report.warnings == {}
    assert load_bars(db, "IWM")["close"].tolist() == bars["close"].tolist()


async def test_daily_answers_are_stored_exactly_as_before(
    tmp_path: Path, db: sqlite_utils.Database, fake_yahoo: FakeYahoo
) -> None:
    symbols = ["IWM", "SPY", "^RUT", "IJR"]
    fake_yahoo.serve(symbols)

    report = await refresh(db, provider(tmp_path), symbols)

    assert report.ok, report.failures
    assert report.warnings == {}
    for symbol in symbols:
        stored, csv = load_bars(db, symbol), load_bundled_bars(symbol)
        assert list(stored.index) == list(csv.index)
        assert stored["close"].tolist() == csv["close"].tolist()
        assert set(stored["source"]) == {"yahoo"}
