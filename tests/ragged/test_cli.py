"""Ragged data through the command line: every subcommand answers, none prints a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli.main import app
from tests.ragged.data import line_of, ragged_folder

DELISTED = dt.date(2025, 12, 26)  # MDY's last close in the cut series
BAD_DAY = dt.date(2025, 3, 12)


@pytest.fixture
def env(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_PATH", str(clean_env / "ragged.db"))
    monkeypatch.setenv("MARKET_DATA_SOURCE", "csv")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return clean_env


def run(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "Error" not in result.stdout  # no exception class names in answers
    return result


def use_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("MARKET_DATA_DIR", str(folder))


def test_a_database_with_only_spy_answers_every_command(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_folder(monkeypatch, ragged_folder(env / "prices", only=["SPY"]))
    assert run("prices", "update", "SPY").exit_code == 0
    ticker = run("ask", "/ticker SPY")
    assert ticker.exit_code == 0
    assert "Last close 653.56 (2026-04-01)" in ticker.stdout
    for text in ("/rotation", "/rotation ytd", "/history", "/quadrant", "/ticker MAG7"):
        result = run("ask", text)
        assert result.exit_code in (0, 2), (text, result.output)
        assert (result.stdout + result.stderr).strip()
    pair = run("ask", "/pair SPY QQQ")
    assert pair.exit_code == 2
    assert "QQQ was not found at the price source" in pair.stderr
    commands = "/ticker SPY\n/rotation\n/pair SPY QQQ\n/quadrant\n/history\n/ticker SPY\nquit\n"
    console = run("console", stdin=commands)
    assert console.exit_code == 0
    assert console.stdout.count("Last close 653.56") == 2  # still answering after the others


def test_a_malformed_line_names_file_and_line_and_spares_other_symbols(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = ragged_folder(env / "clean", only=["IWM", "SPY"])
    use_folder(monkeypatch, clean)
    assert run("prices", "update", "IWM", "SPY").exit_code == 0
    expected_spy = run("ask", "/ticker SPY").stdout

    broken = ragged_folder(env / "broken", only=["IWM", "SPY"], bad={"IWM": BAD_DAY})
    use_folder(monkeypatch, broken)
    monkeypatch.setenv("DATABASE_PATH", str(env / "broken.db"))
    update = run("prices", "update", "IWM", "SPY")
    assert update.exit_code == 1
    line = line_of(broken, "IWM", BAD_DAY)
    assert f"IWM: IWM.csv line {line}: close 'n/a' is not a number (line skipped)" in update.stderr
    assert f"IWM: 1 session(s) missing inside the series: {BAD_DAY}" in update.stderr
    spy = run("ask", "/ticker SPY")
    assert spy.exit_code == 0
    assert spy.stdout == expected_spy
    iwm = run("ask", "/ticker IWM")
    assert iwm.exit_code == 0
    assert "not found" not in iwm.output
    assert "Last close 248.97 (2026-04-01)" in iwm.stdout


def test_prices_update_stores_a_stale_symbol_and_says_it_is_stale(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_folder(monkeypatch, ragged_folder(env / "prices", cut={"MDY": DELISTED}))
    result = run("prices", "update", "MDY", "SPY")
    assert result.exit_code == 1
    assert "MDY                +" in result.stdout
    assert f"latest {DELISTED} (stale" in result.stdout
    assert f"MDY: stale: last close {DELISTED}, expected 2026-04-01" in result.stderr
    shown = run("prices", "show", "MDY", "--last", "1")
    assert shown.exit_code == 0
    assert f"last {DELISTED}" in shown.stdout


def test_replay_clamps_its_range_to_the_data_and_says_so(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_folder(monkeypatch, ragged_folder(env / "prices"))
    early = run("replay", "--start", "2020-01-01", "--end", "2024-02-15", "--dry-run")
    assert early.exit_code == 0
    assert "replaying 2024-01-02 .. 2024-02-15" in early.stderr
    assert "sessions, 0 alerts" in early.stdout
    late = run("replay", "--start", "2026-03-02", "--end", "2026-12-31", "--dry-run")
    assert late.exit_code == 0
    assert "replaying 2026-03-02 .. 2026-04-01" in late.stderr
    outside = run("replay", "--start", "2019-01-01", "--end", "2019-06-30", "--dry-run")
    assert outside.exit_code == 1
    assert "the data covers 2024-01-02 .. 2026-04-01" in outside.stderr
