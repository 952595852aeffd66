"""`rotation-bot prices update|show` through the real command line (typer), offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from curl_cffi.requests.exceptions import DNSError
from curl_cffi.requests.session import Session
from typer.testing import CliRunner

from bot.cli.main import app

runner = CliRunner()


@pytest.fixture
def csv_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MARKET_DATA_SOURCE", "csv")
    monkeypatch.setenv("DATABASE_PATH", str(clean_env / "db" / "rotation.db"))
    return clean_env


def test_update_stores_the_whole_bundled_universe_then_show(csv_env: Path) -> None:
    result = runner.invoke(app, ["prices", "update"])
    assert result.exit_code == 0, result.output
    assert "46 of 46 symbols at session 2026-04-01 (csv)" in result.output
    assert "^RUT" in result.output
    assert "+ 564 rows" in result.output
    shown = runner.invoke(app, ["prices", "show", "iwm", "--last", "2"])
    assert shown.exit_code == 0, shown.output
    assert "IWM: 2 sessions, last 2026-04-01" in shown.output
    assert "2026-04-01" in shown.output
    again = runner.invoke(app, ["prices", "update", "IWM"])
    assert "+   0 rows" in again.output


def test_update_with_asof_stops_there(csv_env: Path) -> None:
    result = runner.invoke(app, ["prices", "update", "IWM", "SPY", "--asof", "2026-03-15"])
    assert result.exit_code == 0, result.output
    assert "2 of 2 symbols at session 2026-03-13" in result.output


def test_bad_symbol_is_refused_before_anything_is_written(csv_env: Path) -> None:
    result = runner.invoke(app, ["prices", "update", "<b>x</b>"])
    assert result.exit_code == 2
    assert "is not a symbol" in result.output
    assert not (csv_env / "db").exists()


def test_bad_date_is_refused(csv_env: Path) -> None:
    result = runner.invoke(app, ["prices", "update", "--asof", "31/03/2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_show_of_an_unknown_symbol_says_how_to_fetch_it(csv_env: Path) -> None:
    result = runner.invoke(app, ["prices", "show", "ZZZZ"])
    assert result.exit_code == 1
    assert "rotation-bot prices update ZZZZ" in result.output


def test_unwritable_database_is_one_line(csv_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = csv_env / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("DATABASE_PATH", str(blocker / "x.db"))
    result = runner.invoke(app, ["prices", "show", "IWM"])
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"cannot open database {blocker / 'x.db'}")
    assert "Traceback" not in result.output


def test_invalid_settings_are_listed(csv_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKET_DATA_SOURCE", "bloomberg")
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    result = runner.invoke(app, ["prices", "show", "IWM"])
    assert result.exit_code == 1
    assert "MARKET_DATA_SOURCE" in result.output
    assert "LOG_LEVEL" in result.output


def test_yahoo_unreachable_is_one_line_without_retries_or_traceback(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def offline(self: Session, method: str, url: str, *args: object, **kwargs: object) -> None:
        calls.append(url)
        raise DNSError("Could not resolve host: query2.finance.yahoo.com")

    monkeypatch.setattr(Session, "request", offline)
    monkeypatch.setenv("DATABASE_PATH", str(clean_env / "rotation.db"))
    monkeypatch.setenv("YAHOO_ATTEMPTS", "3")
    monkeypatch.setenv("YAHOO_CACHE_DIR", str(clean_env / "yf"))
    result = runner.invoke(app, ["prices", "update", "SPY", "IWM"])
    assert result.exit_code == 1
    assert calls, "yfinance was not reached through the patched session"
    problems = [line for line in result.output.splitlines() if "SPY" in line or "IWM" in line]
    assert len(problems) == 1  # one line in all, naming both symbols
    assert problems[0].startswith("2 symbols (IWM, SPY): Yahoo unreachable: ")
    assert "Could not resolve host" in problems[0]
    assert not any("retrying" in r.getMessage() for r in caplog.records)  # no second attempt
    assert not any(r.name.startswith("yfinance") for r in caplog.records)
    assert "Traceback" not in result.output


def test_show_an_index_with_empty_volume_as_a_table(csv_env: Path) -> None:
    assert runner.invoke(app, ["prices", "update", "^RUT", "RKLB"]).exit_code == 0
    shown = runner.invoke(app, ["prices", "show", "^RUT", "--last", "2"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[1].split() == ["date", "open", "high", "low", "close", "volume", "source"]
    assert "2,512.3700" in lines[-1]
    assert lines[-1].endswith("csv")
    assert "Traceback" not in shown.output


def test_prices_take_the_same_aliases_as_the_chat(csv_env: Path) -> None:
    updated = runner.invoke(app, ["prices", "update", "RUT"])
    assert updated.exit_code == 0, updated.output
    assert updated.output.startswith("^RUT ")
    shown = runner.invoke(app, ["prices", "show", "rut", "--last", "1"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("^RUT: 1 session, last 2026-04-01")
