"""Run the benchmarks: ``python -m bench [--only NAME,...] [--output FILE]``.

Results go to ``bench/out/results.json`` (untracked: ``make bench`` leaves the tree clean);
``make bench-save`` (``python -m bench.save``) copies the last full run into the committed
record ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from bench.timing import machine

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "out" / "results.json"
RECORD = HERE / "results.json"

#: (name, module, keys it reports, budget per key as (op, limit)). ``op`` is "<=", ">=" or
#: "=". Keys in SCALED are absolute times: their limit is multiplied by this run's
#: ``machine_factor`` (bench.calibrate), so every time budget is a ratio to a baseline
#: measured in the same run. Every other budget is a ratio or a count already.
SUITES: tuple[tuple[str, str, dict[str, tuple[str, float]]], ...] = (
    ("calibrate", "bench.calibrate", {"machine_factor": ("<=", float("inf"))}),
    ("snapshot", "bench.snapshot_bench",
     {"snapshot_2000_symbols_s": ("<=", 1.0), "snapshot_speedup_vs_loop": (">=", 5.0)}),
    ("scale", "bench.scale_bench", {"snapshot_5000_vs_2000": ("<=", 2.8)}),
    ("storage", "bench.storage_bench",
     {"backfill_1m_bars_s": ("<=", 5.0),
      "backfill_speedup_vs_sqlite_utils_defaults": (">=", 10.0),
      "daily_upsert_2000_symbols_s": ("<=", 0.2)}),
    ("reply", "bench.reply_bench",
     {"rotation_reply_p95_ms": ("<=", 50.0), "chart_render_p95_ms": ("<=", 300.0),
      "cold_first_reply_vs_warm_p95": ("<=", 1.5)}),
    ("inline", "bench.inline_bench", {"inline_answer_p95_ms": ("<=", 500.0)}),
    ("webapp", "bench.webapp_bench",
     {"webapp_page_kb": ("<=", 150.0), "webapp_pair_json_kb": ("<=", 25.0),
      "webapp_api_p95_ms": ("<=", 100.0)}),
    ("cli", "bench.cli_bench", {"ask_vs_pandas_import": ("<=", 2.5)}),
    ("replay", "bench.replay_bench",
     {"replay_speedup_vs_per_session": (">=", 15.0), "replay_events_identical": ("=", 1.0),
      "replay_2000_symbols_2y_s": ("<=", 60.0)}),
    ("fanout", "bench.fanout_bench",
     {"fanout_overhead_ms_per_message": ("<=", 2.0),
      "fanout_cpu_ms_per_message": ("<=", 1.0),
      "limited_send_rate_msgs_per_s": (">=", 28.0), "limited_send_429s": ("=", 0.0),
      "paid_broadcast_rate_msgs_per_s": (">=", 900.0), "paid_broadcast_429s": ("=", 0.0),
      "paid_broadcast_exactly_once": ("=", 1.0),
      "paid_blocked_rate_msgs_per_s": (">=", 900.0),
      "paid_blocked_requests_per_blocked_chat": ("=", 1.0), "paid_blocked_429s": ("=", 0.0)}),
    ("custom", "bench.custom_bench", {"custom_10k_chats_s": ("<=", 5.0)}),
    ("rss", "bench.rss_bench", {"peak_rss_mb": ("<=", 300.0)}),
    ("outbox", "bench.outbox_bench",
     {"outbox_bytes_per_flip_row": ("<=", 512.0), "enqueue_1m_chats_s": ("<=", 60.0),
      "enqueue_1m_vs_100k": ("<=", 11.0), "enqueue_peak_rss_mb": ("<=", 500.0),
      "reply_p95_ms_during_enqueue": ("<=", 150.0),
      "db_mb_after_year_vs_10_sessions": ("<=", 1.5)}),
)  # fmt: skip

SCALED = frozenset({
    "snapshot_2000_symbols_s", "backfill_1m_bars_s", "daily_upsert_2000_symbols_s",
    "rotation_reply_p95_ms", "chart_render_p95_ms", "fanout_overhead_ms_per_message",
    "replay_2000_symbols_2y_s", "inline_answer_p95_ms", "enqueue_1m_chats_s",
    "reply_p95_ms_during_enqueue", "custom_10k_chats_s", "webapp_api_p95_ms",
})  # fmt: skip
INFO = frozenset({"machine_factor"})  # reported, not judged

METHOD = (
    "Wall clock (time.perf_counter) in one process per suite; each figure is the median of "
    "repeated runs after a warm-up run unless its details say otherwise (p95 figures: "
    "nearest-rank 95th percentile of individual requests). Baselines run in the same process "
    "and the same run; absolute-time budgets are scaled by machine_factor, a fixed workload "
    "timed in the same run against its time on the record machine. Data: the bundled real "
    "sample extended with a seeded generator (bench/data.py). See BENCHMARKS.md."
)


def limit_of(key: str, budget: tuple[str, float], factor: float | None) -> float:
    """The budget's limit for this run (absolute times scaled by the machine factor)."""
    limit = budget[1]
    if key in SCALED and factor is not None:
        return round(limit * factor, 4)
    return limit


