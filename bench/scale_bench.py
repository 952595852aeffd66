"""The scale curve: snapshot time and peak memory at 500, 1000, 2000 and 5000 symbols.

Each size is ``bench.data.bench_data(symbols=N)`` (504 sessions, the wide universe: N - 1
members in the strength quadrant, the same 52 pairs). Time: median of REPEAT runs of
``build_snapshot`` after a warm-up. Memory: the peak of Python and numpy allocations
(tracemalloc) during one more ``build_snapshot`` beyond the input frame, in MB. Growth per
doubling is reported between consecutive sizes; ``snapshot_5000_vs_2000`` is the time ratio
of 5000 to 2000 symbols (2.5x the symbols: linear growth gives 2.5).
"""

from __future__ import annotations

import gc
import itertools
import math
import statistics
import tracemalloc
from typing import Any

from analytics.snapshot import build_snapshot
from bench.data import bench_data
from bench.timing import timed

SIZES = (500, 1000, 2000, 5000)
REPEAT = 5


def one_size(symbols: int) -> dict[str, float]:
    """Median snapshot seconds and peak MB for ``symbols`` symbols."""
    data = bench_data(symbols=symbols)
    times = timed(lambda: build_snapshot(data.closes, data.universe, data.asof), REPEAT)
    gc.collect()
    tracemalloc.start()
    build_snapshot(data.closes, data.universe, data.asof)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "symbols": symbols,
        "snapshot_s": round(statistics.median(times), 4),
        "peak_mb": round(peak / 1e6, 1),
        "input_mb": round(data.closes.memory_usage(deep=True).sum() / 1e6, 1),
    }


def run() -> dict[str, Any]:
    """Every size in turn; growth factors per doubling; the 5000 vs 2000 time ratio."""
    rows: list[dict[str, float]] = [one_size(n) for n in SIZES]
    for prev, row in itertools.pairwise(rows):
        doublings = math.log2(row["symbols"] / prev["symbols"])
        for what, key in (("snapshot_s", "time"), ("peak_mb", "memory")):
            growth = (row[what] / prev[what]) ** (1 / doublings)
            row[f"{key}_growth_per_doubling"] = round(growth, 2)
    by = {r["symbols"]: r for r in rows}
    return {
        "snapshot_5000_vs_2000": round(by[5000]["snapshot_s"] / by[2000]["snapshot_s"], 2),
        "details": {"curve": rows, "sessions": 504, "repeat": REPEAT},
    }
