"""The daily fan-out streams its audience a page of chats at a time (a million chats are never
held at once) and queues exactly what the whole-audience fan-out decides, flips first."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace

import pytest

import jobs.daily
from jobs.daily import run_daily
from jobs.fanout import fan_out
from market.calendar import NyseCalendar
from market.universe import load_universe
from storage.chats import get_chat, list_chats, set_active, update_settings, upsert_chat
from storage.outbox import rows_for
from storage.rules import active_rules, add_rule
from storage.subscriptions import active_subscriptions, subscribe
from tests.fake_prices import FakeProvider

FLIP_DAY = dt.date(2025, 10, 31)  # IWM/SPY flips (bundled data)
NOW = dt.datetime(2025, 10, 31, 21, 0, tzinfo=dt.UTC)


def _audience(db) -> None:  # type: ignore[no-untyped-def]
    for chat_id, target, kind in [
        (-500, "smallcaps", "preset"), (11, "smallcaps", "preset"), (12, "banks", "preset"),
        (13, "IWM/SPY", "pair"), (14, "smallcaps", "preset"), (15, "breadth", "preset"),
        (16, "smallcaps", "preset"), (17, "KRE/SPY", "pair"),
    ]:  # fmt: skip
        upsert_chat(db, chat_id, "group" if chat_id < 0 else "private", now=NOW)
        subscribe(db, chat_id, target, kind, now=NOW)
    subscribe(db, 11, "banks", "preset", now=NOW)
    set_active(db, 14, False, now=NOW, reason="forbidden: bot was blocked by the user")
    chat = get_chat(db, 16)
    assert chat is not None
    update_settings(db, replace(chat, digest=False), now=NOW)
    upsert_chat(db, 20, "private", now=NOW)  # owns an /alert rule, follows nothing
    add_rule(db, 20, "IWM/SPY", "spread_1d", "<", 100.0, now=NOW)
    upsert_chat(db, 21, "private", now=NOW)  # knows the bot, follows nothing


@pytest.mark.parametrize("page", [1, 3])
async def test_pages_queue_what_the_whole_audience_would(db, sample_dir, monkeypatch, page):
    _audience(db)
    monkeypatch.setattr(jobs.daily, "FANOUT_PAGE", page)
    universe = load_universe()
    cal = NyseCalendar(today=dt.date(2026, 1, 1))
    provider = FakeProvider(sample_dir, asof=FLIP_DAY)
    result = await run_daily(db, provider, cal, universe, FLIP_DAY, now=NOW)
    assert result.status == "done"
    assert result.snapshot is not None
    chats = {c.chat_id: c for c in list_chats(db)}
    whole = fan_out(result.snapshot, result.events, chats, active_subscriptions(db),
                    active_rules(db), universe, NOW)  # fmt: skip
    queued = rows_for(db)
    assert result.queued == len(queued) == len(whole)
    assert [(r.idem_key, r.payload, r.not_before) for r in queued] == [
        (m.idem_key, m.payload, m.not_before) for m in whole
    ]
    urgent = [r.urgent for r in queued]
    assert urgent == sorted(urgent, reverse=True)
    assert urgent[0]
    assert {r.chat_id for r in queued} == {-500, 11, 12, 13, 15, 16, 17, 20}


async def test_the_event_loop_runs_between_pages(db, sample_dir, monkeypatch):
    # In `rotation-bot run` the daily job shares the event loop with replies: between two
    # pages of the fan-out, other tasks run (and see the rows queued so far).
    _audience(db)
    monkeypatch.setattr(jobs.daily, "FANOUT_PAGE", 1)
    universe = load_universe()
    cal = NyseCalendar(today=dt.date(2026, 1, 1))
    seen: list[int] = []
    running = True

    async def reply_meanwhile() -> None:
        while running:
            seen.append(len(rows_for(db)))
            await asyncio.sleep(0)

    other = asyncio.create_task(reply_meanwhile())
    provider = FakeProvider(sample_dir, asof=FLIP_DAY)
    result = await run_daily(db, provider, cal, universe, FLIP_DAY, now=NOW)
    running = False
    await other
    assert len({n for n in seen if 0 < n < result.queued}) >= 5
