"""Local Tiingo and FRED servers (aiohttp on loopback) answering in their documented formats.

Tiingo end-of-day (https://www.tiingo.com/documentation/end-of-day):
``GET /tiingo/daily/<ticker>/prices?startDate=&endDate=`` with ``Authorization: Token ...``
answers a JSON list of days (``date`` as ``2026-04-01T00:00:00.000Z``, raw
``open/high/low/close/volume``, adjusted ``adjOpen/.../adjVolume``, ``divCash``,
``splitFactor``); an unknown ticker 404 with ``{"detail": "Error: Ticker 'X' not found"}``.
FRED: ``GET /graph/fredgraph.csv?id=SERIES&cosd=&coed=`` answers ``observation_date,SERIES``
then ``date,value`` lines, ``.`` for a day without a value.

The adjusted closes served are the bundled closes; the raw closes are ``raw_factor`` times
them, so a test can tell which field was stored. Faults per ticker or series: an HTML
challenge page with HTTP 200 (Stooq's answer to scripts), 429, an empty body, a truncated
JSON. It runs on its own thread and loop, so both async tests and the command line (which runs
its own loop) can use it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
from aiohttp import web

from tests.fakes.yahoo_chart import load_bundled_bars

TOKEN = "test-tiingo-token"
CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    "<body><noscript>Enable JavaScript and cookies to continue</noscript></body></html>"
)


@dataclass
class FakePriceSources:
    """What the servers answer; ``requests`` records every path asked (in order)."""

    tiingo: dict[str, pd.DataFrame] = field(default_factory=dict)
    fred: dict[str, pd.Series] = field(default_factory=dict)
    fred_missing: dict[str, set[str]] = field(default_factory=dict)
    raw_factor: float = 1.25
    html: set[str] = field(default_factory=set)
    rate_limited: set[str] = field(default_factory=set)
    empty: set[str] = field(default_factory=set)
    truncated: set[str] = field(default_factory=set)
    fred_header: str = "observation_date"
    requests: list[str] = field(default_factory=list)
    port: int = 0

    def serve_tiingo(self, symbols: Iterable[str]) -> FakePriceSources:
        for symbol in symbols:
            self.tiingo[symbol] = load_bundled_bars(symbol)
        return self

    def serve_fred(self, series: str, symbol: str) -> FakePriceSources:
        """Serve ``series`` with the bundled closes of ``symbol`` (a stand-in for its values)."""
        self.fred[series] = load_bundled_bars(symbol)["close"]
        return self

    @property
    def tiingo_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def fred_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graph/fredgraph.csv"

    def adjusted_closes(self, symbol: str) -> list[float]:
        return [float(v) for v in self.tiingo[symbol]["close"]]

    # -- handlers --------------------------------------------------------------------------

    def _fault(self, name: str) -> web.Response | None:
        if name in self.html:
            return web.Response(status=200, text=CHALLENGE, content_type="text/html")
        if name in self.rate_limited:
            return web.Response(status=429, text="Too Many Requests", content_type="text/plain")
        if name in self.empty:
            return web.Response(status=200, body=b"", content_type="application/json")
        return None

    async def _tiingo(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        if request.headers.get("Authorization") != f"Token {TOKEN}":
            return web.json_response({"detail": "Invalid token."}, status=401)
        symbol = request.match_info["ticker"].upper()
        fault = self._fault(symbol)
        if fault is not None:
            return fault
        if symbol not in self.tiingo:
            detail = f"Error: Ticker '{symbol.lower()}' not found"
            return web.json_response({"detail": detail}, status=404)
        bars = self.tiingo[symbol]
        start = pd.Timestamp(request.query["startDate"])
        end = pd.Timestamp(request.query["endDate"])
        rows = [
            _tiingo_day(day, bar, self.raw_factor) for day, bar in bars.loc[start:end].iterrows()
        ]
        text = json.dumps(rows)
        if symbol in self.truncated:
            text = text[: len(text) // 2]
        return web.Response(text=text, content_type="application/json")

    async def _fred(self, request: web.Request) -> web.Response:
        self.requests.append(f"{request.path}?id={request.query.get('id', '')}")
        series = request.query.get("id", "")
        fault = self._fault(series)
        if fault is not None:
            return fault
        if series not in self.fred:
            return web.Response(status=404, text="Not Found", content_type="text/plain")
        values = self.fred[series]
        start = pd.Timestamp(request.query.get("cosd", "1900-01-01"))
        end = pd.Timestamp(request.query.get("coed", "2100-01-01"))
        missing = self.fred_missing.get(series, set())
        lines = [f"{self.fred_header},{series}"]
        for day, value in values.loc[start:end].items():
            text = f"{day:%Y-%m-%d}"
            lines.append(f"{text},." if text in missing else f"{text},{value}")
        return web.Response(text="\n".join(lines) + "\n", content_type="text/csv")

    # -- lifecycle (own thread and loop) ---------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[FakePriceSources]:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        runner_box: list[web.AppRunner] = []

        async def start() -> None:
            app = web.Application()
            app.router.add_get("/tiingo/daily/{ticker}/prices", self._tiingo)
            app.router.add_get("/graph/fredgraph.csv", self._fred)
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            runner_box.append(runner)

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(start())
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name="fake-price-sources", daemon=True)
        thread.start()
        ready.wait(timeout=10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(runner_box[0].cleanup(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()


def _tiingo_day(day: pd.Timestamp, bar: pd.Series, raw_factor: float) -> dict[str, object]:
    def number(value: float) -> float | None:
        return None if pd.isna(value) else float(value)

    adjusted = {f"adj{c.capitalize()}": number(bar[c]) for c in ("open", "high", "low", "close")}
    raw = {
        c: None if pd.isna(bar[c]) else float(bar[c]) * raw_factor
        for c in ("open", "high", "low", "close")
    }
    volume = None if pd.isna(bar["volume"]) else int(bar["volume"])
    return {
        "date": f"{day:%Y-%m-%d}T00:00:00.000Z",
        **raw,
        "volume": volume,
        **adjusted,
        "adjVolume": volume,
        "divCash": 0.0,
        "splitFactor": 1.0,
    }
