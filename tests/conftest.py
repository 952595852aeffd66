"""Shared fixtures: the bundled sample, temporary databases, a clean settings environment."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils

from bot.services import Services, build_services
from bot.settings import BUNDLED_DATA_DIR, Settings
from storage.db import open_db

# python-telegram-bot 22 warns when RetryAfter.retry_after is an int; timedelta is the future
# behaviour, and warnings are errors here. The CLI sets the same at start (bot/cli/main.py).
os.environ.setdefault("PTB_TIMEDELTA", "true")


@pytest.fixture
def sample_dir() -> Path:
    """The bundled real price sample (the copy inside the project)."""
    return BUNDLED_DATA_DIR


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    """A migrated database in a temporary file (WAL needs a real file)."""
    database = open_db(tmp_path / "test.db")
    yield database
    database.conn.close()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run in an empty folder with no rotation-bot variables set; returns the folder."""
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "DATABASE_PATH",
        "MARKET_DATA_SOURCE",
        "MARKET_DATA_DIR",
        "OPERATOR_IDS",
        "LOG_LEVEL",
        "UNIVERSE_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def csv_services(database: Path, *, token: str, operators: frozenset[int]) -> Services:
    """Services over the bundled csv sample and ``database``, with a test token and operators
    (each with its own caches: no test sees another's group admins)."""
    settings = Settings(
        telegram_bot_token=token,
        database_path=database,
        market_data_source="csv",
        market_data_dir=BUNDLED_DATA_DIR,
        operator_ids=operators,
    )
    return build_services(settings)


@pytest.fixture
def report_figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Report one line of figures (a soak's counts, a load test's latencies): printed in the
    run's summary, also when the suite runs in worker processes."""
    return lambda line: request.node.user_properties.append(("figures", line))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [
        f"{report.nodeid.split('::')[-1]}: {value}"
        for report in terminalreporter.stats.get("passed", [])
        + terminalreporter.stats.get("failed", [])
        if report.when == "call"
        for key, value in report.user_properties
        if key == "figures"
    ]
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)
