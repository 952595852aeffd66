"""Snapshot: round trip, baskets, breadth, scoreboard, quadrants, asof cut, bundled facts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analytics.baskets import basket_index
from analytics.frames import upto
from analytics.pairs import compute_pairs, pair_history, stats_on_or_before
from analytics.quadrant import QUADRANTS
from analytics.snapshot import build_snapshot, quadrant_tails
from analytics.types import (
    BasketSpec,
    PairSpec,
    QuadrantParams,
    RegimeParams,
    Snapshot,
    Universe,
    UnknownSymbol,
)

from .conftest import day, frame, sessions


def test_snapshot_round_trips_exactly_through_json(
    closes: pd.DataFrame, universe: Universe
) -> None:
    snap = build_snapshot(closes, universe, day("2026-03-31"))
    text = json.dumps(snap.to_dict(), allow_nan=False)
    assert Snapshot.from_dict(json.loads(text)) == snap


def test_weekend_asof_uses_the_last_session_and_ignores_later_rows(
    closes: pd.DataFrame, universe: Universe
) -> None:
    snap = build_snapshot(closes, universe, day("2026-03-29"))  # a Sunday
    assert snap.session == day("2026-03-27")
    truncated = build_snapshot(closes.loc[:"2026-03-27"], universe, day("2026-03-29"))
    assert truncated == snap


def test_empty_frame_before_asof_raises(closes: pd.DataFrame, universe: Universe) -> None:
    with pytest.raises(UnknownSymbol):
        build_snapshot(closes, universe, day("2023-01-01"))


def test_bundled_regime_matches_a_plain_reference_loop(
    closes: pd.DataFrame, universe: Universe
) -> None:
    """An independent arithmetic-average regime (SMA, T*(1-b); README, regime) agrees."""
    asof = day("2026-03-31")
    snap = build_snapshot(closes, universe, asof)
    ratio = (closes["IWM"] / closes["SPY"]).loc[:"2026-03-31"]
    trend = ratio.rolling(50).mean()
    state, up, down, changes = None, 0, 0, []
    for date, r, t in zip(ratio.index, ratio, trend, strict=True):
        if np.isnan(t):
            continue
        up = up + 1 if r > t * 1.01 else 0
        down = down + 1 if r < t * 0.99 else 0
        new = "A" if up >= 3 and state != "A" else "B" if down >= 3 and state != "B" else state
        if new != state:
            changes.append((date.date(), new))
        state = new
    pair = snap.pairs["IWM/SPY"]
    assert (pair.regime.state, pair.regime.since) == (changes[-1][1], changes[-1][0])
    assert [(f.date, f.direction) for f in pair.flips] == changes[1:]
    assert pair.a_total_return
    assert pair.b_total_return
    index_pair = snap.pairs["^RUT/^GSPC"]
    assert not index_pair.a_total_return
    assert not index_pair.b_total_return


def test_basket_leaves_out_a_member_without_a_close() -> None:
    dates = sessions("2025-05-05", 4)
    closes = frame(dates, X=[10.0, 11.0, 12.1, 13.31], Y=[20.0, np.nan, 20.0, 30.0])
    basket = BasketSpec("XY", "x and y", ("X", "Y", "Z"), min_share=0.3)
    level, coverage = basket_index(closes, basket, dates[-1].date())
    # day 1: only X has a return (+10 %); day 2: Y has no close the day before, X +10 %;
    # day 3: mean of X +10 % and Y +50 %
    expected = [100.0, 110.0, 121.0, 121.0 * 1.3]
    assert level.tolist() == pytest.approx(expected, rel=1e-12)
    assert coverage.tolist() == [2, 1, 2, 2]


def test_basket_stats_report_coverage_and_missing_members() -> None:
    dates = sessions("2025-05-05", 3)
    closes = frame(dates, X=[10.0, 11.0, 12.0], Y=[20.0, 21.0, np.nan], SPY=[1.0, 1.0, 1.0])
    uni = Universe(pairs=(), baskets=(BasketSpec("XY", "x and y", ("X", "Y", "Z"), min_share=0.3),))
    snap = build_snapshot(closes, uni, dates[-1].date())
    stats = snap.baskets["XY"]
    assert (stats.coverage, stats.size, stats.missing) == (1, 3, ("Y", "Z"))
    assert stats.returns["1d"] == pytest.approx(12 / 11 - 1)
    assert snap.stale == ("Y",)
    assert snap.missing == ("^RUT", "^GSPC", "^IXIC", "Z")


def trend_frame(ijr_up: bool, rsp_up: bool = True) -> pd.DataFrame:
    """SPY flat; IWM breaks out upward at row 30; RSP and IJR up or down."""
    dates = sessions("2025-01-06", 40)
    flat = [100.0] * 30
    up = flat + [104.0] * 10
    down = flat + [96.0] * 10
    return frame(
        dates, SPY=[100.0] * 40, IWM=up, RSP=up if rsp_up else down, IJR=up if ijr_up else down
    )


def small_universe(**changes: object) -> Universe:
    regime = RegimeParams(band=0.01, window=20)
    pairs = tuple(PairSpec(a, "SPY", a, regime) for a in ("IWM", "RSP", "IJR"))
    uni = Universe(pairs=pairs, members=("IWM", "RSP", "IJR"), benchmark="SPY")
    return replace(uni, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rsp_up", "ijr_up", "state", "confirmation"),
    [
        (True, True, "broad", "confirmed"),
        (True, False, "broad", "not confirmed"),
        (False, True, "narrow", "not confirmed"),
        (False, False, "narrow", "not confirmed"),
    ],
)
def test_breadth_is_participation_and_confirmation_is_separate(
    rsp_up: bool, ijr_up: bool, state: str, confirmation: str
) -> None:
    closes = trend_frame(ijr_up, rsp_up)
    snap = build_snapshot(closes, small_universe(), closes.index[-1].date())
    assert snap.breadth.lead_state == "A"
    # cap weight (SPY) beating equal weight (RSP) is narrow, whatever small caps do
    assert snap.breadth.state == state
    assert snap.breadth.participation_pair == "RSP/SPY"
    assert snap.breadth.confirmation == confirmation
    assert snap.breadth.detail == {
        "RSP/SPY": "A" if rsp_up else "B",
        "IJR/SPY": "A" if ijr_up else "B",
        "IWM/SPY": "A",
    }


def test_cap_weight_leading_every_pair_is_narrow() -> None:
    """SPY leads IWM, RSP and IJR alike: the textbook narrow market."""
    dates = sessions("2025-01-06", 40)
    down = [100.0] * 30 + [96.0] * 10
    closes = frame(dates, SPY=[100.0] * 40, IWM=down, RSP=down, IJR=down)
    breadth = build_snapshot(closes, small_universe(), dates[-1].date()).breadth
    assert (breadth.state, breadth.lead_state, breadth.confirmation) == ("narrow", "B", "confirmed")


def test_no_breadth_pairs_configured_means_no_breadth_verdict() -> None:
    closes = trend_frame(ijr_up=True)
    uni = small_universe(participation_pair=None, breadth_pairs=())
    breadth = build_snapshot(closes, uni, closes.index[-1].date()).breadth
    assert (breadth.state, breadth.confirmation, breadth.participation_pair) == (None, None, None)


def test_scoreboard_counts_and_changes_since_previous_session() -> None:
    closes = trend_frame(ijr_up=False)
    uni = small_universe()
    # row 32 is the third close beyond the band: the regimes start that session
    snap = build_snapshot(closes, uni, closes.index[32].date())
    board = snap.scoreboard
    assert (board.themes_favouring_challenger, board.themes_total) == (2, 3)
    assert board.prev_themes_favouring_challenger == 0
    assert board.changed_pairs == ("IWM/SPY", "RSP/SPY", "IJR/SPY")  # from no regime
    assert board.per_horizon["1w"] == 2
    assert board.per_horizon_total["1w"] == 3
    assert board.per_horizon_total["1m"] == 3
    assert board.per_horizon_total["3m"] == 0
    assert board.per_horizon["1d"] == 0  # flat since the breakout: a zero spread is no lead
    assert (board.horizons_favouring, board.horizons_total) == (2, 3)  # 1w and 1m of 1d/1w/1m


def test_a_history_read_one_session_earlier_is_the_pairs_as_of_that_session(
    closes: pd.DataFrame, universe: Universe
) -> None:
    # build_snapshot reads the previous session's pairs from the session's own history
    ragged = closes.copy()
    for row, symbol in ((-2, "IWM"), (-1, "KRE"), (299, "SPY"), (300, "RSP")):
        ragged.loc[ragged.index[row], symbol] = np.nan  # a leg without a close
    for data in (closes, ragged):
        for row in (30, 300, 301, len(data) - 1):
            session, before = data.index[row].date(), data.index[row - 1].date()
            history = pair_history(
                upto(data, session), universe.pairs, universe, session, universe.quadrant
            )
            as_of_before = compute_pairs(
                upto(data, before), universe.pairs, universe, before, universe.quadrant
            )
            assert as_of_before
            assert stats_on_or_before(history, before) == as_of_before


def test_quadrant_formula_and_transition(closes: pd.DataFrame) -> None:
    params = QuadrantParams(ema=10, momentum_shift=5, tail_weeks=4)
    asof = day("2026-03-31")
    trails = quadrant_tails(closes, ["IWM", "QQQ"], "SPY", asof, params)
    ratio = (closes["IWM"] / closes["SPY"]).loc[:"2026-03-31"]
    # the exponential trend in log space: 100 * R / exp(EMA(log R)), EMA written out
    alpha, level, trend = 2 / 11, None, []
    for i, x in enumerate(np.log(ratio.to_numpy())):
        level = x if level is None else alpha * x + (1 - alpha) * level
        trend.append(np.exp(level) if i >= 9 else np.nan)
    strength = 100 * ratio / pd.Series(trend, index=ratio.index)
    momentum = 100 * strength / strength.shift(5)
    trail = trails["IWM"]
    assert trail.current is not None
    assert trail.current.strength == pytest.approx(strength.iloc[-1], rel=1e-12)
    assert trail.current.momentum == pytest.approx(momentum.iloc[-1], rel=1e-12)
    labels = [
        QUADRANTS[(0 if m >= 100 else 1) if s >= 100 else (3 if m >= 100 else 2)]
        for s, m in zip(strength.iloc[-60:], momentum.iloc[-60:], strict=True)
    ]
    assert trail.current.quadrant == labels[-1]
    run_start = max(i for i in range(60) if labels[i] != labels[-1]) + 1
    assert trail.since == strength.index[-60 + run_start].date()
    assert trail.previous == labels[run_start - 1]
    # weekly tail: last real session of each week, ending on the asof session
    assert [p.date for p in trail.tail] == [
        day("2026-03-13"),
        day("2026-03-20"),
        day("2026-03-27"),
        day("2026-03-31"),
    ]


def test_quadrant_tail_anchors_on_thursday_before_good_friday(closes: pd.DataFrame) -> None:
    # 2025-04-18 was Good Friday (NYSE closed): that week's point is Thursday 04-17
    trails = quadrant_tails(closes, ["IWM"], "SPY", day("2025-04-25"), QuadrantParams())
    dates = [p.date for p in trails["IWM"].tail]
    assert day("2025-04-17") in dates
    assert all(d <= day("2025-04-25") and d.weekday() < 5 for d in dates)


def test_every_quadrant_member_and_pair_has_a_trail(
    closes: pd.DataFrame, universe: Universe
) -> None:
    snap = build_snapshot(closes, universe, day("2026-03-31"))
    assert set(universe.members) | {p.key for p in universe.pairs} == set(snap.quadrants)
    assert snap.quadrants["IWM/SPY"].current is not None
    assert snap.pairs["IWM/SPY"].quadrant == snap.quadrants["IWM/SPY"].current.quadrant


def test_basket_leg_pair(closes: pd.DataFrame, universe: Universe) -> None:
    snap = build_snapshot(closes, universe, day("2026-03-31"))
    level, _ = basket_index(closes, universe.baskets[0], day("2026-03-31"))
    pair = snap.pairs["IWM/MAG7"]
    assert pair.ratio == pytest.approx(closes.loc["2026-03-31", "IWM"] / level.iloc[-1])
    expected = 100 * (snap.symbols["IWM"].returns["ytd"] - snap.baskets["MAG7"].returns["ytd"])
    assert pair.spreads_pp["ytd"] == pytest.approx(expected, rel=1e-12)
    assert isinstance(snap.asof, dt.date)
