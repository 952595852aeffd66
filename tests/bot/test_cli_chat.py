"""`rotation-bot ask` and `console`: plain text, charts on disk, user errors exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app


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


LEAN_SCRIPT = """
import json, sys
from bot.cli.main import app
try:
    app(sys.argv[1:], prog_name="rotation-bot")
except SystemExit:
    pass
heavy = ("telegram", "matplotlib", "yfinance", "exchange_calendars", "pydantic")
heavy = [m for m in heavy if m in sys.modules]
print("LOADED " + json.dumps(heavy))
"""


def _loaded_after(env: Path, *args: str) -> tuple[list[str], str]:
    """Run the CLI in a fresh interpreter; which heavy libraries it imported, and its output."""
    done = subprocess.run(
        [sys.executable, "-c", LEAN_SCRIPT, *args],
        cwd=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED "), done.stdout + done.stderr
    return json.loads(last.removeprefix("LOADED ")), done.stdout


def test_text_ask_imports_no_telegram_charts_yahoo_or_pydantic(env: Path) -> None:
    loaded, out = _loaded_after(env, "ask", "/ticker IWM")
    assert "Last close" in out
    assert "(chart not drawn; pass --chart-dir DIR)" in out
    assert loaded == []


def test_ask_with_a_chart_dir_does_draw(env: Path) -> None:
    loaded, out = _loaded_after(env, "ask", "/ticker IWM", "--chart-dir", str(env / "c"))
    assert "chart: " in out
    assert "matplotlib" in loaded
    assert "telegram" not in loaded


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
    assert result.stderr.strip().startswith("⚠️ Not enough history as of 2024-01-02")
    assert "Warning" not in result.stderr
    ok = CliRunner().invoke(
        app, ["ask", "/rotation", "--asof", "2024-01-09", "--chart-dir", str(env / "c")]
    )
    assert ok.exit_code == 0, ok.output
    assert "Warning" not in ok.stderr
