"""Chats' baskets and watchlists in one pass equal the one-at-a-time functions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.baskets import basket_index
from analytics.boards import member_zones
from analytics.custom import basket_levels, watch_rows
from analytics.snapshot import quadrant_tails
from analytics.types import BasketSpec, BoardSpec, QuadrantParams

ASOF = dt.date(2026, 2, 27)


def test_all_baskets_at_once_equal_basket_index(bundled_closes: pd.DataFrame) -> None:
    closes = bundled_closes.copy()
    closes.loc["2025-06-02":"2025-06-06", "KRE"] = np.nan  # a member without closes for a week
    closes.loc[:"2024-09-30", "XLC"] = np.nan  # a member listed late
    rng = np.random.default_rng(3)
    names = [c for c in closes.columns if not c.startswith("^")]
    baskets = [
        BasketSpec(f"B{i}", f"B{i}", tuple(rng.choice(names, int(rng.integers(2, 12)), False)))
        for i in range(40)
    ] + [BasketSpec("KX", "KX", ("KRE", "XLC"))]
    levels, coverage = basket_levels(closes, baskets, ASOF)
    for j, basket in enumerate(baskets):
        level, cover = basket_index(closes, basket, ASOF)
        np.testing.assert_allclose(levels[str(j)].to_numpy(), level.to_numpy(), rtol=1e-12)
        assert (coverage[str(j)].to_numpy() == cover.to_numpy()).all()


def test_watchlists_equal_the_quadrant_and_the_board_zones(bundled_closes: pd.DataFrame) -> None:
    params = QuadrantParams()
    wanted = {1: (["XLK", "IWM", "QQQ"], "SPY"), 2: (["XLK", "SPY"], "IWM"), 3: (["NOPE"], "SPY")}
    rows = watch_rows(bundled_closes, wanted, ASOF, params)
    assert rows[3] == []
    for chat, (names, bench) in wanted.items():
        trails = quadrant_tails(bundled_closes, names, bench, ASOF, params)
        board = BoardSpec("w", "w", bench, tuple((n, n) for n in names if n in trails))
        ratio = bundled_closes.loc[: pd.Timestamp(ASOF), list(board.symbols)].div(
            bundled_closes.loc[: pd.Timestamp(ASOF), bench], axis=0
        )
        zones = member_zones(ratio, board, params)
        assert [r.symbol for r in rows[chat]] == [n for n in names if n in trails]
        for row in rows[chat]:
            trail = trails[row.symbol]
            assert trail.current is not None
            assert row.strength == trail.current.strength
            assert row.momentum == trail.current.momentum
            assert row.quadrant == trail.current.quadrant
            assert row.zone == zones[row.symbol][0]
