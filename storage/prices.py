"""The prices table: bulk upsert, wide close frames, last stored dates, per-symbol history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlite_utils

from storage.db import stamp, transaction

_UPSERT_SQL = (
    "INSERT INTO prices (symbol, date, open, high, low, close, volume, source, fetched_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (symbol, date) DO UPDATE SET open=excluded.open, high=excluded.high, "
    "low=excluded.low, close=excluded.close, volume=excluded.volume, "
    "source=excluded.source, fetched_at=excluded.fetched_at"
)

PriceRow = tuple[str, str, float | None, float | None, float | None, float, float | None, str, str]


def _opt(value: float) -> float | None:
    return None if value != value else float(value)  # NaN -> NULL


def bars_to_rows(
    symbol: str, bars: pd.DataFrame, source: str, fetched_at: dt.datetime
) -> list[PriceRow]:
    """Rows for upsert_prices from one symbol's bar frame (bar contract of market.provider)."""
    fetched = stamp(fetched_at)
    dates = pd.DatetimeIndex(bars.index).strftime("%Y-%m-%d")
    cols = [bars[c].to_numpy(dtype="float64") for c in ("open", "high", "low", "close", "volume")]
    return [
        (symbol, d, _opt(o), _opt(h), _opt(lo), float(c), _opt(v), source, fetched)
        for d, o, h, lo, c, v in zip(dates, *cols, strict=True)
    ]


def _row_key(row: PriceRow) -> tuple[str, str]:
    return row[0], row[1]


def upsert_prices(db: sqlite_utils.Database, rows: Iterable[PriceRow]) -> int:
    """Insert or replace bars in one transaction, rows sorted by key; return the row count.

    Sorting by (symbol, date) keeps inserts in primary-key order, which is what makes a
    million rows take seconds instead of a minute. Raw ``executemany`` rather than
    sqlite-utils' ``insert_all``/``upsert_all``: 1M bars in 2.2 s against 11-12 s with its
    defaults (batches of 100, a commit per batch), 5.5x (``make bench``, BENCHMARKS.md).
    """
    ordered = sorted(rows, key=_row_key)
    if not ordered:
        return 0
    with transaction(db) as conn:
        conn.executemany(_UPSERT_SQL, ordered)
    return len(ordered)


def replace_symbol_history(db: sqlite_utils.Database, symbol: str, rows: Sequence[PriceRow]) -> int:
    """Replace every stored bar of ``symbol`` with ``rows`` atomically (after a re-adjustment)."""
    ordered: list[PriceRow] = sorted(rows, key=_row_key)
    with transaction(db) as conn:
        conn.execute("DELETE FROM prices WHERE symbol = ?", [symbol])
        conn.executemany(_UPSERT_SQL, ordered)
    return len(rows)


def latest_date(
    db: sqlite_utils.Database, symbols: Sequence[str], asof: dt.date | None = None
) -> dt.date | None:
    """The newest session stored for any of ``symbols`` on or before ``asof`` (None: none)."""
    if not symbols:
        return None
    sql = f"SELECT MAX(date) FROM prices WHERE symbol IN ({','.join('?' * len(symbols))})"
    params: list[str] = list(symbols)
    if asof is not None:
        sql += " AND date <= ?"
        params.append(asof.isoformat())
    row = db.execute(sql, params).fetchone()
    return None if row is None or row[0] is None else dt.date.fromisoformat(row[0])


def last_dates(
    db: sqlite_utils.Database, symbols: Sequence[str] | None = None
) -> dict[str, dt.date]:
    """The last stored session per symbol (symbols with no rows are absent)."""
    sql = "SELECT symbol, MAX(date) FROM prices"
    params: list[str] = []
    if symbols is not None:
        if not symbols:
            return {}
        sql += f" WHERE symbol IN ({','.join('?' * len(symbols))})"
        params = list(symbols)
    sql += " GROUP BY symbol"
    return {s: dt.date.fromisoformat(d) for s, d in db.execute(sql, params).fetchall()}


def stored_dates(
    db: sqlite_utils.Database, symbol: str, start: dt.date, end: dt.date
) -> list[dt.date]:
    """The sessions ``symbol`` has a stored bar on, from ``start`` to ``end`` inclusive."""
    rows = db.execute(
        "SELECT date FROM prices WHERE symbol = ? AND date >= ? AND date <= ? ORDER BY date",
        [symbol, start.isoformat(), end.isoformat()],
    ).fetchall()
    return [dt.date.fromisoformat(r[0]) for r in rows]


