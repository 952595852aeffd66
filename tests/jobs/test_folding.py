"""Alert noise: per chat and session, flips at once (one per theme), everything else folded
into at most one message, replayed through the real pipeline on the bundled data."""

from __future__ import annotations

import collections
import datetime as dt
from dataclasses import replace

from analytics.events import decode
from jobs.replay import load_range, replay_live
from market.calendar import NyseCalendar
from market.universe import load_universe
from storage.chats import get_chat, update_settings, upsert_chat
from storage.outbox import rows_for
from storage.subscriptions import subscribe
from tests.fake_prices import FakeProvider

START, END = dt.date(2025, 2, 10), dt.date(2025, 3, 7)  # flips, stretches and a breadth change
NOW = dt.datetime(2025, 3, 7, 21, 0, tzinfo=dt.UTC)


async def test_one_non_urgent_message_per_chat_and_session(db, sample_dir) -> None:
    universe = load_universe()
    cal = NyseCalendar(today=dt.date(2026, 1, 1))
    upsert_chat(db, 1, "private", now=NOW)
    for preset in universe.presets:
        subscribe(db, 1, preset, "preset", now=NOW)
    upsert_chat(db, 2, "private", now=NOW)  # digest off: only days with folded alerts
    subscribe(db, 2, "smallcaps", "preset", now=NOW)
    chat = get_chat(db, 2)
    assert chat is not None
    update_settings(db, replace(chat, digest=False), now=NOW)
    provider = FakeProvider(sample_dir, asof=END)
    sessions, closes = await load_range(db, provider, cal, universe, START, END, now=NOW)
    steps = list(replay_live(db, cal, universe, sessions, closes, now=NOW))
    assert len(steps) == len(sessions)
    for chat_id in (1, 2):
        rows = rows_for(db, chat_id=chat_id)
        calm = collections.Counter(r.session for r in rows if not r.urgent)
        assert max(calm.values()) == 1
        themes = collections.Counter(
            (r.session, decode(r.kind, r.payload).theme) for r in rows if r.kind == "flip"
        )
        assert set(themes.values()) <= {1}
        assert themes or chat_id == 2
        assert all(r.kind == "flip" for r in rows if r.urgent)
    every_day = {r.session for r in rows_for(db, chat_id=1) if r.kind == "digest"}
    assert every_day == set(sessions)
    quiet = [r for r in rows_for(db, chat_id=2) if r.kind == "digest"]
    assert quiet
    assert all(r.payload["alerts"] and not r.payload["rows"] for r in quiet)
    assert len(quiet) < len(sessions)
