"""The prices table: upsert round trips, wide frames, last dates, history replacement."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import sqlite_utils

from storage.prices import (
    bars_to_rows,
    last_dates,
    load_bars,
    load_closes,
    replace_symbol_history,
    stored_symbols,
    upsert_prices,
)

NOW = dt.datetime(2026, 4, 1, 21, 0, tzinfo=dt.UTC)


def _bars(dates: list[str], closes: list[float]) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    return pd.DataFrame(
        {
            "open": [math.nan] * len(dates),
            "high": [c * 1.01 for c in closes],
            "low": [c * 0.99 for c in closes],
            "close": closes,
            "volume": [1000.0] * len(dates),
        },
        index=index,
    )


def test_round_trip_keeps_values_and_nulls(db: sqlite_utils.Database) -> None:
    bars = _bars(["2026-03-30", "2026-03-31"], [10.0, 11.5])
    assert upsert_prices(db, bars_to_rows("IWM", bars, "csv", NOW)) == 2
    back = load_bars(db, "IWM")
    assert list(back["close"]) == [10.0, 11.5]
    assert back["open"].isna().all()
    assert list(back["source"]) == ["csv", "csv"]
    assert back.index[-1] == pd.Timestamp("2026-03-31")


def test_upsert_replaces_existing_rows(db: sqlite_utils.Database) -> None:
    upsert_prices(db, bars_to_rows("SPY", _bars(["2026-03-31"], [100.0]), "csv", NOW))
    upsert_prices(db, bars_to_rows("SPY", _bars(["2026-03-31"], [101.0]), "yahoo", NOW))
    back = load_bars(db, "SPY")
    assert list(back["close"]) == [101.0]
    assert list(back["source"]) == ["yahoo"]


def test_load_closes_is_wide_with_nan_for_missing(db: sqlite_utils.Database) -> None:
    upsert_prices(db, bars_to_rows("A", _bars(["2026-03-30", "2026-03-31"], [1.0, 2.0]), "t", NOW))
    upsert_prices(db, bars_to_rows("B", _bars(["2026-03-31"], [5.0]), "t", NOW))
    frame = load_closes(db, ["B", "A", "C"])
    assert list(frame.columns) == ["B", "A", "C"]
    assert frame.index.name == "date"
    assert frame.loc["2026-03-31", "A"] == 2.0
    assert np.isnan(frame.loc["2026-03-30", "B"])
    assert frame["C"].isna().all()
    limited = load_closes(db, ["A"], start=dt.date(2026, 3, 31), end=dt.date(2026, 3, 31))
    assert list(limited["A"]) == [2.0]


def test_load_closes_with_nothing_stored(db: sqlite_utils.Database) -> None:
    frame = load_closes(db, ["X"])
    assert frame.empty
    assert list(frame.columns) == ["X"]


def test_last_dates_and_stored_symbols(db: sqlite_utils.Database) -> None:
    upsert_prices(db, bars_to_rows("A", _bars(["2026-03-30", "2026-03-31"], [1.0, 2.0]), "t", NOW))
    upsert_prices(db, bars_to_rows("B", _bars(["2026-03-27"], [5.0]), "t", NOW))
    assert last_dates(db) == {"A": dt.date(2026, 3, 31), "B": dt.date(2026, 3, 27)}
    assert last_dates(db, ["B", "Z"]) == {"B": dt.date(2026, 3, 27)}
    assert last_dates(db, []) == {}
    assert stored_symbols(db) == ["A", "B"]


def test_replace_symbol_history_touches_only_that_symbol(db: sqlite_utils.Database) -> None:
    upsert_prices(db, bars_to_rows("A", _bars(["2026-03-30", "2026-03-31"], [1.0, 2.0]), "t", NOW))
    upsert_prices(db, bars_to_rows("B", _bars(["2026-03-31"], [5.0]), "t", NOW))
    replace_symbol_history(db, "A", bars_to_rows("A", _bars(["2026-03-31"], [3.0]), "t", NOW))
    assert list(load_bars(db, "A")["close"]) == [3.0]
    assert list(load_bars(db, "B")["close"]) == [5.0]


def test_bulk_upsert_of_many_rows_is_one_transaction(db: sqlite_utils.Database) -> None:
    dates = pd.bdate_range("2020-01-01", periods=500)
    rows = []
    for i in range(40):
        bars = _bars([d.strftime("%Y-%m-%d") for d in dates], list(np.linspace(1, 2, 500)))
        rows.extend(bars_to_rows(f"S{i:03d}", bars, "gen", NOW))
    assert upsert_prices(db, reversed(rows)) == 20_000
    assert db.execute("SELECT COUNT(*) FROM prices").fetchone()[0] == 20_000
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
