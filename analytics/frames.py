"""Shared frame plumbing: cut at ``asof``, last valid rows, rolling stats over valid closes.

A price frame ("closes") has a tz-naive DatetimeIndex of session dates, one column per
symbol, float closes and NaN where a symbol has no close. Windows count rows (sessions).
Nothing here mutates its input.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.types import UnknownSymbol


def upto(closes: pd.DataFrame, asof: dt.date) -> pd.DataFrame:
    """Rows on or before ``asof`` (a view-free copy is not made; callers must not mutate)."""
    stop = closes.index.searchsorted(pd.Timestamp(asof), side="right")
    return closes.iloc[:stop]


def last_session(closes: pd.DataFrame, asof: dt.date) -> dt.date:
    """The last row date on or before ``asof``; raise UnknownSymbol('*') for an empty frame."""
    cut = upto(closes, asof)
    if cut.empty:
        raise UnknownSymbol("*")
    return cut.index[-1].date()


def column(closes: pd.DataFrame, symbol: str) -> pd.Series:
    """One symbol's closes; raise UnknownSymbol when absent or all NaN."""
    if symbol not in closes.columns:
        raise UnknownSymbol(symbol)
    series = closes[symbol]
    if series.notna().sum() == 0:
        raise UnknownSymbol(symbol)
    return series.astype("float64")


def last_valid_rows(values: np.ndarray) -> np.ndarray:
    """Per column, the row of the last non-NaN value (-1 when the column is all NaN)."""
    valid = ~np.isnan(values)
    rows = values.shape[0] - 1 - np.argmax(valid[::-1], axis=0)
    return np.where(valid.any(axis=0), rows, -1)


def ffill_values(values: np.ndarray) -> np.ndarray:
    """Forward-fill NaN down each column (used only to look up 'last close on or before')."""
    valid = ~np.isnan(values)
    idx = np.where(valid, np.arange(values.shape[0])[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    filled = values[idx, np.arange(values.shape[1])]
    # rows before a column's first close stay NaN
    before_first = np.cumsum(valid, axis=0) == 0
    filled[before_first] = np.nan
    return filled


def gappy_columns(frame: pd.DataFrame) -> list[str]:
    """Columns with a NaN between their first and last valid value."""
    values = frame.to_numpy(dtype="float64")
    valid = ~np.isnan(values)
    if values.shape[0] == 0:
        return []
    first = np.argmax(valid, axis=0)
    last = last_valid_rows(values)
    count = valid.sum(axis=0)
    mask = (count > 0) & (count < last - first + 1)
    return [c for c, m in zip(frame.columns, mask, strict=True) if m]


def rolling_valid(
    frame: pd.DataFrame, window: int, how: str, min_periods: int | None = None
) -> pd.DataFrame:
    """Rolling ``how`` ("mean" or "std", ddof 1) over the last ``window`` valid values.

    A row where a column is NaN stays NaN. Dense columns take the vectorised path; a column
    with interior gaps is rolled over its valid values only, so one missing close does not
    blank out the next ``window`` sessions. ``min_periods`` defaults to the full window.
    """
    least = window if min_periods is None else min_periods
    out = getattr(frame.rolling(window, min_periods=least), how)()
    for name in gappy_columns(frame):
        valid = frame[name].dropna()
        rolled = getattr(valid.rolling(window, min_periods=least), how)()
        out[name] = rolled.reindex(frame.index)
    return out.where(frame.notna())


def shift_valid(frame: pd.DataFrame, periods: int) -> pd.DataFrame:
    """Each column's value ``periods`` valid closes earlier (NaN where the column is NaN)."""
    out = frame.shift(periods)
    for name in gappy_columns(frame):
        valid = frame[name].dropna()
        out[name] = valid.shift(periods).reindex(frame.index)
    return out.where(frame.notna())


def to_date(value: pd.Timestamp) -> dt.date:
    """A session timestamp as a date."""
    return dt.date(value.year, value.month, value.day)


def opt(value: float) -> float | None:
    """A float, or None for NaN / inf."""
    number = float(value)
    return number if np.isfinite(number) else None
