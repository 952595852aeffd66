"""A chat's basket through real ``rotation-bot console`` processes on data the code never saw.

The console is a chat of its own, kept in the database like any chat: a basket made in one
console run is there in the next. The csv folder is the bundled sample with the members
bent by slow waves of their own and one member's close removed on one session (that member
is left out of that day's and the next day's returns). ``/ticker`` and ``/pair`` on the basket
must print what an equal-weight, daily-rebalanced basket computed here with pandas
(``tests.equal_weight``, no project analytics) gives, to the printed precision. Bad input gets
its one-line answer (what was wrong, then the usage), no traceback, and writes nothing.
"""

from __future__ import annotations

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

from tests.equal_weight import change, equal_weight, read_closes

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = ("XLK", "XLE", "XLF", "KRE")
GAP = ("XLE", 300)  # this member has no close on the sample's 300th session
HORIZONS = {"1D": 1, "1W": 5, "1M": 21, "3M": 63, "1Y": 252}
ROW = re.compile(r"^(1D|1W|1M|3M|YTD|1Y)\s+([+−]?\d+\.\d\d) (%|pp)\s+([+−]?\d+\.\d\d) (%|pp)")
BAD = (
    ("/basket MIX XLK", "at least 2"),
    ("/basket MIX " + " ".join(f"A{n}" for n in range(26)), "at most 25"),
    ("/basket MIX XLK X$K", "is not a symbol"),
    ("/basket MIX XLK ZZZZQ", "ZZZZQ was not found"),  # valid, fetched, not at the source
    ("/basket SPY XLK XLE", "is a symbol"),
    ("/basket MAG7 XLK XLE", "bundled basket"),
    ("/basket <b>MIX</b> XLK XLE", "is not a basket name"),
)


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


@pytest.fixture
def unseen(clean_env: Path, sample_dir: Path) -> dict[str, str]:
    """A csv folder with the members bent and one gap; the prices stored; the console's
    environment."""
    folder = clean_env / "prices"
    folder.mkdir()
    for path in sample_dir.glob("*.csv"):
        shutil.copy(path, folder / path.name)
    for k, symbol in enumerate(MEMBERS):
        frame = pd.read_csv(folder / f"{symbol}.csv", dtype={"date": str})
        steps = np.arange(len(frame), dtype="float64")
        frame["close"] = (frame["close"] * (1.0 + 0.05 * np.sin(steps / (9.0 + 3 * k)))).round(6)
        if symbol == GAP[0]:
            frame = frame.drop(index=GAP[1])
        frame.to_csv(folder / f"{symbol}.csv", index=False)
    env = {
        **os.environ,
        "MARKET_DATA_SOURCE": "csv",
        "MARKET_DATA_DIR": str(folder),
        "DATABASE_PATH": str(clean_env / "db" / "rotation.db"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),  # this checkout's code
    }
    stored = _cli(env, clean_env, "prices", "update")
    assert stored.returncode in (0, 1), stored.stderr  # 1: the gap is reported
    assert "Traceback" not in stored.stderr
    return env


def _cli(
    env: dict[str, str], cwd: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _console(env: dict[str, str], *lines: str) -> subprocess.CompletedProcess:
    done = _cli(env, Path(env["MARKET_DATA_DIR"]).parent, "console", stdin="\n".join(lines))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "internal error" not in done.stderr
    return done


def _rows(env: dict[str, str]) -> list[tuple]:
    """Every chat and basket row (what a command may write)."""
    with sqlite3.connect(env["DATABASE_PATH"]) as conn:
        chats = conn.execute("SELECT chat_id, type, active FROM chats").fetchall()
        baskets = conn.execute("SELECT chat_id, name, members FROM chat_baskets").fetchall()
    return [*chats, *baskets]


def test_a_console_basket_lasts_and_its_numbers_are_equal_weight(unseen: dict[str, str]) -> None:
    env = unseen
    before = _rows(env)
    bad = _console(env, *(text for text, _ in BAD), "quit")
    # each answer: what was wrong (one line), then the usage where the command is known
    answers = re.split(r"^(?=⚠️)", bad.stderr, flags=re.MULTILINE)
    answers = [
        [line for line in a.strip().splitlines() if not line.startswith("fetching ")]
        for a in answers
        if a.startswith("⚠️")
    ]
    assert len(answers) == len(BAD), bad.stderr
    for (text, needle), lines in zip(BAD, answers, strict=True):
        assert needle in lines[0], (text, lines)
        assert len(lines) <= 2, (text, lines)
        assert lines[1:] == [] or lines[1].startswith("Usage: /basket"), (text, lines)
    assert _rows(env) == before  # nothing written

    made = _console(env, "/basket mix " + " ".join(m.lower() for m in MEMBERS), "quit")
    assert "Basket MIX saved: equal weight of 4" in made.stdout, made.stdout + made.stderr

    # another console run: the basket is there
    later = _console(env, "/baskets", "/ticker MIX", "/pair MIX SPY", "quit")
    out = later.stdout
    assert "MIX: XLK, XLE, XLF, KRE" in out, out
    folder = Path(env["MARKET_DATA_DIR"])
    closes = read_closes(folder, [*MEMBERS, "SPY"])
    level = equal_weight(closes[list(MEMBERS)])
    spy = closes["SPY"]
    last = level.index[-1]
    ticker, pair = out.split("\n\n")[1], out.split("\n\n")[2]
    printed = float(re.search(r"Last close ([\d,]+\.\d\d)", ticker).group(1).replace(",", ""))
    assert printed == pytest.approx(level.iloc[-1], abs=0.005 + 1e-9)
    year_end = level.loc[: str(last.year - 1)].iloc[-1]
    spy_end = spy.loc[: str(last.year - 1)].iloc[-1]
    expected = {h: change(level, n) for h, n in HORIZONS.items()}
    expected["YTD"] = level.iloc[-1] / year_end - 1.0
    versus = {h: change(spy, n) for h, n in HORIZONS.items()}
    versus["YTD"] = spy.iloc[-1] / spy_end - 1.0
    ticker_rows = {m.group(1): m for m in map(ROW.match, ticker.splitlines()) if m}
    assert set(ticker_rows) == set(expected), ticker
    for h, m in ticker_rows.items():
        assert _number(m.group(2)) == pytest.approx(100 * expected[h], abs=0.005 + 1e-9), h
        spread = 100 * (expected[h] - versus[h])
        assert _number(m.group(4)) == pytest.approx(spread, abs=0.005 + 1e-9), h
    pair_rows = {m.group(1): m for m in map(ROW.match, pair.splitlines()) if m}
    assert set(pair_rows) == set(expected), pair
    for h, m in pair_rows.items():
        spread = 100 * (expected[h] - versus[h])
        assert _number(m.group(2)) == pytest.approx(spread, abs=0.005 + 1e-9), h
        n = HORIZONS.get(h)
        ratio = level / spy
        ratio_change = change(ratio, n) if n else ratio.iloc[-1] / (year_end / spy_end) - 1.0
        assert _number(m.group(4)) == pytest.approx(100 * ratio_change, abs=0.005 + 1e-9), h
    shown_ratio = float(re.search(r"Ratio (\d+\.\d{4})", pair).group(1))
    assert shown_ratio == pytest.approx(level.iloc[-1] / spy.iloc[-1], abs=0.00005 + 1e-12)
    assert f"as of {last.date().isoformat()} close" in pair
