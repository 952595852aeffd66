"""/sectors through the real command line on data it never saw, against the README's formula.

The csv folder is the bundled sample cut at D with every sector bent by its own slow wave (a
path no stored file has). The expected numbers are written here from the README's words with
plain numpy: strength = 100 · R / exp(EMA₅₀(log R)) (alpha 2/51, seeded with the first value,
defined from the 50th close), momentum = 100 · strength / strength 10 sessions earlier,
quadrants by the 100 lines, sessions in the quadrant counted back from D, the 1M spread as
return(sector) − return(SPY) over 21 sessions.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from market.universe import load_universe

D = dt.date(2025, 9, 19)
SECTORS = load_universe().boards["sectors"]
LINE = re.compile(
    r"^(XL[A-Z]+)\s+(.+?)\s+(leading|weakening|lagging|improving)\s+(\d+\.\d\d)\s+(\d+\.\d\d)"
    r"\s+(\d+)\s+([+−]?\d+\.\d\d) pp\s*$"
)


def _file(symbol: str) -> str:
    return symbol.removeprefix("^") + ".csv"


@pytest.fixture
def unseen(clean_env: Path, sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A csv folder: the sample cut at D, the sectors bent; the bot pointed at it."""
    folder = clean_env / "prices"
    folder.mkdir()
    for path in sample_dir.glob("*.csv"):
        shutil.copy(path, folder / path.name)
    for k, symbol in enumerate(SECTORS.symbols):
        frame = pd.read_csv(folder / _file(symbol), dtype={"date": str})
        steps = np.arange(len(frame), dtype="float64")
        frame["close"] = (frame["close"] * (1.0 + 0.04 * np.sin(steps / (7.0 + 2 * k)))).round(6)
        frame.to_csv(folder / _file(symbol), index=False)
    monkeypatch.setenv("MARKET_DATA_SOURCE", "csv")
    monkeypatch.setenv("MARKET_DATA_DIR", str(folder))
    monkeypatch.setenv("DATABASE_PATH", str(clean_env / "db" / "rotation.db"))
    update = CliRunner().invoke(app, ["prices", "update", "--asof", D.isoformat()])
    assert update.exit_code == 0, update.output
    return folder


def closes(folder: Path, symbol: str) -> np.ndarray:
    frame = pd.read_csv(folder / _file(symbol), parse_dates=["date"], index_col="date")
    return frame.loc[: pd.Timestamp(D), "close"].to_numpy(dtype="float64")


def documented(ratio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    logs = np.log(ratio)
    alpha = 2.0 / 51.0
    trend = np.empty_like(logs)
    trend[0] = logs[0]
    for t in range(1, len(logs)):
        trend[t] = (1 - alpha) * trend[t - 1] + alpha * logs[t]
    strength = 100.0 * np.exp(logs - trend)
    strength[:49] = np.nan
    momentum = np.full_like(strength, np.nan)
    momentum[10:] = 100.0 * strength[10:] / strength[:-10]
    return strength, momentum


def quadrant(s: float, m: float) -> str:
    if s >= 100:
        return "leading" if m >= 100 else "weakening"
    return "improving" if m >= 100 else "lagging"


def test_sectors_equal_an_independent_computation_of_the_formula(unseen: Path) -> None:
    result = CliRunner().invoke(app, ["ask", "/sectors", "--asof", D.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"as of {D.isoformat()} close" in result.stdout
    rows = [m.groups() for m in map(LINE.match, result.stdout.splitlines()) if m]
    assert sorted(r[0] for r in rows) == sorted(SECTORS.symbols)
    spy = closes(unseen, "SPY")
    printed_order = []
    for symbol, name, word, strength, momentum, held, spread in rows:
        s, m = documented(closes(unseen, symbol) / spy)
        assert name == dict(SECTORS.members)[symbol]
        assert word == quadrant(s[-1], m[-1]), symbol
        assert float(strength) == pytest.approx(s[-1], abs=0.01), symbol
        assert float(momentum) == pytest.approx(m[-1], abs=0.01), symbol
        words = [quadrant(a, b) for a, b in zip(s, m, strict=True) if not np.isnan(b)]
        same = next(i for i, w in enumerate(reversed(words)) if w != words[-1])
        assert int(held) == same, symbol
        x = closes(unseen, symbol)
        month = 100 * (x[-1] / x[-22] - spy[-1] / spy[-22])
        assert float(spread.replace("−", "-")) == pytest.approx(month, abs=0.01), symbol
        printed_order.append((["leading", "weakening", "improving", "lagging"].index(word), -s[-1]))
    assert printed_order == sorted(printed_order)  # leaders first


def test_sectors_horizon_and_bad_input(unseen: Path) -> None:
    week = CliRunner().invoke(app, ["ask", "/sectors 1w", "--asof", D.isoformat()])
    assert week.exit_code == 0, week.output
    assert "1W vs SPY" in week.stdout
    for text, needle in (
        ("/sectors 2y", "Unknown horizon"),
        ("/sectors 1m 3m", "Too many arguments"),
        ("/sectors <b>x</b>", "Unknown horizon"),
        ("/quadrant banks", "it takes nothing or sectors"),
    ):
        bad = CliRunner().invoke(app, ["ask", text, "--asof", D.isoformat()])
        assert bad.exit_code == 2, text
        assert needle in bad.stderr, (text, bad.stderr)
        assert "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) <= 2


def test_the_rotation_map_is_drawn_for_sectors_and_quadrant_sectors(unseen: Path) -> None:
    charts = unseen.parent / "charts"
    for text in ("/sectors", "/quadrant sectors"):
        out = CliRunner().invoke(
            app, ["ask", text, "--asof", D.isoformat(), "--chart-dir", str(charts)]
        )
        assert out.exit_code == 0, out.output
        assert "Sector rotation" in out.stdout
    pngs = sorted(charts.glob("*.png"))
    assert len(pngs) == 2
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert pngs[0].read_bytes() == pngs[1].read_bytes()  # the same chart
