"""`rotation-bot ask` and `console`: plain text, charts on disk, user errors exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


@pytest.fixture
def env(clean_env: Path, filled_db_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = clean_env / "cli.db"
    shutil.copy(filled_db_file, path)
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("MARKET_DATA_SOURCE", "csv")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return clean_env


def test_ask_rotation_prints_plain_text_and_writes_a_png(env: Path) -> None:
    charts = env / "charts"
    result = CliRunner().invoke(
        app, ["ask", "/rotation", "--asof", "2026-03-31", "--chart-dir", str(charts)]
    )
    assert result.exit_code == 0, result.output
    assert "as of 2026-03-31 close" in result.stdout
    assert "<b>" not in result.stdout
    assert "S&P 500" in result.stdout
    pngs = list(charts.glob("*.png"))
    assert len(pngs) == 1
    assert pngs[0].read_bytes().startswith(b"\x89PNG")
    assert f"chart: {pngs[0]}" in result.stdout


def test_ask_user_error_goes_to_stderr_with_exit_2(env: Path) -> None:
    result = CliRunner().invoke(app, ["ask", "/pair IWM IWM"])
    assert result.exit_code == 2
    assert "two different symbols" in result.stderr
    assert "Usage: /pair A B" in result.stderr
    assert result.stdout == ""


def test_console_reads_piped_stdin(env: Path) -> None:
    result = CliRunner().invoke(
        app, ["console", "--asof", "2026-03-31"], input="/help\n/ticker\n/history\nquit\n"
    )
    assert result.exit_code == 0, result.output
    assert "Commands" in result.stdout
    assert "Flip history" in result.stdout
    assert "Which symbol?" in result.stderr


def test_future_asof_is_refused_in_every_subcommand(clean_env: Path) -> None:
    import datetime as dt

    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    for words in (["ask", "/rotation"], ["daily"], ["prices", "update"], ["console"]):
        result = CliRunner().invoke(app, [*words, "--asof", future])
        assert result.exit_code == 2, result.output
        assert f"{future} is in the future" in result.output
    assert list(clean_env.iterdir()) == []


def test_first_session_answers_without_library_warnings(env: Path) -> None:
    result = CliRunner().invoke(
        app, ["ask", "/pair IWM SPY", "--asof", "2024-01-02", "--chart-dir", str(env / "c")]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Not enough history as of 2024-01-02")
    assert "Warning" not in result.stderr
    ok = CliRunner().invoke(
        app, ["ask", "/rotation", "--asof", "2024-01-09", "--chart-dir", str(env / "c")]
    )
    assert ok.exit_code == 0, ok.output
    assert "Warning" not in ok.stderr
