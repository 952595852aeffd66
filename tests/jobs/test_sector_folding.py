"""Sector alerts and the weekly rotation map ride in the session's one non-urgent message:
a replay of the bundled data through the real pipeline with a chat on every preset."""

from __future__ import annotations

import collections
import datetime as dt
from dataclasses import replace

from analytics.events import Digest, decode
from bot.delivery.sender import map_chart_png
from jobs.daily import week_closes
from jobs.replay import load_range, replay_live
from market.calendar import NyseCalendar
from market.universe import load_universe
from storage.chats import get_chat, update_settings, upsert_chat
from storage.outbox import rows_for
from storage.subscriptions import subscribe
from tests.fake_prices import FakeProvider

START, END = dt.date(2025, 2, 10), dt.date(2025, 3, 7)
NOW = dt.datetime(2025, 3, 7, 21, 0, tzinfo=dt.UTC)


def _digests(db, chat_id: int) -> dict[dt.date, Digest]:
    return {r.session: decode("digest", r.payload) for r in rows_for(db, chat_id=chat_id)
            if r.kind == "digest"}  # fmt: skip


async def test_sector_alerts_and_maps_are_folded_into_one_message(db, sample_dir) -> None:
    universe = load_universe()
    cal = NyseCalendar(today=dt.date(2026, 1, 1))
    upsert_chat(db, 1, "private", now=NOW)  # every preset and the sector board
    for name in universe.subscribable():
        subscribe(db, 1, name, "preset", now=NOW)
    for chat_id, weekly in ((3, True), (4, False)):  # sectors only, digest off
        upsert_chat(db, chat_id, "private", now=NOW)
        subscribe(db, chat_id, "sectors", "preset", now=NOW)
        chat = get_chat(db, chat_id)
        assert chat is not None
        update_settings(db, replace(chat, digest=False, weekly_map=weekly), now=NOW)
    upsert_chat(db, 5, "private", now=NOW)  # sectors only, digest on: no empty digests
    subscribe(db, 5, "sectors", "preset", now=NOW)
    provider = FakeProvider(sample_dir, asof=END)
    sessions, closes = await load_range(db, provider, cal, universe, START, END, now=NOW)
    steps = list(replay_live(db, cal, universe, sessions, closes, now=NOW))
    sector_days = {s.session for s in steps for e in s.events if e.kind == "sector"}
    fridays = {d for d in sessions if week_closes(cal, d)}
    assert sector_days
    assert len(fridays) >= 3
    for chat_id in (1, 3, 4, 5):
        rows = rows_for(db, chat_id=chat_id)
        calm = collections.Counter(r.session for r in rows if not r.urgent)
        assert max(calm.values()) == 1, chat_id
        assert all(r.kind == "flip" for r in rows if r.urgent)
    assert set(_digests(db, 5)) == sector_days | fridays
    for chat_id in (1, 3, 5):
        digests = _digests(db, chat_id)
        folded = {d: {f.kind for f in body.alerts} for d, body in digests.items()}
        assert {d for d, kinds in folded.items() if "sector" in kinds} == sector_days
        assert {d for d, kinds in folded.items() if "rotation_map" in kinds} == fridays
    quiet = _digests(db, 4)
    assert {d for d, body in quiet.items()} == sector_days
    assert all("rotation_map" not in {f.kind for f in b.alerts} for b in quiet.values())
    friday = max(fridays)
    [carried] = [f for f in _digests(db, 3)[friday].alerts if f.kind == "rotation_map"]
    png = map_chart_png(decode("rotation_map", carried.body))
    assert png is not None
    assert png.startswith(b"\x89PNG")
