"""Freshness on real ragged closes: stale pairs keep their own date and leave score and
breadth; baskets need a share of fresh members; returns say when they span a gap."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analytics.baskets import basket_index
from analytics.snapshot import build_snapshot
from analytics.types import HORIZON_SESSIONS, HORIZONS, BasketSpec, Universe

from .conftest import MAG7, day

ASOF = day("2026-03-31")


def _cut(closes: pd.DataFrame, symbol: str, last: str) -> pd.DataFrame:
    out = closes.copy()
    out.loc[out.index > pd.Timestamp(last), symbol] = np.nan
    return out


def test_a_pair_with_a_stale_leg_keeps_its_own_date_and_leaves_score_and_breadth(
    closes: pd.DataFrame, universe: Universe
) -> None:
    full = build_snapshot(closes, universe, ASOF)
    snap = build_snapshot(_cut(closes, "RSP", "2026-03-20"), universe, ASOF)
    assert snap.session == ASOF
    assert snap.stale_pairs == {"RSP/SPY": day("2026-03-20")}
    assert snap.pairs["RSP/SPY"].last_date == day("2026-03-20")
    assert not snap.is_fresh("RSP/SPY")
    assert snap.is_fresh("IWM/SPY")
    assert snap.scoreboard.excluded == ("RSP/SPY",)
    assert snap.scoreboard.themes_total == full.scoreboard.themes_total - 1
    assert snap.breadth.excluded == ("RSP/SPY",)
    assert snap.breadth.state is None  # the participation pair is stale: no verdict
    assert snap.breadth.detail["RSP/SPY"] is None
    assert snap.pairs["IWM/SPY"] == full.pairs["IWM/SPY"]  # other pairs are untouched
    assert snap.stale == ("RSP",)


def test_a_non_pair_symbol_going_stale_changes_no_pair(
    closes: pd.DataFrame, universe: Universe
) -> None:
    full = build_snapshot(closes, universe, ASOF)
    snap = build_snapshot(_cut(closes, "MDY", "2025-12-26"), universe, ASOF)
    assert snap.stale_pairs == {}
    assert snap.pairs == full.pairs
    assert snap.scoreboard == full.scoreboard
    assert snap.breadth == full.breadth
    assert snap.symbols["MDY"].last_date == day("2025-12-26")


def test_a_basket_needs_its_share_of_fresh_members(
    closes: pd.DataFrame, universe: Universe
) -> None:
    one_gone = _cut(closes, "TSLA", "2026-03-20")  # 6 of 7 still close: above 75 %
    snap = build_snapshot(one_gone, universe, ASOF)
    basket = snap.baskets["MAG7"]
    assert (basket.coverage, basket.size, basket.missing) == (6, 7, ("TSLA",))
    assert basket.last_date == ASOF
    assert snap.is_fresh("IWM/MAG7")

    two_gone = _cut(one_gone, "NVDA", "2026-03-25")  # 5 of 7: below the share
    snap = build_snapshot(two_gone, universe, ASOF)
    basket = snap.baskets["MAG7"]
    assert (basket.coverage, basket.min_members) == (5, 6)
    assert basket.missing == ("NVDA", "TSLA")
    assert basket.last_date == day("2026-03-25")  # coverage counts the session shown
    assert snap.stale_pairs == {"IWM/MAG7": day("2026-03-25")}

    relaxed = replace(universe, baskets=(replace(universe.baskets[0], min_share=0.7),))
    assert build_snapshot(two_gone, relaxed, ASOF).stale_pairs == {}


def test_the_basket_level_is_blank_while_too_few_members_close(closes: pd.DataFrame) -> None:
    basket = BasketSpec("MAG7", "m", MAG7)
    halted = closes.copy()
    gap = pd.Timestamp("2026-03-11"), pd.Timestamp("2026-03-13")
    halted.loc[gap[0] : gap[1], ["AAPL", "MSFT"]] = np.nan
    level, coverage = basket_index(halted, basket, ASOF)
    assert level.loc[gap[0] : gap[1]].isna().all()
    assert (coverage.loc[gap[0] : gap[1]] == 5).all()
    assert level.loc["2026-03-16" : ASOF.isoformat()].notna().all()
    assert level.loc[:"2026-03-10"].equals(basket_index(closes, basket, ASOF)[0].loc[:"2026-03-10"])


def test_returns_over_a_window_with_missing_sessions_say_so(
    closes: pd.DataFrame, universe: Universe
) -> None:
    halted = closes.copy()
    halted.loc[pd.Timestamp("2026-03-25") : pd.Timestamp("2026-03-27"), "KRE"] = np.nan
    stats = build_snapshot(halted, universe, ASOF).symbols["KRE"]
    assert stats.last_date == ASOF
    assert stats.gaps == {"1w": 3, "1m": 3, "3m": 3, "ytd": 3, "1y": 3}
    # 1D is measured from the last close before today's, which is not in the gap
    assert stats.returns["1d"] == pytest.approx(
        closes.loc["2026-03-31", "KRE"] / closes.loc["2026-03-30", "KRE"] - 1
    )
    assert build_snapshot(closes, universe, ASOF).symbols["KRE"].gaps == {}


def _spanned(closes: pd.DataFrame, dropped: list[pd.Timestamp]) -> dict[str, int]:
    """Per horizon, how many dropped sessions lie in [base session, ASOF] (an oracle built
    from the intact session list, independent of the code under test)."""
    sessions = pd.DatetimeIndex(closes.index)
    pos = sessions.get_loc(pd.Timestamp(ASOF))
    out = {}
    for horizon in HORIZONS:
        count = HORIZON_SESSIONS[horizon]
        previous_year = sessions[sessions.year < ASOF.year]
        base = previous_year[-1] if count is None else sessions[pos - count]
        spanned = sum(base <= day <= pd.Timestamp(ASOF) for day in dropped)
        if spanned:
            out[horizon] = spanned
    return out


@pytest.mark.parametrize(
    ("leg", "dropped"),
    [
        ("KRE", ["2026-03-25", "2026-03-26", "2026-03-27"]),  # a halt of leg A: all but 1D
        ("SPY", ["2026-03-10"]),  # leg B, before the 1W window: 1M and longer only
        ("KRE", ["2026-03-24"]),  # the 1W base session itself: 1W is measured from 03-23
        ("KRE", ["2026-03-23"]),  # the session before the 1W base: 1W is not affected
        ("KRE", ["2026-03-31"]),  # the last session: the pair is stale, no window spans it
    ],
)
def test_pair_spreads_over_a_window_with_missing_sessions_say_so(
    closes: pd.DataFrame, universe: Universe, leg: str, dropped: list[str]
) -> None:
    days = [pd.Timestamp(d) for d in dropped]
    halted = closes.copy()
    halted.loc[days, leg] = np.nan
    snap = build_snapshot(halted, universe, ASOF)
    for key, stats in snap.pairs.items():
        if leg not in (stats.a, stats.b):
            assert stats.gaps == {}, key
            assert stats.gap_legs == (), key
            continue
        last = pd.Timestamp(stats.last_date)
        expected = _spanned(closes, days) if last == pd.Timestamp(ASOF) else {}
        assert stats.gaps == expected, key
        assert stats.gap_legs == ((leg,) if expected else ()), key
    kre = snap.pairs["KRE/XLF"]
    if "1w" in kre.gaps:  # measured from the last close of both legs before the gap
        base = max(d for d in closes.index[closes.index < min(days)])
        a, b = (
            closes.loc[[base, pd.Timestamp(ASOF)], "KRE"],
            closes.loc[[base, pd.Timestamp(ASOF)], "XLF"],
        )
        assert kre.spreads_pp["1w"] == pytest.approx(
            100 * (a.iloc[1] / a.iloc[0] - b.iloc[1] / b.iloc[0])
        )


def test_pair_spreads_of_intact_data_have_no_gap_marks(
    closes: pd.DataFrame, universe: Universe
) -> None:
    snap = build_snapshot(closes, universe, ASOF)
    assert snap.pairs
    assert all(stats.gaps == {} for stats in snap.pairs.values())
    assert all(stats.gap_legs == () for stats in snap.pairs.values())


def test_a_gap_in_both_legs_names_both(closes: pd.DataFrame, universe: Universe) -> None:
    halted = closes.copy()
    halted.loc[pd.Timestamp("2026-03-26"), "KRE"] = np.nan
    halted.loc[pd.Timestamp("2026-03-12"), "XLF"] = np.nan
    kre = build_snapshot(halted, universe, ASOF).pairs["KRE/XLF"]
    assert kre.gaps == {"1w": 1, "1m": 2, "3m": 2, "ytd": 2, "1y": 2}
    assert kre.gap_legs == ("KRE", "XLF")
