"""inline_answer_p95_ms: an inline query answered through the real Application.

The 2000-symbol bot of bench.reply_bench (bench.botdb), answered in-process by the Bot API
fake (tests.fakes.offline_request.FakeRequest, no socket). Each request is one ``inline_query``
update through ``Application.process_update``, from handing it over until the fake accepted
``answerInlineQuery``; the queries cycle through the scoreboard (empty), a pair, a symbol, a
basket and garbage. The handler's hard cutoff is bot.app.inline.INLINE_BUDGET (4 s).
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import InlineQuery, Update

from bench.botdb import build_bot_db
from bench.reply_bench import TOKEN, application, bot_services
from bench.timing import latency_ms
from bot.app.inline import INLINE_BUDGET
from bot.services import Services
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import make_user

QUERIES = ("", "IWM/SPY", "IWM", "MAG7", "no such thing")
REQUESTS = 200
WARMUP = 10
_ids = itertools.count(1)


async def one(app: Any, fake: FakeBotApi, query: str) -> float:
    """Seconds to answer one inline query; check the fake accepted the answer."""
    query_id = str(next(_ids))
    fake._inline_queries[query_id] = None  # the fake only accepts answers to queries it issued
    inline = InlineQuery(query_id, make_user(), query, offset="")
    update = Update(next(_ids), inline_query=inline)
    update.set_bot(app.bot)
    inline.set_bot(app.bot)
    start = time.perf_counter()
    await app.process_update(update)
    seconds = time.perf_counter() - start
    if query_id not in fake.inline_answers:
        raise AssertionError(f"inline query {query!r} was not answered: {fake.calls[-2:]}")
    return seconds


async def answers(services: Services) -> dict[str, Any]:
    """Warm-up, then REQUESTS queries cycling through QUERIES."""
    fake = FakeBotApi(TOKEN, any_chat=True)  # chats no update introduced (see the fake)
    app = application(services, fake)
    await app.initialize()
    try:
        for k in range(WARMUP):
            await one(app, fake, QUERIES[k % len(QUERIES)])
        times = [await one(app, fake, QUERIES[k % len(QUERIES)]) for k in range(REQUESTS)]
    finally:
        await app.shutdown()
    return {
        **latency_ms(times),
        "requests": REQUESTS,
        "queries": list(QUERIES),
        "cutoff_s": INLINE_BUDGET,
    }


def run() -> dict[str, Any]:
    """The measurement on the 2000-symbol bot."""
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as tmp:
        built = build_bot_db(Path(tmp) / "bot.db")
        services = bot_services(built.path, built.universe)
        try:
            result = asyncio.run(answers(services))
        finally:
            services.db.close()
    return {"inline_answer_p95_ms": result["p95_ms"], "details": {"inline": result}}
