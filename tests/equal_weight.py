"""An equal-weight basket computed here, from csv files with pandas, without the project's
analytics: the reference the chats' baskets are checked against.

Each session the level moves by the plain mean of the daily returns of the members that
closed on that session and on the one before (others are left out that day, never filled
in); it starts at 100. On a session where fewer than 75 % of the members closed it has no
level (the chain of returns carries on under it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd


def read_closes(folder: Path, symbols: Sequence[str]) -> pd.DataFrame:
    """The ``close`` column of ``folder/<SYMBOL>.csv`` (caret dropped), one column each, on
    the union of their dates."""
    columns = {}
    for symbol in symbols:
        frame = pd.read_csv(folder / f"{symbol.lstrip('^')}.csv", parse_dates=["date"])
        columns[symbol] = frame.set_index("date")["close"].astype(float)
    return pd.DataFrame(columns).sort_index()


def equal_weight(closes: pd.DataFrame) -> pd.Series:
    """The equal-weight, daily-rebalanced level of the columns of ``closes``."""
    daily = closes / closes.shift(1) - 1.0
    mean = daily.mean(axis=1, skipna=True).fillna(0.0)
    mean.iloc[0] = 0.0
    level = 100.0 * (1.0 + mean).cumprod()
    needed = max(1, math.ceil(0.75 * closes.shape[1] - 1e-9))
    return level.where(closes.notna().sum(axis=1) >= needed)


def change(series: pd.Series, sessions: int) -> float:
    """The series' return over the last ``sessions`` rows (a fraction)."""
    clean = series.dropna()
    return float(clean.iloc[-1] / clean.iloc[-1 - sessions] - 1.0)
