"""The sector board against an independent computation of the documented formulas.

README: strength = 100 · R / G with G = exp(EMA₅₀(log R)) (EMA alpha = 2 / 51, seeded with
the first value, defined from the 50th close); momentum = 100 · strength / strength 10
sessions earlier; quadrants by the 100 lines. Zones: both >= 100 + band (leading) or both
<= 100 - band (lagging), confirmed after ``confirm`` sessions in a row. Written here with
plain numpy and loops, on a perturbed cut of the sample that the code never saw.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.boards import confirmed_zones, zone_changes, zone_codes
from analytics.events import board_events, board_events_over
from analytics.snapshot import build_snapshot
from market.universe import load_universe

ASOF = dt.date(2025, 11, 14)
UNIVERSE = load_universe()
SECTORS = UNIVERSE.boards["sectors"]


def perturbed(closes: pd.DataFrame) -> pd.DataFrame:
    """The sample cut at ASOF, every sector bent by its own slow wave (a path never stored)."""
    cut = closes.loc[: pd.Timestamp(ASOF)].copy()
    steps = np.arange(len(cut), dtype="float64")
    for k, symbol in enumerate(SECTORS.symbols):
        cut[symbol] = cut[symbol] * (1.0 + 0.03 * np.sin(steps / (9.0 + k)))
    return cut


def documented(ratio: np.ndarray, ema: int = 50, shift: int = 10) -> tuple[float, float]:
    """(strength, momentum) on the last row, straight from the README's words."""
    logs = np.log(ratio)
    alpha = 2.0 / (ema + 1.0)
    level = np.empty_like(logs)
    level[0] = logs[0]
    for t in range(1, len(logs)):
        level[t] = (1 - alpha) * level[t - 1] + alpha * logs[t]
    strength = 100.0 * np.exp(logs - level)
    strength[: ema - 1] = np.nan
    return float(strength[-1]), float(100.0 * strength[-1] / strength[-1 - shift])


def quadrant(strength: float, momentum: float) -> str:
    if strength >= 100:
        return "leading" if momentum >= 100 else "weakening"
    return "improving" if momentum >= 100 else "lagging"


@pytest.fixture(scope="module")
def frame(bundled_closes: pd.DataFrame) -> pd.DataFrame:
    return perturbed(bundled_closes)


def test_every_sector_matches_the_documented_formula(frame: pd.DataFrame) -> None:
    board = build_snapshot(frame, UNIVERSE, ASOF).boards["sectors"]
    assert [r.symbol for r in board.rows] != list(SECTORS.symbols)  # ordered, not file order
    assert sorted(r.symbol for r in board.rows) == sorted(SECTORS.symbols)
    for row in board.rows:
        ratio = (frame[row.symbol] / frame["SPY"]).to_numpy()
        strength, momentum = documented(ratio)
        assert row.trail is not None
        assert row.trail.current is not None
        assert row.trail.current.strength == pytest.approx(strength, abs=1e-9)
        assert row.trail.current.momentum == pytest.approx(momentum, abs=1e-9)
        assert row.trail.current.quadrant == quadrant(strength, momentum)
        a, s = frame[row.symbol].to_numpy(), frame["SPY"].to_numpy()
        month = 100 * ((a[-1] / a[-22]) - (s[-1] / s[-22]))
        assert row.spreads_pp["1m"] == pytest.approx(month, abs=1e-9)
        assert row.name == dict(SECTORS.members)[row.symbol]


def test_leaders_come_first(frame: pd.DataFrame) -> None:
    board = build_snapshot(frame, UNIVERSE, ASOF).boards["sectors"]
    rank = {"leading": 0, "weakening": 1, "improving": 2, "lagging": 3}
    keys = [
        (rank[r.trail.current.quadrant], -r.trail.current.strength)
        for r in board.rows
        if r.trail is not None and r.trail.current is not None
    ]
    assert keys == sorted(keys)


def independent_zones(strength: list[float], momentum: list[float], band: float, n: int) -> list:
    """(row, zone) of each confirmation, one member, by plain iteration."""
    state, run, last, out = None, 0, None, []
    for i, (s, m) in enumerate(zip(strength, momentum, strict=True)):
        zone = None
        if s >= 100 + band and m >= 100 + band:
            zone = "leading"
        elif s <= 100 - band and m <= 100 - band:
            zone = "lagging"
        run = run + 1 if zone is not None and zone == last else (1 if zone else 0)
        last = zone
        if zone is not None and run >= n and zone != state:
            state = zone
            out.append((i, zone))
    return out


def test_zone_confirmation_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(400.0)[:, None]
    strength = 100 + 2 * np.sin(t / 15) + rng.normal(0, 0.5, (400, 1))
    momentum = 100 + 2 * np.cos(t / 15) + rng.normal(0, 0.5, (400, 1))
    zone, changed = confirmed_zones(zone_codes(strength, momentum, 0.5), 4)
    got = [(int(i), "leading" if zone[i, 0] > 0 else "lagging") for i in np.flatnonzero(changed)]
    want = independent_zones(list(strength[:, 0]), list(momentum[:, 0]), 0.5, 4)
    assert got == want
    assert len(want) >= 3


def test_alerts_per_session_equal_the_replay_at_once(bundled_closes: pd.DataFrame) -> None:
    days = [d.date() for d in bundled_closes.index if dt.date(2025, 6, 1) <= d.date()][:60]
    at_once = board_events_over(bundled_closes, UNIVERSE, days)
    for day in days:
        one = board_events(build_snapshot(bundled_closes, UNIVERSE, day))
        assert one == at_once.get(day, [])
    assert sum(len(v) for v in at_once.values()) > 0
    changes = zone_changes(bundled_closes, SECTORS, UNIVERSE.quadrant)
    assert {(d, s) for d, s, _ in changes if d in set(days)} == {
        (e.session, e.body.symbol) for v in at_once.values() for e in v
    }
