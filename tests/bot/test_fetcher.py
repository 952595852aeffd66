"""Symbols not stored yet: fetched in the background, answered when ready, or "not found"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.commands.offline import reply_to_plain
from bot.commands.registry import UserError
from bot.handlers import answer
from bot.services import Services
from tests.bot.conftest import ASOF, inproc_app
from tests.fake_prices import FakeProvider
from tests.fakes.objects import make_user
from tests.fakes.offline_request import command_update


def drop(services: Services, symbol: str) -> None:
    services.db.execute("DELETE FROM prices WHERE symbol = ?", [symbol])


async def test_telegram_path_answers_fetching_then_the_answer(inproc, services: Services) -> None:
    app, fake = inproc
    drop(services, "XLF")
    user = make_user()
    await app.process_update(command_update(app.bot, "/ticker XLF", user=user))
    first = fake.messages_to(user.id)
    assert len(first) == 1
    assert "fetching it now" in (first[0].rendered or "")
    await services.fetcher.drain()
    later = fake.messages_to(user.id)
    assert len(later) == 2
    assert later[1].method == "sendPhoto"
    assert (later[1].rendered or "").startswith("XLF")
    assert services.db.execute("SELECT COUNT(*) FROM prices WHERE symbol='XLF'").fetchone()[0] > 500


async def test_not_found_names_close_matches_and_is_remembered(
    services: Services, sample_dir: Path
) -> None:
    provider = FakeProvider(sample_dir, asof=ASOF)
    services = dataclasses.replace(services, prices=lambda asof: provider)
    user = make_user()
    async with inproc_app(services) as (app, fake):
        await app.process_update(command_update(app.bot, "/ticker IWMM", user=user))
        await services.fetcher.drain()
        await app.process_update(command_update(app.bot, "/ticker IWMM", user=user))
    got = [c.rendered or "" for c in fake.messages_to(user.id)]
    assert "fetching" in got[0]
    assert "IWMM was not found at the price source. Did you mean IWM" in got[1]
    assert got[2].startswith(got[1])  # answered from memory, no second fetch
    assert len(provider.calls) == 1


async def test_offline_face_fetches_inline_then_answers(
    services: Services, sample_dir: Path
) -> None:
    drop(services, "KRE")
    provider = FakeProvider(sample_dir, asof=ASOF)
    services = dataclasses.replace(services, prices=lambda asof: provider)
    notes: list[str] = []
    reply = await answer(services, "/pair KRE SPY", asof=ASOF, progress=notes.append)
    assert notes == ["fetching KRE from the price source…"]
    assert "KRE / SPY" in reply_to_plain(reply)


async def test_offline_face_source_failure_is_a_user_error(
    services: Services, sample_dir: Path
) -> None:
    drop(services, "KRE")
    provider = FakeProvider(sample_dir, asof=ASOF, fail={"KRE": "boom"})
    services = dataclasses.replace(services, prices=lambda asof: provider)
    with pytest.raises(UserError, match="KRE was not found"):
        await answer(services, "/ticker KRE", asof=ASOF)
