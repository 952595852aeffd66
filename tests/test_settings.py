"""Settings: defaults, every problem listed at once, .env handling, .env.example completeness."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from pathlib import Path

import pytest

from bot.settings import BUNDLED_DATA_DIR, DEFAULT_API_URL, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_from_an_empty_environment() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.telegram_api_url == DEFAULT_API_URL
    assert settings.database_path == Path("data/rotation.db")
    assert settings.market_data_source == "yahoo"
    assert settings.market_data_dir == BUNDLED_DATA_DIR
    assert settings.operator_ids == frozenset()
    assert settings.log_level == "INFO"


def test_values_are_parsed() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": "123456:ABCdef_ghi-JKL",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
            "MARKET_DATA_SOURCE": "CSV",
            "OPERATOR_IDS": "11, 22;33",
            "LOG_LEVEL": "debug",
        },
        env_file=None,
    )
    assert settings.market_data_source == "csv"
    assert settings.operator_ids == frozenset({11, 22, 33})
    assert settings.log_level == "DEBUG"
    assert settings.telegram_file_url == "http://127.0.0.1:8081/file/bot"


def test_every_problem_is_listed_in_one_error() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(
            {
                "MARKET_DATA_SOURCE": "bloomberg",
                "LOG_LEVEL": "LOUD",
                "OPERATOR_IDS": "12,abc",
                "TELEGRAM_API_URL": "ftp://x",
                "TELEGRAM_BOT_TOKEN": "nonsense",
            },
            env_file=None,
        )
    text = str(info.value)
    for name in (
        "MARKET_DATA_SOURCE",
        "LOG_LEVEL",
        "OPERATOR_IDS",
        "TELEGRAM_API_URL",
        "TELEGRAM_BOT_TOKEN",
    ):
        assert name in text
    assert len(info.value.problems) == 5


def test_settings_are_frozen() -> None:
    settings = load_settings({}, env_file=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("LOG_LEVEL=WARNING\nOPERATOR_IDS=5\n")
    env.chmod(0o600)
    settings = load_settings({"LOG_LEVEL": "ERROR"}, env_file=env)
    assert settings.log_level == "ERROR"
    assert settings.operator_ids == frozenset({5})
    assert settings.env_file_warning is None


def test_world_readable_env_file_gets_a_warning(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_BOT_TOKEN=123456:secret\n")
    env.chmod(0o644)
    settings = load_settings({}, env_file=env)
    assert settings.env_file_warning is not None
    assert "chmod 600" in settings.env_file_warning


def test_missing_token_is_a_clear_error() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings({}, env_file=None).require_token()


def test_env_example_shows_the_defaults_of_settings() -> None:
    """Defaults are written once (the Settings dataclass); `.env.example` shows the same."""
    from bot.settings import DEFAULTS

    text = (ROOT / ".env.example").read_text()
    shown = dict(re.findall(r"^([A-Z_]+)=(.*)$", text, flags=re.MULTILINE))
    checked = 0
    for name, value in shown.items():
        if not value:
            continue  # empty: "use the default", whatever it is
        default = getattr(DEFAULTS, name.lower())
        expected = str(default).lower() if isinstance(default, bool) else str(default)
        assert value == expected, f"{name}={value} but the default is {default}"
        checked += 1
    assert checked >= 8
    assert load_settings({}, env_file=None) == dataclasses.replace(
        DEFAULTS, env_source=load_settings({}, env_file=None).env_source
    )


def test_env_example_lists_every_setting() -> None:
    """`.env.example` documents exactly the table's variables, each with a comment above it."""
    from bot.settings import VARS

    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE))
    table = {var.name for var in VARS}
    assert table - documented == set(), "in the table, not in .env.example"
    assert documented - table == set(), "in .env.example, read by nothing"
    assert {var.field for var in VARS} == {n.lower() for n in table}
    for name in documented:  # every documented variable has a comment above it
        block = text.split(f"\n{name}=")[0].rstrip().splitlines()
        assert block, f"{name} has no comment"
        assert block[-1].startswith("#"), f"{name} has no comment"


def test_readme_names_only_settings_that_exist() -> None:
    from bot.settings import ENV_FILE_VAR, VARS

    named = set()
    for doc in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):
        found = re.findall(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`", doc.read_text())
        named |= set(found)
    assert named, "no setting found in the docs"
    assert named - {var.name for var in VARS} - {ENV_FILE_VAR} == set()


def test_no_secret_in_a_repr_or_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """A setting marked secret is left out of the repr, so of every line that prints the
    settings; the bot token, the Tiingo key and the webhook secret are marked."""
    from bot.settings import VARS

    secrets = {var.name for var in VARS if var.secret}
    assert {"TELEGRAM_BOT_TOKEN", "TIINGO_API_KEY", "WEBHOOK_SECRET"} <= secrets
    env = {
        "TELEGRAM_BOT_TOKEN": "123456:TOKENsecretTOKEN",
        "MARKET_DATA_SOURCE": "yahoo,tiingo",
        "TIINGO_API_KEY": "tiingoKEYsecret",
        "WEBHOOK_SECRET": "hookSECRETvalue",
    }
    settings = load_settings(env, env_file=None)
    with caplog.at_level("DEBUG"):
        logging.getLogger("test").info("settings: %s", settings)
        logging.getLogger("test").info("settings: %r", settings)
    for shown in (repr(settings), str(settings), caplog.text):
        for value in ("TOKENsecretTOKEN", "tiingoKEYsecret", "hookSECRETvalue"):
            assert value not in shown
    assert "tiingo" in repr(settings)  # what is not secret is shown


def test_outbox_retention_in_days_and_zero_keeps_everything() -> None:
    assert load_settings({}, env_file=None).outbox_retention == dt.timedelta(days=7)
    kept = load_settings({"OUTBOX_RETENTION_DAYS": "30"}, env_file=None)
    assert kept.outbox_retention == dt.timedelta(days=30)
    assert load_settings({"OUTBOX_RETENTION_DAYS": "0"}, env_file=None).outbox_retention is None
    with pytest.raises(SettingsError, match="OUTBOX_RETENTION_DAYS"):
        load_settings({"OUTBOX_RETENTION_DAYS": "a week"}, env_file=None)
