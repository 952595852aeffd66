"""Per-symbol returns over the standard horizons, 52-week range and maximum drawdown.

All vectorised across columns. Each symbol is measured at its own last close on or before
``asof``; a horizon of h sessions compares with the last close on or before the row h
sessions earlier; YTD compares with the last close of the previous calendar year. Returns
are fractions; yields (``^TNX``, ``^IRX``) and volatility (``^VIX``) are levels: their
changes are basis points and index points, with no returns and no drawdown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from analytics.constants import YEAR_SESSIONS
from analytics.frames import column, ffill_values, last_valid_rows, opt, to_date, upto
from analytics.types import (
    HORIZON_SESSIONS,
    HORIZONS,
    VOLATILITY_SYMBOLS,
    YIELD_SYMBOLS,
    SeriesKind,
    SymbolStats,
    UnknownSymbol,
)


def is_yield(symbol: str) -> bool:
    """True for yields quoted in percent (changes in bp, not returns)."""
    return symbol in YIELD_SYMBOLS


def series_kind(symbol: str) -> SeriesKind:
    """ "yield" (^TNX, ^IRX ...), "volatility" (^VIX ...) or "price"."""
    if symbol in YIELD_SYMBOLS:
        return "yield"
    if symbol in VOLATILITY_SYMBOLS:
        return "volatility"
    return "price"


def is_total_return(symbol: str) -> bool:
    """Adjusted closes of tradables are total return; caret indexes and yields are not."""
    return not symbol.startswith("^") and series_kind(symbol) == "price"


def base_values(levels: pd.DataFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Per horizon, each column's reference level for a measurement at ``rows`` (NaN if none)."""
    values = levels.to_numpy(dtype="float64")
    filled = ffill_values(values)
    cols = np.arange(values.shape[1])
    out: dict[str, np.ndarray] = {}
    for horizon, base_rows in horizon_base_rows(levels.index, rows).items():
        ok = (base_rows >= 0) & (rows >= 0)
        picked = filled[np.clip(base_rows, 0, None), cols] if len(cols) else np.array([])
        out[horizon] = np.where(ok, picked, np.nan)
    return out


