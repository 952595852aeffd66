"""The numbers both snapshot implementations produce, side by side, and their comparison."""

from __future__ import annotations

import math
from typing import Any

from analytics.types import QuadrantTrail, Snapshot

SYMBOL_FIELDS = ("last_close", "high_52w", "low_52w", "off_high", "off_low", "max_drawdown_1y")
PAIR_FIELDS = ("ratio", "ratio_vs_trend", "ratio_vs_trend200", "stretch_z", "strength", "momentum",
               "quadrant")  # fmt: skip


def _trail(trail: QuadrantTrail) -> dict[str, Any]:
    assert trail.current is not None
    point = trail.current
    return {
        "current": (point.date, point.strength, point.momentum, point.quadrant),
        "tail": [(p.date, p.strength, p.momentum, p.quadrant) for p in trail.tail],
        "previous": trail.previous,
        "since": trail.since,
    }


def snapshot_numbers(snap: Snapshot) -> dict[str, Any]:
    """The quantities ``bench.loop_baseline.loop_snapshot`` computes, read off a Snapshot."""
    symbols = {
        k: {"last_date": s.last_date, "returns": s.returns, "changes_bp": s.changes_bp,
            **{f: getattr(s, f) for f in SYMBOL_FIELDS}}
        for k, s in snap.symbols.items()
    }  # fmt: skip
    pairs = {
        k: {"last_date": p.last_date, "spreads_pp": p.spreads_pp,
            "ratio_returns": p.ratio_returns, "state": p.regime.state, "since": p.regime.since,
            "sessions": p.regime.sessions, "flips": [f.date for f in p.flips],
            "trail": _trail(snap.quadrants[k]) if k in snap.quadrants else None,
            **{f: getattr(p, f) for f in PAIR_FIELDS}}
        for k, p in snap.pairs.items()
    }  # fmt: skip
    pair_keys = set(snap.pairs)
    return {
        "symbols": symbols,
        "quadrants": {k: _trail(t) for k, t in snap.quadrants.items() if k not in pair_keys},
        "pairs": pairs,
        "baskets": {k: b.level for k, b in snap.baskets.items()},
    }


def compare(
    expected: Any, actual: Any, path: str = "", rtol: float = 1e-7, atol: float = 1e-9
) -> list[str]:
    """Paths where two nested structures differ (floats within rtol/atol are equal)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}/{k}: missing in loop" for k in expected if k not in actual]
        out += [f"{path}/{k}: missing in snapshot" for k in actual if k not in expected]
        for key in expected:
            if key in actual:
                out += compare(expected[key], actual[key], f"{path}/{key}", rtol, atol)
        return out
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        if len(expected) != len(actual):
            return [f"{path}: length {len(expected)} != {len(actual)}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out += compare(e, a, f"{path}[{i}]", rtol, atol)
        return out
    if isinstance(expected, float) and isinstance(actual, float):
        if math.isclose(expected, actual, rel_tol=rtol, abs_tol=atol):
            return []
        return [f"{path}: {expected!r} != {actual!r}"]
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


def count_numbers(tree: Any) -> int:
    """How many leaf values a structure holds (for the report)."""
    if isinstance(tree, dict):
        return sum(count_numbers(v) for v in tree.values())
    if isinstance(tree, list | tuple):
        return sum(count_numbers(v) for v in tree)
    return 1
