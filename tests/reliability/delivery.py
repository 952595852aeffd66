"""Helpers for delivery tests: a simulated clock the Sender sleeps on, fault scripts over the
Bot API fake, and the exactly-once / in-order check of an outbox against what the fake got."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from analytics.events import decode_alert
from bot.render.alerts import alert_html
from bot.render.format import TEXT_LIMIT, fit_html
from storage.outbox import rows_for
from tests.fakes.botapi import FakeBotApi
from tests.fakes.records import SENDING_METHODS


@dataclass
class SimClock:
    """A clock that only moves when the code under test sleeps on it (minutes in no time).

    ``at(moment, action)`` runs ``action`` once the clock reaches ``moment``.
    """

    now_: dt.datetime
    hooks: list[tuple[dt.datetime, Callable[[], None]]] = field(default_factory=list)
    slept: float = 0.0

    def now(self) -> dt.datetime:
        return self.now_

    def at(self, moment: dt.datetime, action: Callable[[], None]) -> None:
        self.hooks.append((moment, action))
        self.hooks.sort(key=lambda h: h[0])

    async def sleep(self, seconds: float) -> None:
        step = max(float(seconds), 0.001)
        self.slept += step
        self.now_ += dt.timedelta(seconds=step)
        while self.hooks and self.hooks[0][0] <= self.now_:
            _, action = self.hooks.pop(0)
            action()
        await asyncio.sleep(0)


def on_send(fake: FakeBotApi, action: Callable[[int], None]) -> None:
    """Call ``action(n)`` before the fake handles its n-th send (1-based; sends only)."""
    original = fake._dispatch
    count = 0

    async def dispatch(method: str, impl: Any, params: dict) -> Any:
        nonlocal count
        if method in SENDING_METHODS:
            count += 1
            action(count)
        return await original(method, impl, params)

    fake._dispatch = dispatch  # type: ignore[method-assign]


def expected_text(kind: str, payload: dict) -> str:
    """The HTML the Sender sends for a text-only row (charts off)."""
    return fit_html(alert_html(decode_alert(kind, payload)), TEXT_LIMIT)


@dataclass(frozen=True)
class Delivery:
    """Per chat: how often each outbox row arrived, and whether arrivals kept row order."""

    copies: dict[int, int]  # outbox row id -> times delivered
    in_order: bool
    unknown: int  # delivered messages matching no row of the chat


def deliveries(
    db: sqlite_utils.Database, fake: FakeBotApi, chats: Sequence[int]
) -> dict[int, Delivery]:
    """Match every message the fake accepted for ``chats`` to outbox rows by their text."""
    out: dict[int, Delivery] = {}
    for chat in chats:
        rows = rows_for(db, chat_id=chat)
        texts = {r.id: expected_text(r.kind, r.payload) for r in rows}
        copies = {r.id: 0 for r in rows}
        order: list[int] = []
        unknown = 0
        for call in fake.messages_to(chat):
            match = [rid for rid, text in texts.items() if text == call.body]
            if not match:
                unknown += 1
                continue
            copies[match[0]] += 1
            order.append(match[0])
        firsts = list(dict.fromkeys(order))
        out[chat] = Delivery(copies=copies, in_order=firsts == sorted(firsts), unknown=unknown)
    return out
