"""replay_speedup_vs_per_session, replay_events_identical and replay_2000_symbols_2y_s.

Bundled data (the 30 real symbols, the bundled universe: 7 pairs): every session from
2024-06-03 to the last (2026-04-01) replayed with the default rules, once one snapshot at a
time (``jobs.replay.replay_per_session``: what ``replay --dry-run`` did before, and what the
daily pipeline does each day) and once over all sessions at once (``jobs.replay.replay_dry``,
median of REPEAT). The two event lists are compared event by event (key, kind, rule, pair,
session, urgency and payload); the speedup counts only when they are identical.

2000 symbols x 2 years: ``bench.data.bench_data()`` (504 sessions, 52 pairs), every session
replayed at once. The per-session replay of that range would take minutes; it is estimated
from SAMPLE evenly spaced sessions (their snapshots built one by one) and reported in details.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from analytics.snapshot import build_snapshot
from bench.data import bench_data, real_closes
from bench.timing import timed
from jobs.replay import ReplayStep, replay_dry, replay_per_session
from market.universe import load_universe

FIRST = dt.date(2024, 6, 3)
REPEAT = 3
SAMPLE = 8


def same_events(a: list[ReplayStep], b: list[ReplayStep]) -> tuple[bool, int]:
    """Whether two replays raised the same events in the same order; how many events."""
    left = [(s.session, e) for s in a for e in s.events]
    right = [(s.session, e) for s in b for e in s.events]
    return left == right, len(left)


def run() -> dict[str, Any]:
    """Both replays on the bundled range; the vectorised one on 2000 symbols x 2 years."""
    closes = real_closes()
    universe = load_universe()
    sessions = [ts.date() for ts in closes.index if ts.date() >= FIRST]
    start = time.perf_counter()
    reference = list(replay_per_session(sessions, closes, universe))
    per_session_s = time.perf_counter() - start
    fast = replay_dry(sessions, closes, universe)
    identical, events = same_events(reference, fast)
    fast_s = statistics.median(timed(lambda: replay_dry(sessions, closes, universe), REPEAT))
    data = bench_data()
    wide = [ts.date() for ts in data.closes.index]
    wide_s = statistics.median(
        timed(lambda: replay_dry(wide, data.closes, data.universe), 1, warmup=0)
    )
    picks = wide[:: max(1, len(wide) // SAMPLE)][:SAMPLE]
    sample = timed(lambda: [build_snapshot(data.closes, data.universe, d) for d in picks], 1, 0)
    per_snapshot = sample[0] / len(picks)
    by_kind: dict[str, int] = {}
    for step in fast:
        for event in step.events:
            by_kind[event.kind] = by_kind.get(event.kind, 0) + 1
    return {
        "replay_speedup_vs_per_session": round(per_session_s / fast_s, 1) if identical else None,
        "replay_events_identical": int(identical),
        "replay_2000_symbols_2y_s": round(wide_s, 3),
        "details": {
            "bundled": {
                "sessions": len(sessions),
                "range": [str(sessions[0]), str(sessions[-1])],
                "pairs": len(universe.pairs),
                "events": events,
                "events_by_kind": by_kind,
                "per_session_s": round(per_session_s, 3),
                "per_session_ms_per_session": round(per_session_s * 1000 / len(sessions), 2),
                "vectorised_s": round(fast_s, 4),
            },
            "wide": {
                "symbols": data.closes.shape[1],
                "sessions": len(wide),
                "pairs": len(data.universe.pairs),
                "vectorised_s": round(wide_s, 3),
                "per_session_estimate_s": round(per_snapshot * len(wide), 1),
                "estimated_speedup": round(per_snapshot * len(wide) / wide_s, 1),
                "sampled_snapshots": len(picks),
            },
        },
    }
