"""Orientation symmetry on the bundled data: swapping every universe pair mirrors every figure.

For each pair A/B of the bundled universe the swapped pair B/A is computed from the same
closes, and every signed figure must come out mirrored: regimes and flips change sides,
spreads and stretch change sign, ratio returns and distances from the trend invert
((1 + x)(1 + x') = 1), quadrants move to the opposite corner. No tolerance is needed on the
regime side: the trend, bands and stretch are taken on log R, which only changes sign.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.pairs import compute_pairs, pair_series
from analytics.types import PairSpec, Universe
from market.universe import load_universe

from .conftest import day

ASOF = day("2026-03-31")
SIDE = {"A": "B", "B": "A", None: None}
CORNER = {"leading": "lagging", "lagging": "leading", "weakening": "improving",
          "improving": "weakening", None: None}  # fmt: skip


def swapped(spec: PairSpec) -> PairSpec:
    return PairSpec(spec.b, spec.a, f"{spec.label} (swapped)", spec.regime)


def inverse(x: float | None) -> float | None:
    return None if x is None else 1.0 / (1.0 + x) - 1.0


@pytest.fixture(scope="module")
def bundled_universe() -> Universe:
    return load_universe()


@pytest.mark.parametrize("key", [p.key for p in load_universe().pairs])
def test_swapping_a_universe_pair_mirrors_every_signed_figure(
    bundled_closes: pd.DataFrame, bundled_universe: Universe, key: str
) -> None:
    spec = bundled_universe.pair(key)
    mirror = swapped(spec)
    both = compute_pairs(bundled_closes, [spec, mirror], bundled_universe, ASOF)
    ab, ba = both[spec.key], both[mirror.key]
    assert ba.regime.state == SIDE[ab.regime.state]
    assert (ba.regime.since, ba.regime.sessions, ba.regime.pending) == (
        ab.regime.since, ab.regime.sessions, ab.regime.pending,
    )  # fmt: skip
    assert ba.regime.pending_side == SIDE[ab.regime.pending_side]
    assert ba.regime.band == pytest.approx(ab.regime.band, rel=1e-12)
    assert [(f.date, SIDE[f.direction], f.prev_sessions) for f in ab.flips] == [
        (f.date, f.direction, f.prev_sessions) for f in ba.flips
    ]
    assert len(ab.flips) >= 3
    assert ab.stretch_z is not None
    assert ba.stretch_z is not None
    assert ba.stretch_z == pytest.approx(-ab.stretch_z, abs=1e-9)
    assert ba.stretched == ab.stretched
    assert ba.ratio_vs_trend == pytest.approx(inverse(ab.ratio_vs_trend), abs=1e-12)
    assert ba.ratio_vs_trend200 == pytest.approx(inverse(ab.ratio_vs_trend200), abs=1e-12)
    for h, spread in ab.spreads_pp.items():
        assert ba.spreads_pp[h] == pytest.approx(None if spread is None else -spread, abs=1e-9)
        assert ba.ratio_returns[h] == pytest.approx(inverse(ab.ratio_returns[h]), abs=1e-12)
    assert ba.quadrant == CORNER[ab.quadrant]
    assert ab.strength is not None
    assert ba.strength is not None
    assert ba.strength == pytest.approx(100.0**2 / ab.strength, rel=1e-9)
    assert ba.momentum == pytest.approx(100.0**2 / ab.momentum, rel=1e-9)  # type: ignore[operator]
    for h, mean in ab.track.means.items():
        assert ba.track.means[h] == pytest.approx(mean, abs=1e-12)
        assert ba.track.hits[h] == ab.track.hits[h]


@pytest.mark.parametrize("key", [p.key for p in load_universe().pairs])
def test_stretched_never_depends_on_the_orientation(
    bundled_closes: pd.DataFrame, bundled_universe: Universe, key: str
) -> None:
    spec = bundled_universe.pair(key)
    ab = pair_series(bundled_closes, spec, ASOF, bundled_universe)
    ba = pair_series(bundled_closes, swapped(spec), ASOF, bundled_universe)
    assert (ab.state == -ba.state).all()
    assert ab.flip.tolist() == ba.flip.tolist()
    z_ab, z_ba = ab.stretch_z.dropna(), ba.stretch_z.dropna()
    assert len(z_ab) > 250
    assert ((z_ab + z_ba).abs() < 1e-9).all()
    assert ((z_ab.abs() > 2) == (z_ba.abs() > 2)).all()
