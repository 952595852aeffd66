"""Fan-out: overhead and CPU per message, the free rate limit, and paid broadcasts.

The real ``bot.delivery.sender.Sender`` drains a real outbox (storage.outbox, fresh database)
through a python-telegram-bot ``ExtBot`` over HTTP to the Bot API fake (tests/fakes/botapi.py)
running on loopback in its own process (bench.fake_server), so the fake's CPU is not counted as the
bot's. Messages are daily digests (text, no chart) of the bundled universe's real snapshot,
one per distinct private chat.

* fanout_overhead_ms_per_message: 10,000 digests, no rate limiter, default settings (one
  message in flight): wall time / 10,000.
* limited_send_rate_msgs_per_s / limited_send_429s: 300 digests through the bot's own limiter
  against a fake answering 429 above 30 sends in any second.
* paid_blocked_*: the same paid broadcast where 10 % of the chats answer 403 "bot was blocked
  by the user" and 1 % 400 "chat not found" (bench.fake_server ``refuse``): the broadcast's
  rate (messages handled, delivered or refused, per second of the drain; the rate delivered
  to the other chats alone is in details), the Bot API calls each refusing chat got (refused
  calls / refusing chats; reported only when every refusing chat got exactly one, every other
  chat exactly one message, and every refusing chat ended inactive), and the 429s.
* paid_broadcast_*: PAID_MESSAGES digests with ALLOW_PAID_BROADCAST (the bot's paid limiter,
  PAID_PARALLEL in flight) against a fake answering 429 above 1000 sends in any second: the
  achieved rate, the 429s, and exactly-once (every chat got exactly one message, every row
  'sent'); fanout_cpu_ms_per_message is the bot process's CPU (time.process_time) per
  message of that broadcast.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram.ext import AIORateLimiter, BaseRateLimiter, ExtBot

from analytics.snapshot import build_snapshot
from bench.data import real_closes
from bench.reply_bench import TOKEN, bot_services
from bot.delivery.http import BotRequest
from bot.delivery.limits import rate_limiter
from bot.delivery.sender import Sender
from jobs.fanout import digest_payload
from market.universe import load_universe
from storage.chats import chat_counts, upsert_chat
from storage.db import transaction
from storage.outbox import NewMessage, counts, enqueue, idem_key

FANOUT_MESSAGES = 10_000
LIMITED_MESSAGES = 300
PAID_MESSAGES = 5_000
TELEGRAM_PER_SECOND = 30.0
PAID_PER_SECOND = 1000.0
NOW = dt.datetime(2026, 4, 1, 21, 0, tzinfo=dt.UTC)


class FakeProcess:
    """The fake Bot API in a child process (start with ``with``)."""

    def __init__(self, max_per_second: float | None, *, refuse: bool = False) -> None:
        args = [sys.executable, "-m", "bench.fake_server"]
        if max_per_second is not None:
            args.append(str(max_per_second))
        if refuse:
            args.append("refuse")
        self.args = args
        self.stats: dict[str, int] = {}

    def __enter__(self) -> FakeProcess:
        self.proc = subprocess.Popen(
            self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self.proc.communicate(timeout=60)
        self.stats = json.loads(out.strip().splitlines()[-1])


def queue_digests(services: Any, count: int, first_chat: int) -> None:
    """``count`` active private chats and one digest row for each."""
    universe = load_universe()
    closes = real_closes()
    snap = build_snapshot(closes, universe, closes.index[-1].date())
    payload = digest_payload(snap, universe.presets["smallcaps"], [])
    key = f"digest:{snap.session.isoformat()}"
    rows = []
    with transaction(services.db):
        for chat_id in range(first_chat, first_chat + count):
            upsert_chat(services.db, chat_id, "private", now=NOW)
            rows.append(NewMessage(idem_key(key, chat_id), key, chat_id, "digest",
                                   snap.session, False, payload, NOW))  # fmt: skip
        enqueue(services.db.conn, rows, now=NOW)


def limiter_of(kind: str | None) -> BaseRateLimiter | None:
    """None, the bot's own limiter ("bot": ``bot.delivery.limits.rate_limiter()``: free sends a
    smooth 28/s with Telegram's per-group limit, paid sends up to 950/s), or PTB's bare defaults
    ("ptb_defaults": a bucket of 30 refilled at 30/s, so a first-second burst of ~60)."""
    if kind is None:
        return None
    if kind == "bot":
        return rate_limiter()
    return AIORateLimiter()


async def drain(services: Any, base_url: str, limiter: str | None) -> tuple[float, float, Any]:
    """Drain the outbox through an ExtBot on ``base_url`` with the bot's own HTTP layer
    (``bot.delivery.http.BotRequest``): (wall s, cpu s, report)."""
    request = BotRequest()
    bot = ExtBot(TOKEN, base_url=base_url, rate_limiter=limiter_of(limiter), request=request)
    await bot.initialize()
    sender = Sender(bot, services, charts=False, clock=lambda: NOW + dt.timedelta(hours=1))
    wall, cpu = time.perf_counter(), time.process_time()
    report = await sender.drain()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await bot.shutdown()
    return wall, cpu, report


def one_run(
    count: int,
    max_per_second: float | None,
    limiter: str | None,
    *,
    paid: bool = False,
    refuse: bool = False,
) -> dict[str, Any]:
    """Queue ``count`` digests in a fresh database and drain them against a fresh fake
    (``refuse``: 10 % of the chats have blocked the bot, 1 % do not exist)."""
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as tmp:
        path = Path(tmp) / "bot.db"
        services = bot_services(path, load_universe())
        if paid:
            services.settings = dataclasses.replace(services.settings, allow_paid_broadcast=True)
        try:
            queue_digests(services, count, 1_000_000)
            with FakeProcess(max_per_second, refuse=refuse) as fake:
                wall, cpu, report = asyncio.run(drain(services, fake.base_url, limiter))
            left = counts(services.db)
            chats = chat_counts(services.db)
        finally:
            services.db.close()
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "sent": report.sent,
            "dead": report.dead, "retried": report.retried, "outbox": left,
            "deactivated": len(report.deactivated), "chats": chats,
            "fake": fake.stats}  # fmt: skip


def run() -> dict[str, Any]:
    """10,000 digests with no rate limiter; 300 through AIORateLimiter at Telegram's limit."""
    free = one_run(FANOUT_MESSAGES, None, limiter=None)
    assert free["sent"] == FANOUT_MESSAGES, free
    limited = one_run(LIMITED_MESSAGES, TELEGRAM_PER_SECOND, limiter="bot")
    rate = limited["sent"] / limited["wall_s"]
    bare = one_run(LIMITED_MESSAGES, TELEGRAM_PER_SECOND, limiter="ptb_defaults")
    bare["rate_msgs_per_s"] = round(bare["sent"] / bare["wall_s"], 2)
    paid = one_run(PAID_MESSAGES, PAID_PER_SECOND, limiter="bot", paid=True)
    fake = paid["fake"]
    once = (paid["sent"] == PAID_MESSAGES and paid["outbox"].get("sent") == PAID_MESSAGES
            and fake["chats"] == PAID_MESSAGES and fake["max_copies_per_chat"] == 1)  # fmt: skip
    blocked = one_run(PAID_MESSAGES, PAID_PER_SECOND, limiter="bot", paid=True, refuse=True)
    refused = blocked["fake"]
    served = (blocked["sent"] == PAID_MESSAGES - refused["refused_chats"]
              == refused["chats"] and refused["max_copies_per_chat"] == 1
              and blocked["chats"].get("inactive") == refused["refused_chats"])  # fmt: skip
    return {
        "fanout_overhead_ms_per_message": round(free["wall_s"] * 1000 / FANOUT_MESSAGES, 3),
        "fanout_cpu_ms_per_message": round(paid["cpu_s"] * 1000 / PAID_MESSAGES, 3),
        "paid_broadcast_rate_msgs_per_s": round(paid["sent"] / paid["wall_s"], 1),
        "paid_broadcast_429s": fake["floods"],
        "paid_broadcast_exactly_once": int(once),
        "paid_blocked_rate_msgs_per_s": round(
            (blocked["sent"] + blocked["deactivated"]) / blocked["wall_s"], 1
        ),
        "paid_blocked_requests_per_blocked_chat": (
            round(refused["refused_calls"] / refused["refused_chats"], 3)
            if served and refused["max_calls_per_refused_chat"] == 1
            else None
        ),
        "paid_blocked_429s": refused["floods"],
        "limited_send_rate_msgs_per_s": round(rate, 2),
        "limited_send_429s": limited["fake"]["floods"],
        "details": {
            "fanout_10k": free,
            "fanout_bot_cpu_ms_per_message": round(free["cpu_s"] * 1000 / FANOUT_MESSAGES, 3),
            "limited_300": limited,
            "limited_300_ptb_default_limiter": bare,
            "fake_max_per_second": TELEGRAM_PER_SECOND,
            "paid_broadcast": paid,
            "paid_fake_max_per_second": PAID_PER_SECOND,
            "paid_blocked": blocked,
            "paid_blocked_delivered_msgs_per_s": round(blocked["sent"] / blocked["wall_s"], 1),
            "paid_blocked_every_other_chat_served_once": int(served),
        },
    }
