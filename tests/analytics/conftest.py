"""Fixtures for analytics tests: the bundled real closes, a universe, frame builders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.types import BasketSpec, PairSpec, RegimeParams, Universe

PRICES = Path(__file__).resolve().parents[2] / "market" / "data" / "prices"
INDEX_FILES = {"RUT": "^RUT", "GSPC": "^GSPC", "IXIC": "^IXIC", "VIX": "^VIX", "TNX": "^TNX",
               "IRX": "^IRX"}  # fmt: skip
MAG7 = ("AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "META", "TSLA")


def load_bundled() -> pd.DataFrame:
    """The bundled csv closes as one frame (columns named as users see the symbols)."""
    columns = {}
    for path in sorted(PRICES.glob("*.csv")):
        bars = pd.read_csv(path, parse_dates=["date"], index_col="date")
        columns[INDEX_FILES.get(path.stem, path.stem)] = bars["close"].astype("float64")
    frame = pd.DataFrame(columns).sort_index()
    frame.index.name = "date"
    return frame


@pytest.fixture(scope="session")
def bundled_closes() -> pd.DataFrame:
    return load_bundled()


@pytest.fixture
def closes(bundled_closes: pd.DataFrame) -> pd.DataFrame:
    """A private copy of the bundled closes, safe to compare after a call."""
    return bundled_closes.copy()


@pytest.fixture(scope="session")
def universe() -> Universe:
    pairs = (
        PairSpec("IWM", "SPY", "Small caps vs S&P 500", RegimeParams(band=0.01)),
        PairSpec("^RUT", "^GSPC", "Russell 2000 vs S&P 500 (price)", RegimeParams(band=0.01)),
        PairSpec("RSP", "SPY", "Equal weight vs cap weight"),
        PairSpec("IJR", "SPY", "S&P 600 vs S&P 500"),
        PairSpec("KRE", "XLF", "Regional banks vs financials"),
        PairSpec("IWM", "MAG7", "Small caps vs MAG7"),
    )
    return Universe(
        pairs=pairs,
        baskets=(BasketSpec("MAG7", "Magnificent Seven", MAG7),),
        context=("^VIX", "^TNX", "^IRX"),
        members=("IWM", "RSP", "IJR", "KRE", "MDY", "QQQ", "IWN", "IWO"),
        presets={"core": ("IWM/SPY", "RSP/SPY", "IJR/SPY", "^RUT/^GSPC")},
    )


def frame(dates: list[str] | pd.DatetimeIndex, **columns: list[float]) -> pd.DataFrame:
    """A closes frame from explicit dates and per-symbol values (NaN allowed)."""
    index = pd.DatetimeIndex(pd.to_datetime(list(dates)), name="date")
    data = {k.replace("_caret_", "^"): np.asarray(v, dtype="float64") for k, v in columns.items()}
    return pd.DataFrame(data, index=index)


def sessions(start: str, count: int) -> pd.DatetimeIndex:
    """``count`` weekday sessions from ``start`` (synthetic calendar)."""
    return pd.bdate_range(start, periods=count, name="date")


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
