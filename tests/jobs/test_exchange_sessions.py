"""Each symbol is judged by its own exchange's sessions: a Xetra listing is not stale on a
day Xetra is closed and NYSE open, and has no gaps on Xetra's holidays; a suffix without a
calendar is judged by weekdays and named; the US universe is judged by NYSE as before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import sqlite_utils

from jobs.refresh import refresh_prices
from market.calendar import NyseCalendar, WeekdayCalendar
from market.csv_provider import CsvProvider
from market.exchanges import Exchanges, exchange_of
from tests.fakes.yahoo_chart import load_bundled_bars

CAL = NyseCalendar(today=dt.date(2026, 1, 1))
XETRA = NyseCalendar(today=dt.date(2026, 1, 1), code="XETR")
NOW = dt.datetime(2025, 12, 24, 22, 0, tzinfo=dt.UTC)
#: An NYSE session on which Xetra is closed.
CHRISTMAS_EVE = dt.date(2025, 12, 24)


def write_listing(folder: Path, symbol: str, sessions: list[dt.date]) -> None:
    """A csv of ``symbol`` with a row on each of ``sessions`` (SPY's closes, reused)."""
    spy = load_bundled_bars("SPY")["close"]
    closes = spy.reindex(pd.DatetimeIndex(sessions)).ffill().bfill()
    frame = pd.DataFrame({"date": [d.isoformat() for d in sessions], "close": closes.to_numpy()})
    for column in ("open", "high", "low", "volume"):
        frame[column] = ""
    frame[["date", "open", "high", "low", "close", "volume"]].to_csv(
        folder / f"{symbol}.csv", index=False
    )


def test_suffixes_and_timezones_name_the_calendar() -> None:
    assert exchange_of("IWM") == "XNYS"
    assert exchange_of("^RUT") == "XNYS"
    assert exchange_of("BRK-B") == "XNYS"
    assert exchange_of("GS2C.DE") == "XETR"
    assert exchange_of("VOD.L") == "XLON"
    assert exchange_of("RY.TO") == "XTSE"
    assert exchange_of("ABC.ZZ") is None
    assert exchange_of("ABC.ZZ", timezone="Europe/Berlin") == "XETR"
    assert exchange_of("EURUSD=X") is None


async def test_a_xetra_listing_is_judged_by_xetra(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    first = dt.date(2025, 12, 1)
    write_listing(tmp_path, "GS2C.DE", XETRA.sessions(first, CHRISTMAS_EVE))
    write_listing(tmp_path, "SPY", CAL.sessions(first, CHRISTMAS_EVE))
    write_listing(tmp_path, "ABC.ZZ", WeekdayCalendar().sessions(first, dt.date(2025, 12, 23)))
    provider = CsvProvider(tmp_path)

    report = await refresh_prices(
        db, provider, CAL, ["SPY", "GS2C.DE", "ABC.ZZ"], CHRISTMAS_EVE, fetched_at=NOW
    )

    assert report.latest["GS2C.DE"] == dt.date(2025, 12, 23)
    assert report.due("GS2C.DE") == dt.date(2025, 12, 23)  # Xetra is closed on Dec 24
    assert report.due("SPY") == CHRISTMAS_EVE
    assert "GS2C.DE" not in report.stale
    assert report.behind(["SPY", "GS2C.DE"]) == []
    assert report.gaps == {}  # no NYSE sessions asked of a Xetra series
    assert report.weekdays == ("ABC.ZZ",)
    assert report.stale == {"ABC.ZZ": dt.date(2025, 12, 23)}  # a weekday without its close


def test_the_us_universe_keeps_the_nyse_calendar() -> None:
    exchanges = Exchanges(CAL)
    assert exchanges.calendar("IWM") is CAL
    assert exchanges.expected("IWM", CHRISTMAS_EVE) == CHRISTMAS_EVE
    assert exchanges.expected("GS2C.DE", CHRISTMAS_EVE) == dt.date(2025, 12, 23)
    assert exchanges.expected("GS2C.DE", dt.date(2025, 11, 28)) == dt.date(2025, 11, 28)
