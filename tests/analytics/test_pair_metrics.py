"""Pair metrics against straightforward numpy references on a seeded random walk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.pairs import pair_stats
from analytics.types import HORIZON_SESSIONS, PairSpec

from .conftest import frame, sessions

N = 320


@pytest.fixture
def walk() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    a = 100 * np.exp(np.cumsum(rng.normal(0, 0.012, N)))
    b = 80 * np.exp(np.cumsum(rng.normal(0, 0.010, N)))
    return frame(sessions("2024-06-03", N), A=list(a), B=list(b))


def test_pair_metrics_match_numpy_references(walk: pd.DataFrame) -> None:
    stats = pair_stats(walk, PairSpec("A", "B", "w"), None, walk.index[-1].date())
    a, b = walk["A"].to_numpy(), walk["B"].to_numpy()
    r = a / b
    for horizon, back in HORIZON_SESSIONS.items():
        if back is None:
            base = walk.loc[:"2024-12-31"].iloc[-1]
            expected = 100 * (a[-1] / base["A"] - b[-1] / base["B"])
            assert stats.ratio_returns[horizon] == pytest.approx(
                r[-1] / (base["A"] / base["B"]) - 1
            )
        else:
            expected = 100 * (a[-1] / a[-1 - back] - b[-1] / b[-1 - back])
            assert stats.ratio_returns[horizon] == pytest.approx(r[-1] / r[-1 - back] - 1)
        assert stats.spreads_pp[horizon] == pytest.approx(expected, rel=1e-10)
    assert stats.ratio_vs_sma50 == pytest.approx(r[-1] / r[-50:].mean() - 1, rel=1e-10)
    assert stats.ratio_vs_sma200 == pytest.approx(r[-1] / r[-200:].mean() - 1, rel=1e-10)
    spread = 100 * (a[1:] / a[:-1] - b[1:] / b[:-1])
    window = spread[-253:-1]
    z = (spread[-1] - window.mean()) / window.std(ddof=1)
    assert stats.spread_change_1d_pp == pytest.approx(spread[-1], rel=1e-10)
    assert stats.spread_change_z == pytest.approx(z, rel=1e-9)
    rel20 = r[20:] / r[:-20] - 1
    last_year = rel20[-252:]
    assert stats.rel20_percentile == pytest.approx(100 * np.mean(last_year <= rel20[-1]))
    stretch = (r[-1] - r[-252:].mean()) / r[-252:].std(ddof=1)
    assert stats.stretch_z == pytest.approx(stretch, rel=1e-9)
    assert stats.stretched == (abs(stretch) > 2)


def test_track_record_forward_returns_and_hit_rates(walk: pd.DataFrame) -> None:
    stats = pair_stats(walk, PairSpec("A", "B", "w"), None, walk.index[-1].date())
    r = (walk["A"] / walk["B"]).to_numpy()
    rows = [walk.index.get_loc(pd.Timestamp(f.date)) for f in stats.flips]
    assert len(rows) >= 2
    hits = {h: [] for h in (5, 20, 60)}
    for outcome, row in zip(stats.track.outcomes, rows, strict=True):
        for h, value in zip((5, 20, 60), outcome.forward, strict=True):
            if row + h < N:
                assert value == pytest.approx(r[row + h] / r[row] - 1, rel=1e-12)
                sign = 1 if outcome.direction == "A" else -1
                hits[h].append(sign * value > 0)
            else:
                assert value is None
    for h, seen in hits.items():
        assert stats.track.counts[str(h)] == len(seen)
        expected = float(np.mean(seen)) if seen else None
        assert stats.track.hit_rates[str(h)] == expected