def stored_span(
    db: sqlite_utils.Database, symbols: Sequence[str]
) -> tuple[dt.date, dt.date] | None:
    """(first, last) stored session over ``symbols``, or None when none has a row."""
    if not symbols:
        return None
    marks = ",".join("?" * len(symbols))
    row = db.execute(
        f"SELECT MIN(date), MAX(date) FROM prices WHERE symbol IN ({marks})", list(symbols)
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return dt.date.fromisoformat(row[0]), dt.date.fromisoformat(row[1])


def session_count(
    db: sqlite_utils.Database, symbols: Sequence[str], end: dt.date
) -> tuple[int, dt.date | None]:
    """How many distinct sessions are stored over ``symbols`` up to ``end``, and the first."""
    if not symbols:
        return 0, None
    marks = ",".join("?" * len(symbols))
    count, first = db.execute(
        f"SELECT COUNT(DISTINCT date), MIN(date) FROM prices "
        f"WHERE symbol IN ({marks}) AND date <= ?",
        [*symbols, end.isoformat()],
    ).fetchone()
    return int(count), None if first is None else dt.date.fromisoformat(first)


def nth_session(db: sqlite_utils.Database, symbols: Sequence[str], n: int) -> dt.date | None:
    """The ``n``-th (1-based) distinct stored session over ``symbols``, or None."""
    if not symbols or n < 1:
        return None
    marks = ",".join("?" * len(symbols))
    row = db.execute(
        f"SELECT DISTINCT date FROM prices WHERE symbol IN ({marks}) "
        "ORDER BY date LIMIT 1 OFFSET ?",
        [*symbols, n - 1],
    ).fetchone()
    return None if row is None else dt.date.fromisoformat(row[0])


def stored_symbols(db: sqlite_utils.Database) -> list[str]:
    """Every symbol with at least one stored bar, sorted."""
    return [r[0] for r in db.execute("SELECT DISTINCT symbol FROM prices ORDER BY symbol")]


def load_closes(
    db: sqlite_utils.Database,
    symbols: Sequence[str],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Wide close frame: index "date" (DatetimeIndex), one float column per requested symbol.

    Columns come in the order requested; a symbol with no rows is an all-NaN column.
    SQLite concatenates each symbol's days and closes (closes printed with 17 significant
    digits, so every float round-trips exactly): 2000 symbols x 504 sessions load in well
    under a second without a million Python tuples in memory.
    """
    columns = list(symbols)
    where = [f"symbol IN ({','.join('?' * len(columns))})"] if columns else ["0"]
    params: list[str] = list(columns)
    if start is not None:
        where.append("date >= ?")
        params.append(start.isoformat())
    if end is not None:
        where.append("date <= ?")
        params.append(end.isoformat())
    rows = db.execute(
        "SELECT symbol, group_concat(CAST(julianday(date) - 2440587.5 AS INTEGER)), "
        f"group_concat(printf('%!.17g', close)) FROM prices WHERE {' AND '.join(where)} "
        "GROUP BY symbol",
        params,
    ).fetchall()
    position = {s: i for i, s in enumerate(columns)}
    days_parts, close_parts, col_parts = [], [], []
    for symbol, days, closes in rows:
        day_arr = np.array(days.split(","), dtype=np.int64)
        days_parts.append(day_arr)
        close_parts.append(np.array(closes.split(","), dtype=np.float64))
        col_parts.append(np.full(len(day_arr), position[symbol], dtype=np.int64))
    if not days_parts:
        empty = pd.DataFrame(columns=columns, dtype="float64")
        empty.index = pd.DatetimeIndex([], name="date")
        return empty
    unix_days, date_codes = np.unique(np.concatenate(days_parts), return_inverse=True)
    values = np.full((len(unix_days), len(columns)), np.nan)
    values[date_codes, np.concatenate(col_parts)] = np.concatenate(close_parts)
    index = pd.DatetimeIndex(
        unix_days.astype("datetime64[D]").astype("datetime64[ns]"), name="date"
    )
    return pd.DataFrame(values, index=index, columns=columns)


def load_bars(db: sqlite_utils.Database, symbol: str, last: int | None = None) -> pd.DataFrame:
    """One symbol's stored bars (bar contract plus source and fetched_at), oldest first."""
    sql = (
        "SELECT date, open, high, low, close, volume, source, fetched_at FROM prices "
        "WHERE symbol = ? ORDER BY date DESC"
    )
    params: list[object] = [symbol]
    if last is not None:
        sql += " LIMIT ?"
        params.append(last)
    rows = db.execute(sql, params).fetchall()
    frame = pd.DataFrame(
        rows, columns=["date", "open", "high", "low", "close", "volume", "source", "fetched_at"]
    )
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.set_index("date").sort_index()


def stored_rows(
    db: sqlite_utils.Database, symbols: Sequence[str], start: dt.date
) -> dict[str, pd.DataFrame]:
    """Stored close and source of ``symbols`` from ``start`` on: symbol -> frame indexed by
    date with columns close, source (symbols without rows are absent)."""
    if not symbols:
        return {}
    marks = ",".join("?" * len(symbols))
    rows = db.execute(
        f"SELECT symbol, date, close, source FROM prices WHERE symbol IN ({marks}) "
        "AND date >= ? ORDER BY symbol, date",
        [*symbols, start.isoformat()],
    ).fetchall()
    out: dict[str, pd.DataFrame] = {}
    frame = pd.DataFrame(rows, columns=["symbol", "date", "close", "source"])
    for symbol, part in frame.groupby("symbol", sort=False):
        index = pd.DatetimeIndex(pd.to_datetime(part["date"]), name="date")
        out[str(symbol)] = pd.DataFrame(
            {
                "close": part["close"].astype("float64").to_numpy(),
                "source": part["source"].to_numpy(),
            },
            index=index,
        )
    return out


Disagreement = tuple[str, str, str, float, str, float]


def _disagreement(row: Sequence[object]) -> Disagreement:
    symbol, date, stored_source, stored_close, other_source, other_close = row
    return (str(symbol), str(date), str(stored_source), float(str(stored_close)),
            str(other_source), float(str(other_close)))  # fmt: skip


def record_disagreements(
    db: sqlite_utils.Database, found: Sequence[Disagreement], seen_at: dt.datetime
) -> list[Disagreement]:
    """Keep (symbol, date, stored source, stored close, other source, other close) rows not
    seen before; return those that are new."""
    new: list[Disagreement] = []
    stamp = seen_at.isoformat(timespec="seconds")
    with transaction(db) as conn:
        for row in found:
            cur = conn.execute(
                "INSERT OR IGNORE INTO price_disagreements (symbol, date, stored_source, "
                "stored_close, other_source, other_close, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [*row, stamp],
            )
            if cur.rowcount:
                new.append(row)
    return new


def untold_disagreements(db: sqlite_utils.Database) -> list[Disagreement]:
    """Disagreements the operators have not been told of yet, oldest first."""
    rows = db.execute(
        "SELECT symbol, date, stored_source, stored_close, other_source, other_close "
        "FROM price_disagreements WHERE told = 0 ORDER BY date, symbol"
    ).fetchall()
    return [_disagreement(r) for r in rows]


def mark_disagreements_told(db: sqlite_utils.Database, found: Sequence[Disagreement]) -> None:
    """Remember that the operators were told of ``found``."""
    with transaction(db) as conn:
        conn.executemany(
            "UPDATE price_disagreements SET told = 1 "
            "WHERE symbol = ? AND date = ? AND other_source = ?",
            [(r[0], r[1], r[4]) for r in found],
        )


def recent_disagreements(db: sqlite_utils.Database, limit: int = 20) -> list[Disagreement]:
    """The latest disagreements (for /status), newest session first."""
    rows = db.execute(
        "SELECT symbol, date, stored_source, stored_close, other_source, other_close "
        "FROM price_disagreements ORDER BY date DESC, symbol LIMIT ?",
        [limit],
    ).fetchall()
    return [_disagreement(r) for r in rows]


def latest_sources(db: sqlite_utils.Database, symbols: Sequence[str]) -> dict[str, str]:
    """The source of each symbol's newest stored row (symbols without rows are absent)."""
    if not symbols:
        return {}
    marks = ",".join("?" * len(symbols))
    rows = db.execute(
        f"SELECT p.symbol, p.source FROM prices p JOIN (SELECT symbol, MAX(date) AS d FROM prices "
        f"WHERE symbol IN ({marks}) GROUP BY symbol) m ON p.symbol = m.symbol AND p.date = m.d",
        list(symbols),
    ).fetchall()
    return {str(symbol): str(source) for symbol, source in rows}


def load_sources(
    db: sqlite_utils.Database, symbols: Sequence[str], end: dt.date | None = None
) -> dict[str, dict[str, str]]:
    """symbol -> {ISO date: source} of its stored rows up to ``end``."""
    if not symbols:
        return {}
    marks = ",".join("?" * len(symbols))
    sql = f"SELECT symbol, date, source FROM prices WHERE symbol IN ({marks})"
    params: list[str] = list(symbols)
    if end is not None:
        sql += " AND date <= ?"
        params.append(end.isoformat())
    out: dict[str, dict[str, str]] = {}
    for symbol, date, source in db.execute(sql, params).fetchall():
        out.setdefault(str(symbol), {})[str(date)] = str(source)
    return out


def disagreements_for(db: sqlite_utils.Database, symbols: Sequence[str]) -> list[Disagreement]:
    """Every kept disagreement about ``symbols``, oldest first."""
    if not symbols:
        return []
    marks = ",".join("?" * len(symbols))
    rows = db.execute(
        "SELECT symbol, date, stored_source, stored_close, other_source, other_close "
        f"FROM price_disagreements WHERE symbol IN ({marks}) ORDER BY date, symbol",
        list(symbols),
    ).fetchall()
    return [_disagreement(r) for r in rows]
