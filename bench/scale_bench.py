"""The scale curve: snapshot time and peak memory at 500, 1000, 2000 and 5000 symbols.

Each size is ``bench.data.bench_data(symbols=N)`` (504 sessions, the wide universe: N - 1
members in the strength quadrant, the same 52 pairs). Time: ``build_snapshot`` ROUNDS times
per size after a warm-up, the sizes interleaved round by round so that load from other
processes falls on every size alike; the best (minimum) run is the size's time (the median
is reported beside it). Memory: the peak of Python and numpy allocations (tracemalloc) during
one more ``build_snapshot``, in MB. Growth per doubling is reported between consecutive
sizes; ``snapshot_5000_vs_2000`` is the time ratio of 5000 to 2000 symbols (2.5x the symbols:
linear growth gives 2.5).
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
ROUNDS = 7


def peak_mb(data: Any) -> float:
    """Peak traced allocations (MB) of one snapshot."""
    gc.collect()
    tracemalloc.start()
    build_snapshot(data.closes, data.universe, data.asof)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 1e6, 1)


def run() -> dict[str, Any]:
    """Every size, interleaved; growth factors per doubling; the 5000 vs 2000 time ratio."""
    datas = {n: bench_data(symbols=n) for n in SIZES}
    times: dict[int, list[float]] = {n: [] for n in SIZES}
    for data in datas.values():
        timed(lambda d=data: build_snapshot(d.closes, d.universe, d.asof), 0, warmup=1)
    for _ in range(ROUNDS):
        for n, data in datas.items():
            times[n] += timed(lambda d=data: build_snapshot(d.closes, d.universe, d.asof), 1, 0)
    rows: list[dict[str, float]] = [
        {
            "symbols": n,
            "snapshot_s": round(min(times[n]), 4),
            "snapshot_median_s": round(statistics.median(times[n]), 4),
            "peak_mb": peak_mb(datas[n]),
            "input_mb": round(datas[n].closes.memory_usage(deep=True).sum() / 1e6, 1),
        }
        for n in SIZES
    ]
    for prev, row in itertools.pairwise(rows):
        doublings = math.log2(row["symbols"] / prev["symbols"])
        for what, key in (("snapshot_s", "time"), ("peak_mb", "memory")):
            growth = (row[what] / prev[what]) ** (1 / doublings)
            row[f"{key}_growth_per_doubling"] = round(growth, 2)
    by = {r["symbols"]: r for r in rows}
    return {
        "snapshot_5000_vs_2000": round(by[5000]["snapshot_s"] / by[2000]["snapshot_s"], 2),
        "details": {"curve": rows, "sessions": 504, "rounds": ROUNDS, "time": "best of rounds"},
    }
