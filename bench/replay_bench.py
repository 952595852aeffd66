"""replay_speedup_vs_per_session, replay_events_identical and replay_2000_symbols_2y_s.

Bundled data (the 30 real symbols, the bundled universe: 7 pairs): every session from
2024-06-03 to the last (2026-04-01) replayed with the default rules, once one snapshot at a
time (``jobs.replay.replay_per_session``: what ``replay --dry-run`` did before, and what the
daily pipeline does each day) and once over all sessions at once (``jobs.replay.replay_dry``,
median of REPEAT). The two event lists are compared event by event (key, kind, rule, pair,
session, urgency and payload); the speedup counts only when they are identical.

The same range with /alert thresholds added to the default rules (ALERTS, as /alert stores
them: every kind of metric, both directions; what ``replay --dry-run`` evaluates when chats
have such rules) is replayed both ways too and reported in ``details.alerts``.

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
from jobs.fanout import pipeline_rules
from jobs.replay import ReplayStep, replay_dry, replay_per_session
from market.universe import load_universe
from storage.rules import UserRule

FIRST = dt.date(2024, 6, 3)
REPEAT = 3
SAMPLE = 8
#: /alert rules on the bundled pairs (pair, metric, operator, value), as chats store them.
ALERTS = (
    ("IWM/SPY", "spread_1m", ">", 3.0),
    ("IWM/SPY", "spread_1w", "<", -2.0),
    ("IWM/QQQ", "ratio_3m", ">=", 0.05),
    ("RSP/SPY", "ratio_vs_trend", "<", -0.01),
    ("IJR/SPY", "spread_change_z", ">", 2.0),
    ("KRE/SPY", "rel20_percentile", "<=", 10.0),
    ("^RUT/^GSPC", "stretch_z", ">", 1.5),
    ("IWM/SPY", "regime_sessions", ">=", 40.0),
)


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
    rules = pipeline_rules([UserRule(k, 1, *alert) for k, alert in enumerate(ALERTS, 1)], universe)
    start = time.perf_counter()
    alerts_reference = list(replay_per_session(sessions, closes, universe, rules))
    alerts_per_session_s = time.perf_counter() - start
    alerts_fast = replay_dry(sessions, closes, universe, rules)
    alerts_identical, alerts_events = same_events(alerts_reference, alerts_fast)
    alerts_s = statistics.median(
        timed(lambda: replay_dry(sessions, closes, universe, rules), REPEAT)
    )
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
                "events_by_kind": _by_kind(fast),
                "per_session_s": round(per_session_s, 3),
                "per_session_ms_per_session": round(per_session_s * 1000 / len(sessions), 2),
                "vectorised_s": round(fast_s, 4),
            },
            "alerts": {
                "rules": len(rules),
                "alert_rules": len(ALERTS),
                "events": alerts_events,
                "events_by_kind": _by_kind(alerts_fast),
                "events_identical": int(alerts_identical),
                "per_session_s": round(alerts_per_session_s, 3),
                "vectorised_s": round(alerts_s, 4),
                "speedup": round(alerts_per_session_s / alerts_s, 1) if alerts_identical else None,
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


def _by_kind(steps: list[ReplayStep]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for step in steps:
        for event in step.events:
            counts[event.kind] = counts.get(event.kind, 0) + 1
    return counts