def horizon_base_rows(index: pd.Index, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Per horizon, the row each measurement at ``rows`` compares with (negative: none)."""
    out: dict[str, np.ndarray] = {}
    for horizon in HORIZONS:
        sessions = HORIZON_SESSIONS[horizon]
        out[horizon] = _ytd_rows(index, rows) if sessions is None else rows - sessions
    return out


def _ytd_rows(index: pd.Index, rows: np.ndarray) -> np.ndarray:
    """Row of the previous calendar year's last session for each measurement row."""
    # The index is sorted: the first session on or after 1 January of a year is the first
    # row whose year is that year or later (no dates parsed per call).
    row_years = pd.DatetimeIndex(index).year.to_numpy()
    years = row_years[np.clip(rows, 0, None)]
    return np.searchsorted(row_years, years, side="left") - 1


def horizon_returns(levels: pd.DataFrame, asof: dt.date) -> pd.DataFrame:
    """Returns (fractions) per column (rows) and horizon (columns), at each last close <= asof.

    NaN where history is too short. Yields get the same arithmetic here; use
    ``symbol_stats`` for basis-point changes.
    """
    cut = upto(levels, asof)
    values = cut.to_numpy(dtype="float64")
    rows = last_valid_rows(values)
    last = values[np.clip(rows, 0, None), np.arange(values.shape[1])]
    bases = base_values(cut, rows)
    table = {h: last / bases[h] - 1.0 for h in HORIZONS}
    return pd.DataFrame(table, index=cut.columns, columns=list(HORIZONS))


def _window_stats(values: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """52-week high, low (last 252 rows) and max drawdown (last 253 closes), per column."""
    count = values.shape[1]
    high, low, mdd = (np.full(count, np.nan) for _ in range(3))
    for row in np.unique(rows[rows >= 0]):
        cols = np.flatnonzero(rows == row)
        block = values[max(0, row - YEAR_SESSIONS + 1) : row + 1, cols]
        high[cols] = np.nanmax(block, axis=0)
        low[cols] = np.nanmin(block, axis=0)
        span = ffill_values(values[max(0, row - YEAR_SESSIONS) : row + 1, cols])
        peak = np.fmax.accumulate(span, axis=0)
        mdd[cols] = np.nanmin(span / peak - 1.0, axis=0)
    return high, low, mdd


def all_symbol_stats(
    closes: pd.DataFrame, symbols: Iterable[str], asof: dt.date
) -> dict[str, SymbolStats]:
    """SymbolStats for every listed symbol present with at least one close <= asof."""
    wanted = [s for s in dict.fromkeys(symbols) if s in closes.columns]
    cut = upto(closes, asof)[wanted]
    values = cut.to_numpy(dtype="float64")
    rows = last_valid_rows(values)
    cols = np.arange(values.shape[1])
    last = values[np.clip(rows, 0, None), cols] if len(cols) else np.array([])
    bases = base_values(cut, rows)
    gaps = window_gaps(cut, rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        high, low, mdd = _window_stats(values, rows)
    out: dict[str, SymbolStats] = {}
    for i, symbol in enumerate(wanted):
        if rows[i] < 0:
            continue
        stats = _one_stats(symbol, cut.index[rows[i]], last[i], bases, i, high, low, mdd)
        spans = {h: int(g[i]) for h, g in gaps.items() if g[i] > 0}
        out[symbol] = replace(stats, gaps=spans) if spans else stats
    return out


def window_gaps(levels: pd.DataFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Per horizon, how many sessions inside each column's return window have no close.

    The window runs from the horizon's base row to the measurement row ``rows``; a session
    of the frame where the column is NaN (a halt, a dropped row) inside it means the return
    spans a gap (the base is then the last close before it). 0 where there is none.
    """
    values = levels.to_numpy(dtype="float64")
    missing = np.cumsum(np.isnan(values), axis=0)
    return gap_counts(missing, rows, horizon_base_rows(levels.index, rows))


def gap_counts(
    missing: np.ndarray, rows: np.ndarray, base_rows: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per horizon, sessions without a value inside each column's window (base row .. row).

    ``missing`` is the running count of sessions without a value, per column (T x N, a
    cumulative sum down each column); ``base_rows`` as from ``horizon_base_rows``.
    """
    count = missing.shape[1] if missing.ndim == 2 else 0
    if count == 0 or missing.shape[0] == 0:
        return {h: np.zeros(count, dtype=np.int64) for h in base_rows}
    cols = np.arange(count)
    at_row = missing[np.clip(rows, 0, None), cols]
    out: dict[str, np.ndarray] = {}
    for horizon, base in base_rows.items():
        before = np.where(base > 0, missing[np.clip(base - 1, 0, None), cols], 0)
        ok = (base >= 0) & (rows >= 0)
        out[horizon] = np.where(ok, at_row - before, 0)
    return out


def _one_stats(
    symbol: str,
    date: pd.Timestamp,
    last: float,
    bases: dict[str, np.ndarray],
    i: int,
    high: np.ndarray,
    low: np.ndarray,
    mdd: np.ndarray,
) -> SymbolStats:
    kind = series_kind(symbol)
    level = kind != "price"
    returns = {h: None if level else opt(last / bases[h][i] - 1.0) for h in HORIZONS}
    change = {h: opt(last - bases[h][i]) for h in HORIZONS}
    return SymbolStats(
        symbol=symbol,
        last_date=to_date(date),
        last_close=float(last),
        returns=returns,
        high_52w=opt(high[i]),
        low_52w=opt(low[i]),
        off_high=None if level else opt(last / high[i] - 1.0),
        off_low=None if level else opt(last / low[i] - 1.0),
        max_drawdown_1y=None if level else opt(mdd[i]),
        total_return=is_total_return(symbol),
        is_yield=kind == "yield",
        changes_bp={h: None if v is None else v * 100.0 for h, v in change.items()}
        if kind == "yield"
        else {},
        kind=kind,
        changes_pts=change if kind == "volatility" else {},
    )


def symbol_stats(closes: pd.DataFrame, symbol: str, asof: dt.date) -> SymbolStats:
    """SymbolStats for one symbol (ad-hoc /ticker); raise UnknownSymbol without a close."""
    column(upto(closes, asof), symbol)  # raises UnknownSymbol when absent or empty
    stats = all_symbol_stats(closes, [symbol], asof)
    if symbol not in stats:
        raise UnknownSymbol(symbol)
    return stats[symbol]