def verdict(value: Any, budget: tuple[str, float]) -> str:
    """'ok', 'MISSED' or 'n/a' for a value against (op, limit)."""
    if value is None:
        return "n/a"
    op, limit = budget
    if op == "=":
        return "ok" if float(value) == limit else "MISSED"
    ok = value <= limit if op == "<=" else value >= limit
    return "ok" if ok else "MISSED"


def budget_text(key: str, budget: tuple[str, float], factor: float | None) -> str:
    """The budget as shown: '<= 1', or '<= 1 x 1.12 = 1.12' for a scaled time budget."""
    op, limit = budget
    if key in INFO:
        return "info"
    if key in SCALED and factor is not None:
        return f"{op} {limit:g} x {factor:g} = {limit_of(key, budget, factor):g}"
    return f"{op} {limit:g}"


def run_suite(module: str, keys: dict[str, tuple[str, float]]) -> dict[str, Any]:
    """Run one suite; a suite that cannot run reports its keys as null with the reason."""
    start = time.perf_counter()
    try:
        out: dict[str, Any] = importlib.import_module(module).run()
    except Exception as exc:  # reported in results.json, never hidden
        logging.getLogger(__name__).exception("suite %s failed", module)
        reason = f"{type(exc).__name__}: {exc}"
        out = {key: None for key in keys}
        out["details"] = {"error": reason}
    out.setdefault("details", {})["suite_s"] = round(time.perf_counter() - start, 2)
    return out


def judge(results: dict[str, Any]) -> dict[str, str]:
    """Verdict per key of this run (scaled budgets use the run's machine factor)."""
    factor = results.get("machine_factor")
    out = {}
    for _n, _m, keys in SUITES:
        for key, budget in keys.items():
            if key in INFO:
                continue
            out[key] = verdict(results.get(key), (budget[0], limit_of(key, budget, factor)))
    return out


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table (key, value, budget, verdict)."""
    factor = results.get("machine_factor")
    verdicts = judge(results)
    lines = ["| key | value | budget | verdict |", "|---|---|---|---|"]
    for _name, _module, keys in SUITES:
        for key, budget in keys.items():
            value = results.get(key)
            shown = "null" if value is None else value
            text = budget_text(key, budget, factor)
            lines.append(f"| `{key}` | {shown} | {text} | {verdicts.get(key, '')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen suites, merge into the output file, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated suites: "
                        + ",".join(s[0] for s in SUITES))  # fmt: skip
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    chosen = {s for s in args.only.split(",") if s}
    unknown = chosen - {s[0] for s in SUITES}
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
    if chosen:
        chosen.add("calibrate")  # scaled budgets need this run's machine factor
    results: dict[str, Any] = {}
    if chosen and args.output.exists():
        results = json.loads(args.output.read_text(encoding="utf-8"))
    details = results.setdefault("details", {})
    for name, module, keys in SUITES:
        if chosen and name not in chosen:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        out = run_suite(module, keys)
        details[name] = out.pop("details")
        for key in keys:
            results[key] = out.get(key)
        print(f"  {name}: {({k: results[k] for k in keys})} in {details[name]['suite_s']} s",
              file=sys.stderr, flush=True)  # fmt: skip
    factor = results.get("machine_factor")
    results["budgets"] = {k: budget_text(k, b, factor) for _n, _m, keys in SUITES
                          for k, b in keys.items() if k not in INFO}  # fmt: skip
    results["verdicts"] = judge(results)
    results["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["machine"] = machine()
    results["method"] = METHOD
    ordered = {k: results[k] for _n, _m, keys in SUITES for k in keys if k in results}
    ordered.update({k: v for k, v in results.items() if k not in ordered})
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(ordered, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(ordered))
    print(f"\nwrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
