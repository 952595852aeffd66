"""webapp_page_kb, webapp_pair_json_kb and webapp_api_p95_ms: the Mini App's weight and speed.

The 2000-symbol bot of bench.reply_bench (bench.botdb) serves the real web app
(bot.webapp.server.make_app) on a loopback port; an aiohttp client asks as Telegram's WebView
would, with initData signed by the bench token and ``Accept-Encoding: gzip``.

- ``webapp_page_kb``: bytes on the wire (gzip, as served) of the page and every file it loads
  (its ``<script src>`` and ``<link href>``), in KB (1000 bytes).
- ``webapp_pair_json_kb``: the JSON of ``api/pair?pair=IWM/SPY&horizon=1y``, uncompressed, KB.
- ``webapp_api_p95_ms``: p95 of REQUESTS API requests cycling through the board, a 1-year
  pair, a 2-year pair of another pair and the quadrant, each timed from sending the request to
  the last byte of the answer, after WARMUP untimed ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import re
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bench.botdb import build_bot_db
from bench.reply_bench import TOKEN, bot_services
from bench.timing import latency_ms
from bot.services import Services
from bot.webapp.initdata import sign
from bot.webapp.server import WebAppConfig, make_app

REQUESTS = 200
WARMUP = 8
PATHS = (
    "api/board",
    "api/pair?pair=IWM/SPY&horizon=1y",
    "api/pair?pair=KRE/SPY&horizon=2y",
    "api/quadrant?set=universe",
)
CONFIG = WebAppConfig(
    url="https://bench.invalid/app/",
    listen="127.0.0.1",
    port=0,
    path="/app/",
    max_age=dt.timedelta(hours=24),
)
#: What the page loads by itself: scripts and stylesheets (not the licence links).
ASSET_RE = re.compile(r'<(?:script src|link rel="stylesheet" href)="(static/[^"]+)"')


def signed_init() -> str:
    """initData of one user, signed with the bench token, dated now."""
    user = json.dumps({"id": 777, "first_name": "Bench"})
    return sign({"auth_date": str(int(time.time())), "query_id": "AAB", "user": user}, TOKEN)


async def wire_bytes(session: aiohttp.ClientSession, url: str) -> tuple[int, int]:
    """(bytes on the wire, bytes once decompressed) of one GET."""
    async with session.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        response.raise_for_status()
        body = await response.read()
        return len(body), len(_plain(body, response.headers.get("Content-Encoding")))


def _plain(body: bytes, coding: str | None) -> bytes:
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "deflate":
        return zlib.decompress(body)
    return body


async def measure(services: Services) -> dict[str, Any]:
    """The page's weight, the pair JSON's size and the API's latency."""
    server = TestServer(make_app(services, CONFIG, _nobody))
    await server.start_server()
    base = str(server.make_url(CONFIG.path))
    headers = {"Authorization": f"tma {signed_init()}", "Accept-Encoding": "gzip"}
    try:
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            async with session.get(base, headers={"Accept-Encoding": "gzip"}) as response:
                page = _plain(await response.read(), response.headers.get("Content-Encoding"))
            assets = ASSET_RE.findall(page.decode())
            sizes = {"index.html": await wire_bytes(session, base)}
            for asset in assets:
                sizes[asset] = await wire_bytes(session, base + asset)
        async with aiohttp.ClientSession() as session:
            async with session.get(base + PATHS[1], headers=headers) as response:
                response.raise_for_status()
                pair_json = await response.read()
            for k in range(WARMUP):
                await _get(session, base + PATHS[k % len(PATHS)], headers)
            times = [
                await _get(session, base + PATHS[k % len(PATHS)], headers) for k in range(REQUESTS)
            ]
    finally:
        await server.close()
    return {
        "page_bytes": {name: {"wire": w, "plain": p} for name, (w, p) in sizes.items()},
        "page_wire_kb": round(sum(w for w, _ in sizes.values()) / 1000, 1),
        "page_plain_kb": round(sum(p for _, p in sizes.values()) / 1000, 1),
        "pair_1y_json_kb": round(len(pair_json) / 1000, 1),
        "pair_1y_json_gzip_kb": round(len(gzip.compress(pair_json)) / 1000, 1),
        "api": {**latency_ms(times), "requests": REQUESTS, "paths": list(PATHS)},
    }


async def _get(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    async with session.get(url, headers=headers) as response:
        await response.read()
        if response.status != 200:
            raise AssertionError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - start


async def _nobody(chat_id: int, user_id: int) -> bool:
    return False


def run() -> dict[str, Any]:
    """The measurement on the 2000-symbol bot."""
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as tmp:
        built = build_bot_db(Path(tmp) / "bot.db")
        services = bot_services(built.path, built.universe)
        try:
            result = asyncio.run(measure(services))
        finally:
            services.db.close()
    return {
        "webapp_page_kb": result["page_wire_kb"],
        "webapp_pair_json_kb": result["pair_1y_json_kb"],
        "webapp_api_p95_ms": result["api"]["p95_ms"],
        "details": {"webapp": result},
    }
