"""Which `.env` is read, that it is named at start-up, and that nothing is written before the
settings are valid."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import common as cli_common
from bot.cli.main import app
from bot.settings import ENV_FILE_VAR, SettingsError, find_env_file

runner = CliRunner()


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_env_file_order(clean_env: Path) -> None:
    beside = _write(clean_env / "srv" / ".env", "LOG_LEVEL=DEBUG\n")
    environ = {"DATABASE_PATH": str(clean_env / "srv" / "rotation.db")}
    assert find_env_file(environ).path == beside.resolve()
    assert find_env_file(environ).describe().endswith("(beside the database)")
    here = _write(clean_env / ".env", "LOG_LEVEL=INFO\n")
    assert find_env_file(environ) == find_env_file(environ)
    assert find_env_file(environ).path == here.resolve()
    assert find_env_file(environ).origin == "current directory"
    named = _write(clean_env / "other.env", "")
    chosen = find_env_file({**environ, ENV_FILE_VAR: str(named)})
    assert (chosen.path, chosen.origin) == (named.resolve(), ENV_FILE_VAR)
    explicit = find_env_file({**environ, ENV_FILE_VAR: str(named)}, explicit=beside)
    assert (explicit.path, explicit.origin) == (beside.resolve(), "--env-file")
    assert find_env_file({}, explicit=None).path == here.resolve()
    here.unlink()
    assert find_env_file({}).path is None
    assert find_env_file({}).describe() == "no .env file (process environment only)"


def test_a_named_env_file_must_exist(clean_env: Path) -> None:
    with pytest.raises(SettingsError, match=r"--env-file: .*missing\.env is not a file"):
        find_env_file({}, explicit=clean_env / "missing.env")
    result = runner.invoke(app, ["--env-file", "missing.env", "prices", "show", "IWM"])
    assert result.exit_code == 1
    assert "--env-file: missing.env is not a file" in result.output
    assert list(clean_env.iterdir()) == []


@pytest.mark.parametrize("words", [["run"], ["daily"]])
def test_no_file_is_written_before_the_token_is_checked(clean_env: Path, words: list[str]) -> None:
    result = runner.invoke(app, words)
    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in result.output
    assert "Traceback" not in result.output
    assert list(clean_env.iterdir()) == []


def test_invalid_universe_writes_nothing(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(clean_env / "bad.toml", "[pairs\n")
    monkeypatch.setenv("UNIVERSE_FILE", str(clean_env / "bad.toml"))
    monkeypatch.setenv("MARKET_DATA_SOURCE", "csv")
    result = runner.invoke(app, ["prices", "show", "IWM"])
    assert result.exit_code == 1
    assert sorted(p.name for p in clean_env.iterdir()) == ["bad.toml"]


def test_env_file_beside_the_database_is_used_from_any_folder(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = clean_env / "srv"
    _write(home / ".env", "MARKET_DATA_SOURCE=csv\nLOG_LEVEL=DEBUG\n")
    elsewhere = clean_env / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("DATABASE_PATH", str(home / "rotation.db"))
    result = runner.invoke(app, ["prices", "update", "IWM"])
    assert result.exit_code == 0, result.output
    assert "(csv)" in result.output  # the csv source came from srv/.env, not Yahoo
    assert f"settings: {home / '.env'} (beside the database)" in result.output
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in home.iterdir() if not p.name.startswith("rotation.db")) == [
        ".env"
    ]


def test_start_up_names_the_env_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    env = _write(clean_env / "bot.env", "MARKET_DATA_SOURCE=csv\nTELEGRAM_BOT_TOKEN=123:ABC\n")
    monkeypatch.setenv(ENV_FILE_VAR, str(env))
    monkeypatch.setenv("DATABASE_PATH", str(clean_env / "db" / "rotation.db"))
    cli_common.set_env_file_option(None)
    with caplog.at_level(logging.INFO, logger="bot.cli.common"):
        settings, services = cli_common.load(need_token=True, announce=True)
    services.db.conn.close()
    assert settings.market_data_source == "csv"
    assert f"settings: {env} ({ENV_FILE_VAR})" in caplog.messages
