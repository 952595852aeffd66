"""The views chat answers are rendered from: built by ``bot.queries.readapi``, drawn by
``bot.render``. They live here, beside both and below both, so that the renderers take views
without importing the queries that build them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.types import BasketStats, BoardStats, PairStats, QuadrantParams, SymbolStats


@dataclass(frozen=True)
class TickerView:
    """One symbol or basket: stats, spreads against reference symbols, rotation role."""

    session: dt.date
    stats: SymbolStats
    label: str | None
    basket: BasketStats | None
    relative: dict[str, PairStats]
    roles: tuple[tuple[PairStats, str], ...]
    in_baskets: tuple[str, ...]
    series: pd.Series


@dataclass(frozen=True)
class PairView:
    """One pair: stats and its chart series (ratio, trend, bands, regime state)."""

    session: dt.date
    stats: PairStats
    series: pd.DataFrame
    in_universe: bool


@dataclass(frozen=True)
class WatchView:
    """A chat's watchlist against its benchmark on ``session``: ``board`` is the sector
    board's shape (leaders first; None when the list is empty), ``params`` the quadrant's."""

    session: dt.date
    benchmark: str
    symbols: tuple[str, ...]
    board: BoardStats | None
    params: QuadrantParams
