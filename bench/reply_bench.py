"""rotation_reply_p95_ms and chart_render_p95_ms.

The bot of a 2000-symbol universe (bench.botdb: 2000 symbols x 504 sessions in SQLite) is
built with the real ``bot.app.builder.build_application`` (Defaults, AIORateLimiter, every handler);
its request layer is ``tests.fakes.offline_request.FakeRequest``, which answers every Bot API
call in-process from ``tests.fakes.botapi.FakeBotApi`` (no socket, no network). Updates go
through ``Application.process_update``; the time of one request is from handing the update
to the application until the reply was accepted by the fake (handler, snapshot lookup,
rendering, photo upload encoding, rate limiter, JSON round trip). Before the first request
the application's post_init runs, as ``run_polling`` runs it before polling (warm start);
the first request's time is divided by the p95 of the paced warm requests.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from bench.botdb import build_bot_db
from bench.timing import latency_ms, p95, summary
from bot.app.builder import build_application
from bot.app.warm import warm_up
from bot.queries.readapi import pair_view, snapshot_for
from bot.render.charts import ratio_chart
from bot.services import Services
from bot.settings import Settings
from market.calendar import nyse
from storage.db import open_db
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import make_user
from tests.fakes.offline_request import FakeRequest, command_update

TOKEN = "123:TEST"
REQUESTS = 200
WARMUP = 10
PACE_PER_S = 10.0  # 2 messages per reply: 20 msg/s, below the limiter's 30 msg/s, so no queueing
CHARTS = 30


def bot_services(path: Path, universe: Any) -> Services:
    """Services over the benchmark database (csv source: nothing ever fetched online)."""
    settings = Settings(telegram_bot_token=TOKEN, market_data_source="csv", database_path=path)
    return Services(settings=settings, db=open_db(path), calendar=nyse(), universe=universe)


def application(services: Services, fake: FakeBotApi) -> Application:
    """The real Application, answered in-process by ``fake``."""
    layer = FakeRequest(fake)
    builder = (
        ApplicationBuilder().token(TOKEN).request(layer).get_updates_request(layer).updater(None)
    )
    return build_application(services, builder)


async def one(app: Application, fake: FakeBotApi, user_id: int) -> tuple[float, int]:
    """Seconds to answer one /rotation from a new private chat; check it was answered."""
    update = command_update(app.bot, "/rotation", user=make_user(user_id))
    before = len(fake.delivered)
    start = time.perf_counter()
    await app.process_update(update)
    seconds = time.perf_counter() - start
    sent = fake.delivered[before:]
    if not sent or sent[0].photo_bytes is None or sent[0].chat_id != user_id:
        raise AssertionError(f"/rotation was not answered with a chart: {fake.calls[-3:]}")
    return seconds, len(sent)


async def replies(services: Services) -> dict[str, Any]:
    """Cold first request, warm-up, then REQUESTS paced requests from distinct users."""
    fake = FakeBotApi(TOKEN, any_chat=True)  # chats no update introduced (see the fake)
    app = application(services, fake)
    await app.initialize()
    try:
        # What run_polling does before it polls: post_init (set_my_commands, and the warm-up
        # started in the background), then the first user arrives once the warm-up is done.
        started = time.perf_counter()
        if app.post_init is not None:
            await app.post_init(app)
        warming = app.bot_data.warming
        if warming is not None:
            await warming  # the background warm-up post_init started
        else:
            await warm_up(services)
        start_up = time.perf_counter() - started
        cold, _ = await one(app, fake, 10_000)
        for k in range(WARMUP):
            await one(app, fake, 10_001 + k)
        times, counts = [], []
        loop = asyncio.get_running_loop()
        start = loop.time()
        for k in range(REQUESTS):
            await asyncio.sleep(max(0.0, start + k / PACE_PER_S - loop.time()))
            seconds, count = await one(app, fake, 20_000 + k)
            times.append(seconds)
            counts.append(count)
    finally:
        await app.shutdown()
    return {
        **latency_ms(times),
        "cold_first_request_s": round(cold, 3),
        "cold_first_request_ms": round(cold * 1000, 2),
        "post_init_warm_start_s": round(start_up, 3),
        "requests": REQUESTS,
        "messages_per_reply": sorted(set(counts)),
    }


async def charts(services: Services) -> dict[str, Any]:
    """Render the /rotation chart (lead pair ratio) CHARTS times, uncached, on this thread."""
    snap = await snapshot_for(services, None)
    lead = services.universe.pair(snap.lead_pair)
    view = await pair_view(services, lead.a, lead.b, None)
    subtitle = f"ratio, 50-session average and ±1 % band · as of {snap.session} close"
    ratio_chart(view.series, lead.a, lead.b, subtitle)
    times, size = [], 0
    for _ in range(CHARTS):
        start = time.perf_counter()
        size = len(ratio_chart(view.series, lead.a, lead.b, subtitle))
        times.append(time.perf_counter() - start)
    ms = [t * 1000 for t in times]
    return {"p95_ms": round(p95(ms), 1), "ms": summary(ms), "png_bytes": size,
            "points": len(view.series)}  # fmt: skip


def run() -> dict[str, Any]:
    """Both measurements on the 2000-symbol bot."""
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as tmp:
        built = build_bot_db(Path(tmp) / "bot.db")
        services = bot_services(built.path, built.universe)
        try:
            reply = asyncio.run(replies(services))
            chart = asyncio.run(charts(services))
        finally:
            services.db.close()
    return {
        "rotation_reply_p95_ms": reply["p95_ms"],
        "chart_render_p95_ms": chart["p95_ms"],
        "cold_first_reply_vs_warm_p95": round(reply["cold_first_request_ms"] / reply["p95_ms"], 2),
        "details": {
            "rotation_reply": reply,
            "chart": chart,
            "db_rows": built.rows,
            "pace_requests_per_s": PACE_PER_S,
        },
    }
