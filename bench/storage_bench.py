"""backfill_1m_bars_s, backfill_speedup_vs_sqlite_utils_defaults, daily_upsert_2000_symbols_s.

Rows are generated OHLCV bars of the extended benchmark frame (2000 symbols x 504 sessions,
cut to exactly 1,000,000 bars), in per-symbol order as a backfill fetches them. Every timed
store goes into a fresh database file made by storage.db.open_db (WAL, synchronous=NORMAL,
migrations applied) in a temporary folder on the same disk; building the row tuples is not
timed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlite_utils

from bench.data import SEED, extend_closes, real_closes
from bench.timing import summary
from storage.db import migrations, open_db, split_statements
from storage.prices import PriceRow, bars_to_rows, load_closes, upsert_prices

SYMBOLS = 2000
SESSIONS = 504
BARS = 1_000_000
DAILY_SESSIONS = 5
FETCHED_AT = dt.datetime(2026, 4, 1, 21, 30, tzinfo=dt.UTC)
COLUMNS = ("symbol", "date", "open", "high", "low", "close", "volume", "source", "fetched_at")


def bar_frames(closes: pd.DataFrame, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Plausible OHLCV bars around each close (seeded), one frame per symbol."""
    rng = np.random.default_rng(seed + 2)
    shape = closes.shape
    values = closes.to_numpy(dtype="float64")
    opens = values * np.exp(rng.normal(0.0, 0.006, shape))
    highs = np.fmax(opens, values) * np.exp(np.abs(rng.normal(0.0, 0.006, shape)))
    lows = np.fmin(opens, values) * np.exp(-np.abs(rng.normal(0.0, 0.006, shape)))
    volumes = np.round(np.exp(rng.normal(14.0, 1.5, shape)))
    frames = {}
    for j, symbol in enumerate(closes.columns):
        frame = pd.DataFrame(
            {"open": opens[:, j], "high": highs[:, j], "low": lows[:, j], "close": values[:, j],
             "volume": volumes[:, j]},
            index=closes.index,
        )  # fmt: skip
        frames[str(symbol)] = frame.dropna(subset=["close"])
    return frames


def backfill_rows(closes: pd.DataFrame) -> list[PriceRow]:
    """Every bar of ``closes`` as upsert rows, symbol by symbol."""
    rows: list[PriceRow] = []
    for symbol, frame in bar_frames(closes).items():
        rows.extend(bars_to_rows(symbol, frame, "bench", FETCHED_AT))
    return rows


def _fresh(folder: Path, name: str) -> Any:
    return open_db(folder / f"{name}.sqlite")


def time_backfill(folder: Path, rows: list[PriceRow]) -> tuple[float, Any]:
    """Seconds for upsert_prices of ``rows`` into a fresh database (returned open)."""
    db = _fresh(folder, "backfill")
    start = time.perf_counter()
    stored = upsert_prices(db, rows)
    seconds = time.perf_counter() - start
    assert stored == len(rows)
    return seconds, db


def time_insert_all_defaults(folder: Path, rows: list[PriceRow]) -> float:
    """Seconds for sqlite_utils ``Table.insert_all(records)`` with every default, same rows.

    The obvious sqlite-utils way: ``sqlite_utils.Database(path)`` with its default connection
    (rollback journal, synchronous FULL), the same prices table created from our first
    migration, then ``insert_all`` with its defaults (batches of 100, one commit each).
    """
    path = folder / "insert_all.sqlite"
    db = sqlite_utils.Database(path)
    for statement in split_statements(migrations()[0][2]):
        if statement.startswith("CREATE TABLE prices"):
            db.execute(statement)
    records = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    start = time.perf_counter()
    db["prices"].insert_all(records)
    seconds = time.perf_counter() - start
    count = db.execute("SELECT COUNT(*) FROM prices").fetchone()[0]
    assert count == len(rows), count
    db.close()
    return seconds


def next_sessions(last: pd.Timestamp, count: int) -> list[pd.Timestamp]:
    """The ``count`` business days after ``last`` (new sessions for the daily upsert)."""
    return list(pd.bdate_range(last + pd.Timedelta(days=1), periods=count))


def daily_rows(closes: pd.DataFrame, day: pd.Timestamp, seed: int) -> list[PriceRow]:
    """One new session for every symbol: the last close moved by a seeded daily return."""
    rng = np.random.default_rng(seed)
    last = closes.ffill().iloc[-1].to_numpy(dtype="float64")
    close = last * np.exp(rng.normal(0.0, 0.015, len(last)))
    frame = pd.DataFrame({"open": close, "high": close * 1.01, "low": close * 0.99,
                          "close": close, "volume": np.full(len(last), 1e6)})  # fmt: skip
    rows: list[PriceRow] = []
    for j, symbol in enumerate(closes.columns):
        one = frame.iloc[[j]].set_axis(pd.DatetimeIndex([day]))
        rows.extend(bars_to_rows(str(symbol), one, "bench", FETCHED_AT))
    return rows


def run() -> dict[str, Any]:
    """Backfill 1M bars (ours vs insert_all defaults) and a daily 2000-row upsert."""
    closes = extend_closes(real_closes(), SYMBOLS, SESSIONS)
    rows = backfill_rows(closes)[:BARS]
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as tmp:
        folder = Path(tmp)
        opened = time.perf_counter()
        _fresh(folder, "open").close()
        open_s = time.perf_counter() - opened
        ours, db = time_backfill(folder, rows)
        days = next_sessions(closes.index[-1], DAILY_SESSIONS)
        daily = []
        for k, day in enumerate(days):
            new = daily_rows(closes, day, SEED + 10 + k)
            start = time.perf_counter()
            upsert_prices(db, new)
            daily.append(time.perf_counter() - start)
        again = time.perf_counter()
        upsert_prices(db, new)
        redo_s = time.perf_counter() - again
        loaded = time.perf_counter()
        frame = load_closes(db, [str(c) for c in closes.columns])
        load_s = time.perf_counter() - loaded
        assert frame.shape == (SESSIONS + DAILY_SESSIONS, SYMBOLS), frame.shape
        db_bytes = (folder / "backfill.sqlite").stat().st_size
        db.close()
        defaults = time_insert_all_defaults(folder, rows)
    per_day = summary(daily)
    return {
        "backfill_1m_bars_s": round(ours, 3),
        "backfill_speedup_vs_sqlite_utils_defaults": round(defaults / ours, 1),
        "daily_upsert_2000_symbols_s": per_day["median"],
        "details": {
            "rows": len(rows),
            "open_db_with_migrations_s": round(open_s, 4),
            "insert_all_defaults_s": round(defaults, 2),
            "daily_upsert_s": per_day,
            "daily_upsert_same_session_again_s": round(redo_s, 4),
            "load_closes_2000x505_s": round(load_s, 3),
            "db_file_mb_after_backfill": round(db_bytes / 2**20, 1),
        },
    }
