"""Run the benchmarks and write bench/results.json: ``python -m bench [--only NAME,...]``."""

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

RESULTS = Path(__file__).resolve().parent / "results.json"

#: (name, module, keys it reports, budget per key as (op, limit))
SUITES: tuple[tuple[str, str, dict[str, tuple[str, float]]], ...] = (
    ("snapshot", "bench.snapshot_bench",
     {"snapshot_2000_symbols_s": ("<=", 1.0), "snapshot_speedup_vs_loop": (">=", 5.0)}),
    ("storage", "bench.storage_bench",
     {"backfill_1m_bars_s": ("<=", 5.0),
      "backfill_speedup_vs_sqlite_utils_defaults": (">=", 10.0),
      "daily_upsert_2000_symbols_s": ("<=", 0.2)}),
    ("reply", "bench.reply_bench",
     {"rotation_reply_p95_ms": ("<=", 50.0), "chart_render_p95_ms": ("<=", 300.0)}),
    ("inline", "bench.inline_bench", {"inline_answer_p95_ms": ("<=", 500.0)}),
    ("fanout", "bench.fanout_bench",
     {"fanout_overhead_ms_per_message": ("<=", 2.0),
      "limited_send_rate_msgs_per_s": (">=", 28.0), "limited_send_429s": ("<=", 0.0)}),
    ("rss", "bench.rss_bench", {"peak_rss_mb": ("<=", 300.0)}),
)  # fmt: skip

METHOD = (
    "Wall clock (time.perf_counter) in one process per suite on an otherwise idle machine; "
    "each figure is the median of repeated runs after a warm-up run unless its details say "
    "otherwise (p95 figures: nearest-rank 95th percentile of individual requests). Baselines "
    "run in the same process and the same run. Data: the bundled real sample extended with "
    "a seeded generator (bench/data.py). See BENCHMARKS.md."
)


def verdict(value: Any, budget: tuple[str, float]) -> str:
    """'ok', 'MISSED' or 'n/a' for a value against (op, limit)."""
    if value is None:
        return "n/a"
    op, limit = budget
    ok = value <= limit if op == "<=" else value >= limit
    return "ok" if ok else "MISSED"


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


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table (key, value, budget, verdict)."""
    lines = ["| key | value | budget | verdict |", "|---|---|---|---|"]
    for _name, _module, keys in SUITES:
        for key, budget in keys.items():
            value = results.get(key)
            shown = "null" if value is None else value
            limit = f"{budget[0]} {budget[1]:g}" if key != "limited_send_429s" else "= 0"
            lines.append(f"| `{key}` | {shown} | {limit} | {verdict(value, budget)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen suites, merge into results.json, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated suites: "
                        + ",".join(s[0] for s in SUITES))  # fmt: skip
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    chosen = {s for s in args.only.split(",") if s}
    unknown = chosen - {s[0] for s in SUITES}
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
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
    results["budgets"] = {k: f"{op} {limit:g}" for _n, _m, keys in SUITES
                          for k, (op, limit) in keys.items()}  # fmt: skip
    results["verdicts"] = {k: verdict(results.get(k), b) for _n, _m, keys in SUITES
                           for k, b in keys.items()}  # fmt: skip
    results["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["machine"] = machine()
    results["method"] = METHOD
    ordered = {k: results[k] for _n, _m, keys in SUITES for k in keys if k in results}
    ordered.update({k: v for k, v in results.items() if k not in ordered})
    args.output.write_text(json.dumps(ordered, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(ordered))
    print(f"\nwrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
