"""/watch through the real command line, on data it never saw, against the documented formula;
bad input; a watchlist kept from one ``console`` run to the next.

The csv folder is the bundled sample cut at D, each watched symbol and the benchmark bent by
its own slow wave (a path no stored file has). One watched symbol stops three sessions early:
WTCH, a symbol of no bundled file (HBAN's prices), fetched when it is first watched. The
expected numbers are written here from the README's words with plain numpy, as for /sectors
(tests/bot/test_sectors.py).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bot.cli.main import app

D = dt.date(2025, 9, 19)
WATCHED = ("KRE", "XLK", "AAPL", "NVDA", "WTCH")
BENCH = "IWM"
LATE = "WTCH"
LATE_DAY = dt.date(2025, 9, 16)
LINE = re.compile(
    r"^([A-Z]+)\s+(leading|weakening|lagging|improving)\s+(\d+\.\d\d)\s+(\d+\.\d\d)"
    r"\s+(\d+)\s+([+−]?\d+\.\d\d) pp\s*$"
)


@pytest.fixture
def unseen(clean_env: Path, sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A csv folder: the sample cut at D, the watched symbols and IWM bent, WTCH late."""
    folder = clean_env / "prices"
    folder.mkdir()
    for path in sample_dir.glob("*.csv"):
        shutil.copy(path, folder / path.name)
    shutil.copy(sample_dir / "HBAN.csv", folder / f"{LATE}.csv")
    for k, symbol in enumerate((*WATCHED, BENCH)):
        frame = pd.read_csv(folder / f"{symbol}.csv", dtype={"date": str})
        steps = np.arange(len(frame), dtype="float64")
        bend = 1.0 + 0.05 * np.cos(steps / (5.0 + 3 * k)) + 0.0004 * steps * (k % 2)
        frame["close"] = (frame["close"] * bend).round(6)
        if symbol == LATE:
            frame = frame[frame["date"] <= LATE_DAY.isoformat()]
        frame.to_csv(folder / f"{symbol}.csv", index=False)
    monkeypatch.setenv("MARKET_DATA_SOURCE", "csv")
    monkeypatch.setenv("MARKET_DATA_DIR", str(folder))
    monkeypatch.setenv("DATABASE_PATH", str(clean_env / "db" / "rotation.db"))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    update = CliRunner().invoke(app, ["prices", "update", "--asof", D.isoformat()])
    assert update.exit_code == 0, update.output
    return folder


def ask(text: str) -> tuple[int, str, str]:
    out = CliRunner().invoke(app, ["ask", text, "--asof", D.isoformat()])
    return out.exit_code, out.stdout, out.stderr


def closes(folder: Path, symbol: str) -> pd.Series:
    frame = pd.read_csv(folder / f"{symbol}.csv", parse_dates=["date"], index_col="date")
    return frame.loc[: pd.Timestamp(D), "close"]


