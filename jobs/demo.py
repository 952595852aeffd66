"""The offline demo's pipeline part: one subscriber of every preset, a range of sessions
replayed through the real per-session step, and the messages it queued for that chat.

The command line (``rotation-bot demo``) builds the services on the bundled data, prints
what this returns and asks the bot its answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from analytics.types import Universe
from jobs.replay import load_range, replay_live
from market.calendar import NyseCalendar
from market.provider import PriceProvider
from storage.chats import upsert_chat
from storage.db import Database
from storage.outbox import OutboxRow, rows_for
from storage.subscriptions import subscribe

DEMO_CHAT = 1


@dataclass(frozen=True)
class DemoRun:
    """What the demo replayed and the messages queued for its subscriber."""

    sessions: list[dt.date]
    queued: list[OutboxRow]


def subscribe_demo_chat(db: Database, universe: Universe, *, now: dt.datetime) -> None:
    """The demo subscriber: one private chat following every preset."""
    upsert_chat(db, DEMO_CHAT, "private", now=now, title="demo subscriber")
    for preset in universe.presets:
        subscribe(db, DEMO_CHAT, preset, "preset", now=now)


async def replay_demo(
    db: Database,
    provider: PriceProvider,
    calendar: NyseCalendar,
    universe: Universe,
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime,
) -> DemoRun:
    """Replay ``start`` .. ``end`` live (state and outbox written) and return the messages
    queued for the demo subscriber."""
    sessions, closes = await load_range(db, provider, calendar, universe, start, end, now=now)
    for _ in replay_live(db, calendar, universe, sessions, closes, now=now):
        pass
    return DemoRun(sessions, rows_for(db, chat_id=DEMO_CHAT))
