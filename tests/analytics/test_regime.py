"""Regime hysteresis edges on hand-built frames, with exact expected states and flips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.pairs import pair_series, pair_stats
from analytics.types import Flip, PairSpec, RegimeParams

from .conftest import frame, sessions

SPEC = PairSpec("A", "B", "test pair", RegimeParams(band=0.01, confirm=3, window=20))
# B is constant 50, so R = A / 50. Rows: 0-19 flat (trend defined from row 19);
# 20-22 three closes below the band (first regime: B leads, not a flip);
# 23-26 back above the trend but inside the band; 27-28 two closes above the band,
# 29 reversal inside the band; 30-32 three closes above the band (flip to A); 33-35 hold.
A_CLOSES = [100.0] * 20 + [97.0] * 3 + [100.0] * 4 + [101.5, 101.5, 100.0] + [101.5] * 6
EXPECTED_STATES = [0] * 22 + [-1] * 10 + [1] * 4


def scenario(a: list[float] | None = None) -> pd.DataFrame:
    values = A_CLOSES if a is None else a
    return frame(sessions("2025-01-06", len(values)), A=values, B=[50.0] * len(values))


def test_scenario_rows_are_where_the_comment_says() -> None:
    closes = scenario()
    series = pair_series(closes, SPEC, closes.index[-1].date())
    inside = series.iloc[23:27]
    assert (inside.ratio > inside.trend).all()
    assert (inside.ratio < inside.upper).all()
    assert (series.ratio.iloc[[27, 28, 30, 31, 32]] > series.upper.iloc[[27, 28, 30, 31, 32]]).all()
    assert series.ratio.iloc[29] < series.upper.iloc[29]
    assert (series.ratio.iloc[20:23] < series.lower.iloc[20:23]).all()


def test_trend_is_the_geometric_mean_of_the_last_window_ratios() -> None:
    closes = scenario()
    series = pair_series(closes, SPEC, closes.index[-1].date())
    ratio = np.asarray(A_CLOSES) / 50.0
    for row in (19, 25, 35):
        expected = np.exp(np.mean(np.log(ratio[row - 19 : row + 1])))
        assert series.trend.iloc[row] == pytest.approx(expected, rel=1e-12)
        assert series.upper.iloc[row] == pytest.approx(expected * 1.01, rel=1e-12)
        assert series.lower.iloc[row] == pytest.approx(expected / 1.01, rel=1e-12)
    assert series.trend.iloc[:19].isna().all()


def test_states_cross_inside_band_and_two_closes_then_reversal_do_not_flip() -> None:
    closes = scenario()
    series = pair_series(closes, SPEC, closes.index[-1].date())
    assert series.state.tolist() == EXPECTED_STATES
    assert series.index[series.flip].tolist() == [closes.index[32]]


def test_third_confirming_close_flips_with_previous_length() -> None:
    closes = scenario()
    stats = pair_stats(closes, SPEC, None, closes.index[-1].date())
    assert stats.flips == (
        Flip(
            date=closes.index[32].date(),
            direction="A",
            ratio=101.5 / 50.0,
            trend=stats.flips[0].trend,
            prev_sessions=10,
            band=0.01,
        ),
    )
    assert stats.flips[0].trend == pytest.approx(
        np.exp(np.mean(np.log(np.asarray(A_CLOSES[13:33]) / 50.0))), rel=1e-12
    )
    regime = stats.regime
    assert (regime.state, regime.since, regime.sessions) == ("A", closes.index[32].date(), 4)
    assert (regime.pending, regime.pending_side) == (0, None)


def test_two_confirming_closes_are_pending_and_later_rows_are_ignored() -> None:
    closes = scenario()
    stats = pair_stats(closes, SPEC, None, closes.index[31].date())
    regime = stats.regime
    assert (regime.state, regime.since, regime.sessions) == ("B", closes.index[22].date(), 10)
    assert (regime.pending, regime.pending_side) == (2, "A")
    assert stats.flips == ()


def test_gap_in_one_leg_is_skipped_not_reset() -> None:
    a = [*A_CLOSES[:31], float("nan"), *A_CLOSES[31:]]
    closes = scenario(a)
    stats = pair_stats(closes, SPEC, None, closes.index[-1].date())
    assert [(f.date, f.direction, f.prev_sessions) for f in stats.flips] == [
        (closes.index[33].date(), "A", 10)
    ]
    series = pair_series(closes, SPEC, closes.index[-1].date())
    assert closes.index[31] not in series.index
    assert stats.regime.sessions == 4
    # the trend after the gap averages the last 20 valid ratios
    valid = np.asarray([v for v in a if not np.isnan(v)]) / 50.0
    assert series.trend.iloc[-1] == pytest.approx(np.exp(np.mean(np.log(valid[-20:]))), rel=1e-12)


def test_gap_in_benchmark_leg_measures_spreads_on_common_sessions() -> None:
    dates = sessions("2025-03-03", 4)
    closes = frame(dates, A=[100.0, 110.0, 121.0, 133.1], B=[100.0, 100.0, np.nan, 125.0])
    stats = pair_stats(closes, PairSpec("A", "B", "g"), None, dates[-1].date())
    # 1 session back on the pair's own sessions is the last common close (row 1)
    assert stats.spreads_pp["1d"] == pytest.approx(100 * (133.1 / 110.0 - 1.25), rel=1e-12)
    assert stats.ratio == pytest.approx(133.1 / 125.0, rel=1e-15)
    assert stats.spread_change_1d_pp == pytest.approx(stats.spreads_pp["1d"], rel=1e-12)


def test_raw_crosses_outnumber_flips_on_noise() -> None:
    rng = np.random.default_rng(7)
    a = list(100 * np.exp(np.cumsum(rng.normal(0, 0.004, 400))))
    closes = scenario(a)
    stats = pair_stats(closes, SPEC, None, closes.index[-1].date())
    assert stats.raw_crosses > len(stats.flips) >= 1
