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
    # the trend is the geometric mean of R (the regime's trend), written out by hand
    geo50 = np.prod(r[-50:]) ** (1 / 50)
    geo200 = np.prod(r[-200:] / r[-1]) ** (1 / 200) * r[-1]
    assert stats.ratio_vs_trend == pytest.approx(r[-1] / geo50 - 1, rel=1e-9)
    assert stats.ratio_vs_trend200 == pytest.approx(r[-1] / geo200 - 1, rel=1e-9)
    assert stats.regime.trend == pytest.approx(geo50, rel=1e-12)
    spread = 100 * (a[1:] / a[:-1] - b[1:] / b[:-1])
    window = spread[-253:-1]
    z = (spread[-1] - window.mean()) / window.std(ddof=1)
    assert stats.spread_change_1d_pp == pytest.approx(spread[-1], rel=1e-10)
    assert stats.spread_change_z == pytest.approx(z, rel=1e-9)
    rel20 = r[20:] / r[:-20] - 1
    last_year = rel20[-252:]
    assert stats.rel20_percentile == pytest.approx(100 * np.mean(last_year <= rel20[-1]))
    logs = np.log(a) - np.log(b)
    stretch = (logs[-1] - logs[-252:].mean()) / logs[-252:].std(ddof=1)
    assert stats.stretch_z == pytest.approx(stretch, rel=1e-9)
    assert stats.stretched == (abs(stretch) > 2)


def test_track_record_forward_returns_in_the_new_leaders_favour(walk: pd.DataFrame) -> None:
    stats = pair_stats(walk, PairSpec("A", "B", "w"), None, walk.index[-1].date())
    rows = [walk.index.get_loc(pd.Timestamp(f.date)) for f in stats.flips]
    assert len(rows) >= 2
    seen: dict[int, list[float]] = {5: [], 20: [], 60: []}
    for i, (outcome, row) in enumerate(zip(stats.track.outcomes, rows, strict=True)):
        nxt = rows[i + 1] if i + 1 < len(rows) else N
        for j, h in enumerate((5, 20, 60)):
            if row + h < N:
                # new leader / old leader: A/B after an "A" flip, B/A after a "B" flip
                lead, lag = ("A", "B") if outcome.direction == "A" else ("B", "A")
                expected = (walk[lead].iloc[row + h] / walk[lag].iloc[row + h]) / (
                    walk[lead].iloc[row] / walk[lag].iloc[row]
                ) - 1
                assert outcome.forward[j] == pytest.approx(expected, rel=1e-9)
                assert outcome.overlaps[j] == (nxt <= row + h)
                seen[h].append(expected)
            else:
                assert outcome.forward[j] is None
    for h, values in seen.items():
        assert stats.track.counts[str(h)] == len(values)
        assert stats.track.hits[str(h)] == sum(1 for v in values if v > 0)
        mean = stats.track.means[str(h)]
        assert mean == (pytest.approx(float(np.mean(values))) if values else None)
        assert stats.track.overlapping[str(h)] == sum(
            o.overlaps[j] for o in stats.track.outcomes for j in [(5, 20, 60).index(h)]
        )
