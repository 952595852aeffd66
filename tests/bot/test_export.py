"""/export and `rotation-bot export`: CSV documents that read back to the stored closes exactly."""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import pytest_asyncio
from telegram.ext import Application
from typer.testing import CliRunner

from analytics.export import MAX_ROWS, YEAR_SESSIONS
from bot.app.builder import build_application
from bot.cli.main import app as cli_app
from bot.queries.export import MAX_BYTES
from bot.services import Services
from storage.prices import load_closes
from tests.bot.conftest import prices_fingerprint
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import builder_for, polling
from tests.fakes.objects import make_user

runner = CliRunner()
PAIR_HEADER = [
    "date", "IWM", "SPY", "ratio", "trend", "band", "upper", "lower", "regime",
    "source_IWM", "source_SPY", "disagreement",
]  # fmt: skip
SYMBOL_HEADER = ["date", "close", "return_1d", "source", "disagreement"]


@pytest_asyncio.fixture
async def live(
    fake_botapi: FakeBotApi, services: Services
) -> AsyncIterator[tuple[Application, FakeBotApi]]:
    application = build_application(services, builder_for(fake_botapi))
    for job in application.job_queue.jobs():
        job.schedule_removal()  # no daily run: these tests only answer commands
    async with polling(application, poll_timeout=0.5):
        yield application, fake_botapi


async def _document(app: Application, fake: FakeBotApi, chat_id: int) -> tuple[str, bytes, str]:
    """(file name, bytes downloaded over the Bot API file URL, caption) of the last document."""
    call = await fake.wait_for(
        lambda: [c for c in fake.messages_to(chat_id) if c.method == "sendDocument"] or None
    )
    document = call[-1].result["document"]
    file = await app.bot.get_file(document["file_id"])
    data = bytes(await file.download_as_bytearray())
    return document["file_name"], data, call[-1].rendered or ""


def _stored(services: Services, symbols: list[str]) -> pd.DataFrame:
    return load_closes(services.db, symbols)


async def test_pair_export_reads_back_to_the_stored_closes_exactly(live, services) -> None:
    app, fake = live
    user = make_user()
    before = prices_fingerprint(services)
    await fake.send_command(None, user, "/export IWM/SPY all")
    name, data, caption = await _document(app, fake, user.id)
    assert name == "IWM-SPY_2026-03-31.csv"
    assert "as of 2026-03-31 close" in caption
    assert len(data) <= MAX_BYTES
    assert data.decode().splitlines()[0] == ",".join(PAIR_HEADER)  # header, no index column
    table = pd.read_csv(io.BytesIO(data))
    stored = _stored(services, ["IWM", "SPY"]).dropna()
    assert list(table.columns) == PAIR_HEADER
    assert set(table["source_IWM"]) == {"csv"}  # where each close came from
    assert table["disagreement"].isna().all()  # no other source said otherwise
    assert list(table["date"]) == [d.date().isoformat() for d in stored.index]
    assert np.array_equal(table["IWM"].to_numpy(), stored["IWM"].to_numpy())
    assert np.array_equal(table["SPY"].to_numpy(), stored["SPY"].to_numpy())
    assert np.array_equal(table["ratio"].to_numpy(), (stored["IWM"] / stored["SPY"]).to_numpy())
    assert set(table["regime"].dropna()) <= {"IWM", "SPY"}
    assert table["regime"].iloc[-1] == "SPY"  # SPY has led IWM since 2026-03-10
    assert prices_fingerprint(services) == before


async def test_symbol_export_has_close_and_returns_for_the_last_year(live, services) -> None:
    app, fake = live
    user = make_user()
    await fake.send_command(None, user, "/export iwm")
    name, data, _ = await _document(app, fake, user.id)
    assert name == "IWM_2026-03-31.csv"
    table = pd.read_csv(io.BytesIO(data))
    assert list(table.columns) == SYMBOL_HEADER
    assert len(table) == YEAR_SESSIONS
    stored = _stored(services, ["IWM"])["IWM"].dropna()
    assert np.array_equal(table["close"].to_numpy(), stored.to_numpy()[-YEAR_SESSIONS:])
    expected = stored.to_numpy()[-YEAR_SESSIONS:] / stored.to_numpy()[-YEAR_SESSIONS - 1 : -1] - 1
    assert np.array_equal(table["return_1d"].to_numpy(), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/export", "What should I export?"),
        ("/export IWM SPY QQQ", "one symbol or one pair"),
        ("/export <b>x</b>", "is not a symbol"),
        ("/export IWM/IWM", "two different symbols"),
        ("/export " + "A" * 80, "too long"),
    ],
)
async def test_bad_export_arguments_get_the_usage(live, services, text, expected) -> None:
    _app, fake = live
    user = make_user()
    before = prices_fingerprint(services)
    await fake.send_command(None, user, text)
    call = await fake.wait_for_message(user.id)
    assert call.method == "sendMessage"
    assert expected in (call.rendered or "")
    assert "/export A/B [1y|all]" in (call.rendered or "")
    assert prices_fingerprint(services) == before


def test_cli_export_writes_the_same_file(
    filled_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    db_path = tmp_path / "cli.db"
    shutil.copy(filled_db_file, db_path)
    monkeypatch.setenv("MARKET_DATA_SOURCE", "csv")
    monkeypatch.setenv("DATABASE_PATH", str(db_path))
    out = tmp_path / "file.csv"
    result = runner.invoke(cli_app, ["export", "IWM/SPY", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "252 sessions" in result.output
    table = pd.read_csv(out)
    assert list(table.columns) == PAIR_HEADER
    assert table["date"].iloc[-1] == "2026-03-31"
    everything = runner.invoke(cli_app, ["export", "MAG7", "--range", "all", "--out", "-"])
    assert everything.exit_code == 0, everything.output
    basket = pd.read_csv(io.StringIO(everything.stdout))
    assert list(basket.columns) == SYMBOL_HEADER
    assert 252 < len(basket) <= MAX_ROWS
    missing = runner.invoke(cli_app, ["export", "ZZZZ"])
    assert missing.exit_code == 2
    assert "rotation-bot prices update ZZZZ" in missing.output
    assert "Traceback" not in missing.output
