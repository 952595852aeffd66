"""Timing helpers and a description of the machine the numbers come from."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

LIBRARIES = ("pandas", "numpy", "python-telegram-bot", "sqlite-utils", "matplotlib", "aiohttp",
             "aiolimiter")  # fmt: skip


def timed(fn: Callable[[], Any], repeat: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict[str, float]:
    """Median, min and max of a list of timings (seconds), rounded for the report."""
    return {
        "median": round(statistics.median(times), 4),
        "min": round(min(times), 4),
        "max": round(max(times), 4),
        "runs": len(times),
    }


def latency_ms(seconds: list[float]) -> dict[str, float]:
    """p95, median (upper middle) and max of request latencies given in seconds, in ms."""
    ms = [t * 1000 for t in seconds]
    return {
        "p95_ms": round(p95(ms), 2),
        "median_ms": round(sorted(ms)[len(ms) // 2], 2),
        "max_ms": round(max(ms), 2),
    }


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest-rank) of a list of numbers."""
    ordered = sorted(values)
    rank = max(1, -(-95 * len(ordered) // 100))
    return ordered[rank - 1]


def _memory_mb() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """Cores, memory, CPU, OS, Python, SQLite and library versions."""
    import sqlite3

    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cores": os.cpu_count(),
        "memory_mb": _memory_mb(),
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "libraries": versions,
    }
