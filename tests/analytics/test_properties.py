"""Property tests: scale and swap invariance, flips never reversed inside the confirmation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analytics.pairs import pair_series, pair_stats
from analytics.types import PairSpec, RegimeParams

from .conftest import frame, sessions

N = 140
steps = st.lists(st.floats(-0.03, 0.03, allow_nan=False), min_size=N, max_size=N)
params = st.builds(
    RegimeParams,
    band=st.sampled_from([None, 0.0, 0.005, 0.01, 0.02]),
    confirm=st.integers(1, 5),
    window=st.integers(5, 30),
    band_sigmas=st.sampled_from([0.5, 1.0, 2.0]),
    band_floor=st.sampled_from([0.001, 0.005]),
)


def closes_from(a_steps: list[float], b_steps: list[float], gap: int | None) -> pd.DataFrame:
    a = 100 * np.exp(np.cumsum(a_steps))
    b = 50 * np.exp(np.cumsum(b_steps))
    if gap is not None:
        a[gap] = np.nan
    return frame(sessions("2024-01-01", N), A=list(a), B=list(b))


def margin(series: pd.DataFrame) -> float:
    """Smallest log distance of R to a band edge (ties are measure-zero; skip them)."""
    valid = series.dropna(subset=["upper"])
    edges = np.log(valid.ratio / valid.upper).abs().tolist()
    edges += np.log(valid.ratio / valid.lower).abs().tolist()
    return min(edges, default=1.0)


@settings(max_examples=60, deadline=None)
@given(steps, steps, params, st.floats(0.01, 100.0), st.none() | st.integers(0, N - 1))
def test_scaling_a_leg_leaves_regimes_and_spreads_unchanged(
    a_steps: list[float], b_steps: list[float], p: RegimeParams, k: float, gap: int | None
) -> None:
    closes = closes_from(a_steps, b_steps, gap)
    scaled = closes.assign(A=closes["A"] * k)
    spec = PairSpec("A", "B", "p", p)
    asof = closes.index[-1].date()
    base = pair_series(closes, spec, asof)
    assume(margin(base) > 1e-9)
    moved = pair_series(scaled, spec, asof)
    assert moved.state.tolist() == base.state.tolist()
    assert moved.flip.tolist() == base.flip.tolist()
    s0, s1 = pair_stats(closes, spec, None, asof), pair_stats(scaled, spec, None, asof)
    for h, v in s0.spreads_pp.items():
        assert (v is None and s1.spreads_pp[h] is None) or abs(v - s1.spreads_pp[h]) < 1e-9
    assert replace(s0.regime, trend=None, band=None) == replace(s1.regime, trend=None, band=None)
    assert s1.regime.band == pytest.approx(s0.regime.band, rel=1e-9)  # scaled: float rounding
    assert s1.regime.trend == pytest.approx(k * s0.regime.trend) if s0.regime.trend else True


@settings(max_examples=60, deadline=None)
@given(steps, steps, params, st.none() | st.integers(0, N - 1))
def test_swapping_legs_negates_spreads_and_mirrors_regimes(
    a_steps: list[float], b_steps: list[float], p: RegimeParams, gap: int | None
) -> None:
    closes = closes_from(a_steps, b_steps, gap)
    asof = closes.index[-1].date()
    ab = pair_stats(closes, PairSpec("A", "B", "ab", p), None, asof)
    ba = pair_stats(closes, PairSpec("B", "A", "ba", p), None, asof)
    assert {h: None if v is None else -v for h, v in ab.spreads_pp.items()} == ba.spreads_pp
    mirror = {"A": "B", "B": "A", None: None}
    assert ba.regime.state == mirror[ab.regime.state]
    assert (ba.regime.since, ba.regime.sessions, ba.regime.pending) == (
        ab.regime.since, ab.regime.sessions, ab.regime.pending,
    )  # fmt: skip
    assert [(f.date, mirror[f.direction], f.prev_sessions) for f in ab.flips] == [
        (f.date, f.direction, f.prev_sessions) for f in ba.flips
    ]
    s_ab = pair_series(closes, PairSpec("A", "B", "ab", p), asof)
    s_ba = pair_series(closes, PairSpec("B", "A", "ba", p), asof)
    assert (s_ab.state == -s_ba.state).all()


@settings(max_examples=80, deadline=None)
@given(steps, steps, params, st.none() | st.integers(0, N - 1))
def test_no_flip_is_reversed_within_its_confirmation_window(
    a_steps: list[float], b_steps: list[float], p: RegimeParams, gap: int | None
) -> None:
    closes = closes_from(a_steps, b_steps, gap)
    series = pair_series(closes, PairSpec("A", "B", "p", p), closes.index[-1].date())
    positions = np.flatnonzero(series.flip.to_numpy())  # rows of valid ratio closes
    assert (np.diff(positions) >= p.confirm).all()
    changes = np.flatnonzero(np.diff(series.state.to_numpy(), prepend=0) != 0)
    assert (np.diff(changes) >= p.confirm).all()
    # a regime, once set, is never cleared
    states = series.state.to_numpy()
    if (states != 0).any():
        assert (states[np.argmax(states != 0) :] != 0).all()
