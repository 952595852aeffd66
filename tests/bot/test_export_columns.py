"""Export's derived columns against an independent computation.

`rotation-bot export` (a real process over the stored closes) writes trend, band, upper,
lower and regime; this test recomputes each from the stored closes with plain Python
(statistics and math, no pandas and no project analytics), following the README's
definitions: trend = the geometric mean of R over the last 50 sessions; band = the pair's
fixed band, or max(0.5 %, 2 x the sample standard deviation of the daily change of log R over
the last 252 sessions, at least 40); upper = trend x (1 + band); lower = trend / (1 + band);
the regime starts after 3 closes in a row beyond a band and holds until 3 beyond the other.
"""

from __future__ import annotations

import csv
import io
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import open_db
from storage.prices import load_closes

ROOT = Path(__file__).resolve().parents[2]
WINDOW, YEAR, MIN_CHANGES, CONFIRM = 50, 252, 40, 3


def _export(env_dir: Path, pair: str) -> list[dict[str, str]]:
    out = env_dir / f"{pair.replace('/', '-')}.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", pair, "--range", "all", "--out", str(out)],
        env=env, cwd=env_dir, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(out.read_text())))


def _expected(a: list[float], b: list[float], fixed_band: float | None) -> list[dict]:
    """Per session (both legs closed): trend, band, upper, lower, regime ('A', 'B' or '')."""
    logs = [math.log(x / y) for x, y in zip(a, b, strict=True)]
    rows: list[dict] = []
    state, up, down = "", 0, 0
    for t, log_r in enumerate(logs):
        trend = (
            math.exp(statistics.fmean(logs[t - WINDOW + 1 : t + 1])) if t >= WINDOW - 1 else None
        )
        changes = [logs[i] - logs[i - 1] for i in range(max(1, t - YEAR + 1), t + 1)]
        if fixed_band is not None:
            band: float | None = fixed_band
        elif len(changes) >= MIN_CHANGES:
            band = max(0.005, 2.0 * statistics.stdev(changes))
        else:
            band = None
        upper = lower = None
        if trend is not None and band is not None:
            upper, lower = trend * (1.0 + band), trend / (1.0 + band)
            ratio = math.exp(log_r)
            up = up + 1 if ratio > upper else 0
            down = down + 1 if ratio < lower else 0
            if up >= CONFIRM:
                state = "A"
            elif down >= CONFIRM:
                state = "B"
        rows.append({"trend": trend, "band": band, "upper": upper, "lower": lower, "regime": state})
    return rows


def _close(got: str, want: float | None) -> bool:
    if want is None:
        return got == ""
    return got != "" and math.isclose(float(got), want, rel_tol=1e-9)


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("a", "b", "fixed_band"),
    [("KRE", "SPY", None), ("IWM", "SPY", 0.01)],
    ids=["scaled-band", "fixed-band"],
)
def test_pair_export_columns_equal_an_independent_computation(env, a, b, fixed_band) -> None:
    rows = _export(env, f"{a}/{b}")
    db = open_db(Path(os.environ["DATABASE_PATH"]))
    try:
        closes = load_closes(db, [a, b]).dropna()
    finally:
        db.conn.close()
    assert [r["date"] for r in rows] == [d.date().isoformat() for d in closes.index]
    expected = _expected([float(x) for x in closes[a]], [float(x) for x in closes[b]], fixed_band)
    names = {"A": a, "B": b, "": ""}
    regimes = set()
    for row, want in zip(rows, expected, strict=True):
        for column in ("trend", "band", "upper", "lower"):
            assert _close(row[column], want[column]), (row["date"], column, row[column], want)
        assert float(row["lower"] or 0) <= float(row["upper"] or 0)
        assert row["regime"] == names[want["regime"]], (row["date"], row["regime"], want)
        regimes.add(row["regime"])
    assert {a, b} <= regimes  # both sides led at some point: the flips are in the check