def documented(ratio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """strength = 100 · R / exp(EMA₅₀(log R)) (alpha 2/51, seeded with the first value,
    defined from the 50th close); momentum = 100 · strength / strength 10 sessions earlier."""
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


def test_watch_board_equals_an_independent_computation(unseen: Path) -> None:
    code, out, err = ask("/watch add " + " ".join(WATCHED))
    assert code == 0, err
    assert "5 of 25" in out
    code, out, err = ask(f"/watch vs {BENCH}")
    assert code == 0, err
    code, out, err = ask("/watch")
    assert code == 0, err
    assert f"Your watchlist against {BENCH}" in out
    assert f"as of {D.isoformat()} close" in out
    assert f"{LATE} · as of {LATE_DAY.isoformat()} (no newer close)" in out
    rows = [m.groups() for m in map(LINE.match, out.splitlines()) if m]
    assert sorted(r[0] for r in rows) == sorted(WATCHED)
    bench = closes(unseen, BENCH)
    order = []
    for symbol, word, strength, momentum, held, spread in rows:
        both = pd.concat([closes(unseen, symbol), bench], axis=1, join="inner").dropna()
        x, b = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
        s, m = documented(x / b)
        assert word == quadrant(s[-1], m[-1]), symbol
        assert float(strength) == pytest.approx(s[-1], abs=0.01), symbol
        assert float(momentum) == pytest.approx(m[-1], abs=0.01), symbol
        words = [quadrant(p, q) for p, q in zip(s, m, strict=True) if not np.isnan(q)]
        same = next(i for i, w in enumerate(reversed(words)) if w != words[-1])
        assert int(held) == same, symbol
        month = 100 * (x[-1] / x[-22] - b[-1] / b[-22])
        assert float(spread.replace("−", "-")) == pytest.approx(month, abs=0.01), symbol
        order.append((["leading", "weakening", "improving", "lagging"].index(word), -s[-1]))
    assert order == sorted(order)  # leaders first, as /sectors


def test_the_watch_map_is_drawn(unseen: Path) -> None:
    assert ask("/watch add KRE XLK")[0] == 0
    charts = unseen.parent / "charts"
    out = CliRunner().invoke(
        app, ["ask", "/watch", "--asof", D.isoformat(), "--chart-dir", str(charts)]
    )
    assert out.exit_code == 0, out.output
    [png] = charts.glob("*.png")
    assert png.read_bytes().startswith(b"\x89PNG")


def _written(unseen: Path) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    with sqlite3.connect(unseen.parent / "db" / "rotation.db") as conn:
        watch = conn.execute("SELECT chat_id, symbol FROM chat_watchlist ORDER BY 1, 2")
        bench = conn.execute("SELECT chat_id, watch_benchmark FROM chats ORDER BY 1")
        return list(watch.fetchall()), list(bench.fetchall())


def test_bad_input_gets_one_line_with_the_usage_and_writes_nothing(unseen: Path) -> None:
    stored = sorted(p.stem for p in unseen.glob("*.csv") if not p.stem.startswith("^"))
    plain = [s for s in stored if s not in ("SPY", "TNX", "IRX", "VIX", "FVX", "TYX", "MOVE")]
    assert ask("/watch add " + " ".join(plain[:24]))[0] == 0
    before = _written(unseen)
    assert len(before[0]) == 24
    for text, needle in (
        ("/watch add " + " ".join(plain[24:26]), "That makes 26 symbols"),
        ("/watch add " + " ".join(["KRE"] * 26), "at most 25 symbols"),
        ("/watch add BAD$SYM", "is not a symbol"),
        ("/watch add <b>KRE</b>", "is not a symbol"),
        ("/watch add ^TNX", "a yield"),
        ("/watch add MAG7", "is a basket"),
        ("/watch add SPY", "is this watchlist's benchmark"),
        ("/watch add", "Name at least one symbol"),
        ("/watch del NVDAX", "is not in this watchlist"),
        ("/watch vs", "Name one benchmark"),
        ("/watch vs IWM SPY", "Name one benchmark"),
        ("/watch vs <i>x</i>", "is not a symbol"),
        ("/watch vs ^VIX", "a volatility index"),
        ("/watch 2y", "Unknown /watch argument"),
    ):
        code, out, err = ask(text)
        assert code == 2, (text, out)
        assert needle in err, (text, err)
        lines = err.strip().splitlines()
        assert len(lines) == 2, (text, err)
        assert lines[1].startswith("Usage: /watch"), (text, err)
        assert "Traceback" not in err
        assert _written(unseen) == before, text
    for text in ("/watch add KRE NOSUCHSYM", "/watch vs NOSUCHSYM"):  # fetched, then not found
        code, out, err = ask(text)
        assert code == 2, (text, out)
        assert err.strip().splitlines()[-1] == "⚠️ NOSUCHSYM was not found at the price source."
        assert _written(unseen) == before, text


def _console(home: Path, commands: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--asof", D.isoformat()],
        input=commands + "quit\n",
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_a_watchlist_made_in_one_console_run_is_there_in_the_next(unseen: Path) -> None:
    first = _console(unseen.parent, "/watch add KRE XLK\n/watch vs IWM\n")
    assert "2 of 25" in first
    second = _console(unseen.parent, "/watch\n")
    assert "Your watchlist against IWM" in second
    assert {m.group(1) for m in map(LINE.match, second.splitlines()) if m} == {"KRE", "XLK"}
