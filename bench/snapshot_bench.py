"""snapshot_2000_symbols_s and snapshot_speedup_vs_loop."""

from __future__ import annotations

from typing import Any

from analytics.snapshot import build_snapshot
from bench.data import BenchData, bench_data
from bench.loop_baseline import loop_snapshot
from bench.numbers import compare, count_numbers, snapshot_numbers
from bench.timing import summary, timed

REPEAT = 7
LOOP_REPEAT = 2


class BaselineMismatch(AssertionError):
    """The loop baseline and build_snapshot disagree: the speedup would be meaningless."""


def check_same_numbers(data: BenchData) -> int:
    """Run both implementations on ``data``; raise BaselineMismatch on any difference.

    Returns how many values were compared.
    """
    snap = build_snapshot(data.closes, data.universe, data.asof)
    loop = loop_snapshot(data.closes, data.universe, data.asof)
    loop.pop("prev_pairs")
    expected = snapshot_numbers(snap)
    problems = compare(expected, loop)
    if problems:
        raise BaselineMismatch(f"{len(problems)} differences, first: {problems[:5]}")
    return count_numbers(expected)


def run() -> dict[str, Any]:
    """Time build_snapshot and the loop on 2000 symbols x 504 sessions (same process)."""
    data = bench_data()
    compared = check_same_numbers(data)
    snap_times = timed(lambda: build_snapshot(data.closes, data.universe, data.asof), REPEAT)
    loop_times = timed(lambda: loop_snapshot(data.closes, data.universe, data.asof),
                       LOOP_REPEAT, warmup=0)  # fmt: skip
    fast, slow = summary(snap_times), summary(loop_times)
    universe = data.universe
    return {
        "snapshot_2000_symbols_s": fast["median"],
        "snapshot_speedup_vs_loop": round(slow["median"] / fast["median"], 2),
        "details": {
            "snapshot_s": fast,
            "loop_s": slow,
            "values_checked_equal": compared,
            "frame": list(data.closes.shape),
            "sessions": [str(data.closes.index[0].date()), str(data.asof)],
            "universe": {
                "symbols": len(universe.all_symbols()),
                "members": len(universe.members),
                "pairs": len(universe.pairs),
                "baskets": {b.name: len(b.members) for b in universe.baskets},
            },
        },
    }
