"""Equal-weight, daily-rebalanced basket indexes built from member closes.

The level starts at 100 on the first session where a member has a close. Each session the
level moves by the mean of the daily returns of the members that have a close on that
session and on the session before; a member without one is left out that day (never
filled with a made-up price) and the coverage reports how many members had a close.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.frames import upto
from analytics.types import BasketSpec, UnknownSymbol

BASE_LEVEL = 100.0


def basket_index(
    closes: pd.DataFrame, basket: BasketSpec, asof: dt.date
) -> tuple[pd.Series, pd.Series]:
    """(level, coverage) per session <= asof; level NaN where no member has a close.

    coverage is the count of members with a close that session (int). Members absent from
    the frame count as missing every day. The level is NaN on sessions where fewer than
    ``basket.min_members`` members closed (the chain of daily returns carries on under it,
    so the level resumes where it would be). Raise UnknownSymbol(name) if no member has data.
    """
    cut = upto(closes, asof)
    present = [m for m in basket.members if m in cut.columns]
    values = cut[present].to_numpy(dtype="float64") if present else np.empty((len(cut), 0))
    has_close = ~np.isnan(values)
    coverage = has_close.sum(axis=1)
    if not coverage.any():
        raise UnknownSymbol(basket.name)
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = np.full_like(values, np.nan)
        daily[1:] = values[1:] / values[:-1] - 1.0
        counted = ~np.isnan(daily)
        mean = np.where(
            counted.any(axis=1), np.nansum(daily, axis=1) / np.maximum(counted.sum(axis=1), 1), 0
        )
    first = int(np.argmax(coverage > 0))
    mean[: first + 1] = 0.0
    level = BASE_LEVEL * np.cumprod(1.0 + mean)
    level[coverage < basket.min_members] = np.nan
    level[coverage == 0] = np.nan
    level[:first] = np.nan
    index = cut.index
    return (
        pd.Series(level, index=index, name=basket.name, dtype="float64"),
        pd.Series(coverage, index=index, name=basket.name, dtype="int64"),
    )


def basket_total_return(basket: BasketSpec) -> bool:
    """A basket of adjusted tradables is total return; any caret index member makes it not."""
    return all(not m.startswith("^") for m in basket.members)
