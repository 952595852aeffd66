"""A fake Yahoo: v8 chart JSON built from real bars, served to unmodified yfinance via curl_cffi.

yfinance 1.7 talks to Yahoo only through ``curl_cffi.requests.Session``. Patching
``Session.request`` (the approach of yfinance's own ``tests/replay.py``) lets the real
yfinance parse answers we generate here, with no network. Every request is recorded; a URL
the fake does not know is recorded in ``unexpected`` and raises, so a test can prove that
nothing tried to leave the process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest
from curl_cffi.requests import Response
from curl_cffi.requests.exceptions import DNSError
from curl_cffi.requests.session import Session

from market.symbols import is_index, symbol_to_filename

NEW_YORK = "America/New_York"
CHART_HOST = "query2.finance.yahoo.com"
CHART_PATH = "/v8/finance/chart/"
SUMMARY_PATH = "/v10/finance/quoteSummary/"
QUOTE_PATH = "/v7/finance/quote"
TIMESERIES_PATH = "/ws/fundamentals-timeseries/v1/finance/timeseries/"
PRICES_DIR = Path(__file__).resolve().parents[2] / "market" / "data" / "prices"

# Session open in New York: Yahoo stamps daily bars with the regular-market open time.
_OPEN = pd.Timedelta(hours=9, minutes=30)
_CLOSE = pd.Timedelta(hours=16)


class UnexpectedRequest(AssertionError):
    """A request the fake does not serve (would have gone to the network)."""


def load_bundled_bars(symbol: str) -> pd.DataFrame:
    """Bars of the bundled csv sample for ``symbol`` (index: date; columns: open..volume)."""
    path = PRICES_DIR / symbol_to_filename(symbol)
    frame = pd.read_csv(path, parse_dates=["date"], index_col="date")
    return frame.astype("float64")


def _epoch(day: pd.Timestamp, offset: pd.Timedelta, tz: str) -> int:
    return int((day.normalize() + offset).tz_localize(tz).timestamp())


def _values(column: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in column]


def _trading_period(day: pd.Timestamp, tz: str) -> dict[str, Any]:
    start = _epoch(day, _OPEN, tz)
    gmtoffset = int(pd.Timestamp(start, unit="s", tz=tz).utcoffset().total_seconds())
    return {
        "timezone": "EDT" if gmtoffset == -4 * 3600 else "EST",
        "start": start,
        "end": _epoch(day, _CLOSE, tz),
        "gmtoffset": gmtoffset,
    }


def chart_json(
    symbol: str,
    bars: pd.DataFrame,
    *,
    tz: str = NEW_YORK,
    market_time: pd.Timestamp | None = None,
) -> dict[str, Any]:
    """A v8 ``/finance/chart`` answer for daily ``bars`` (open..volume, NaN for missing).

    The adjusted close equals the close, so yfinance's ``auto_adjust`` returns the closes
    unchanged. An empty ``bars`` gives Yahoo's answer for a range without data (no
    ``timestamp`` and an empty quote), which yfinance reports as missing prices.
    ``market_time`` (aware) is the answer's ``regularMarketTime``; by default the close of
    the last bar's session, i.e. an answer taken after the close.
    """
    days = pd.DatetimeIndex(bars.index)
    last = days[-1] if len(days) else pd.Timestamp("2026-04-01")
    period = _trading_period(last, tz)
    meta = _meta(symbol, bars, period, tz)
    if market_time is not None:
        meta["regularMarketTime"] = int(market_time.timestamp())
    if not len(days):
        result = {"meta": meta, "indicators": {"quote": [{}], "adjclose": [{}]}}
        return {"chart": {"result": [result], "error": None}}
    quote = {
        "open": _values(bars["open"]),
        "high": _values(bars["high"]),
        "low": _values(bars["low"]),
        "close": _values(bars["close"]),
        "volume": [None if pd.isna(v) else int(v) for v in bars["volume"]],
    }
    result = {
        "meta": meta,
        "timestamp": [_epoch(day, _OPEN, tz) for day in days],
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": _values(bars["close"])}]},
    }
    return {"chart": {"result": [result], "error": None}}


def intraday_chart_json(
    symbol: str, days: list[tuple[str, float, float]], *, minutes: int = 5, tz: str = NEW_YORK
) -> dict[str, Any]:
    """Yahoo's answer with ``minutes``-minute bars (``dataGranularity`` "5m"), as it came for
    a daily request: per day (date, first bar's price, last bar's price), prices moving in a
    straight line through the 78 bars of a regular session. Like Yahoo's intraday answers it
    carries ``tradingPeriods`` and no ``adjclose``.
    """
    stamps: list[int] = []
    prices: list[float] = []
    periods: list[list[dict[str, Any]]] = []
    for day, first, last in days:
        session = pd.Timestamp(day)
        count = int((_CLOSE - _OPEN) / pd.Timedelta(minutes=minutes))
        for n in range(count):
            stamps.append(_epoch(session, _OPEN + pd.Timedelta(minutes=minutes * n), tz))
            prices.append(round(first + (last - first) * n / (count - 1), 2))
        periods.append([{**_trading_period(session, tz)}])
    last_day = pd.Timestamp(days[-1][0])
    frame = pd.DataFrame({c: [prices[-1]] for c in ("open", "high", "low", "close", "volume")})
    meta = _meta(symbol, frame, _trading_period(last_day, tz), tz)
    meta.update({"instrumentType": "EQUITY", "exchangeName": "NYQ", "fullExchangeName": "NYSE"})
    meta["dataGranularity"] = f"{minutes}m"
    meta["range"] = "5d"
    meta["tradingPeriods"] = periods
    quote = {
        "open": prices,
        "high": prices,
        "low": prices,
        "close": prices,
        "volume": [1000] * len(prices),
    }
    result = {"meta": meta, "timestamp": stamps, "indicators": {"quote": [quote]}}
    return {"chart": {"result": [result], "error": None}}


def quarterly_chart_json(
    symbol: str, bars: list[tuple[str, float]], *, tz: str = NEW_YORK
) -> dict[str, Any]:
    """Yahoo's answer with 3-month bars (``dataGranularity`` "3mo"), as it came for a daily
    request: one bar per quarter (date of its first session, close)."""
    days = [pd.Timestamp(day) for day, _ in bars]
    closes = [close for _, close in bars]
    frame = pd.DataFrame({c: [closes[-1]] for c in ("open", "high", "low", "close", "volume")})
    meta = _meta(symbol, frame, _trading_period(days[-1], tz), tz)
    meta.update(
        {"instrumentType": "MUTUALFUND", "exchangeName": "NAS", "fullExchangeName": "Nasdaq"}
    )
    meta["dataGranularity"] = "3mo"
    quote = {
        "open": closes,
        "high": closes,
        "low": closes,
        "close": closes,
        "volume": [0] * len(closes),
    }
    result = {
        "meta": meta,
        "timestamp": [_epoch(day, _OPEN, tz) for day in days],
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": closes}]},
    }
    return {"chart": {"result": [result], "error": None}}


def _meta(symbol: str, bars: pd.DataFrame, period: dict[str, Any], tz: str) -> dict[str, Any]:
    """The ``meta`` of a chart answer whose last bar falls in ``period`` (its regular session)."""
    days = pd.DatetimeIndex(bars.index)
    return {
        "currency": "USD",
        "symbol": symbol,
        "exchangeName": "PCX" if not is_index(symbol) else "SNP",
        "fullExchangeName": "NYSEArca" if not is_index(symbol) else "SNP",
        "instrumentType": "INDEX" if is_index(symbol) else "ETF",
        "firstTradeDate": 946_900_800,
        "regularMarketTime": period["end"],
        "hasPrePostMarketData": not is_index(symbol),
        "gmtoffset": period["gmtoffset"],
        "timezone": period["timezone"],
        "exchangeTimezoneName": tz,
        "regularMarketPrice": float(bars["close"].iloc[-1]) if len(days) else None,
        "chartPreviousClose": float(bars["close"].iloc[0]) if len(days) else None,
        "priceHint": 2,
        "currentTradingPeriod": {
            "pre": {**period, "start": period["start"] - 5 * 3600, "end": period["start"]},
            "regular": period,
            "post": {**period, "start": period["end"], "end": period["end"] + 4 * 3600},
        },
        "dataGranularity": "1d",
        "range": "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }


def chart_error_json(description: str = "No data found, symbol may be delisted") -> dict[str, Any]:
    """Yahoo's v8 chart answer for an unknown symbol (sent with HTTP 404)."""
    return {"chart": {"result": None, "error": {"code": "Not Found", "description": description}}}


def quote_summary_error_json(symbol: str) -> dict[str, Any]:
    """Yahoo's v10 quoteSummary answer for an unknown symbol (sent with HTTP 404)."""
    error = {"code": "Not Found", "description": f"Quote not found for symbol: {symbol}"}
    return {"quoteSummary": {"result": None, "error": error}}


def make_response(url: str, status: int, body: bytes | str, content_type: str) -> Response:
    """A real curl_cffi Response carrying ``body`` (what yfinance reads: status, text, json)."""
    response = Response()
    response.url = url
    response.status_code = status
    response.ok = 200 <= status < 400
    response.reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}.get(status, "")
    response.content = body.encode() if isinstance(body, str) else body
    response.headers["Content-Type"] = content_type
    return response


def _json_response(url: str, status: int, payload: Mapping[str, Any]) -> Response:
    return make_response(url, status, json.dumps(payload), "application/json;charset=utf-8")


@dataclass
class FakeYahoo:
    """Serves chart JSON per symbol; anything not configured answers like Yahoo would.

    ``bars``: symbol -> daily bars to serve (filtered to the requested period).
    ``not_found``: symbols answered with 404 and Yahoo's "may be delisted" error.
    ``rate_limited``: when true, every Yahoo endpoint answers 429 Too Many Requests.
    ``unreachable``: when true, every Yahoo host fails name resolution (as offline).
    ``down``: symbols whose chart requests fail name resolution (a network error mid-batch).
    ``before_chart``: called with the symbol before a chart request is answered (tests use it
    to make two downloads overlap).
    ``answers``: symbol -> a whole chart answer served as it is for every chart request of
    that symbol (a recorded answer, whatever the period asked).
    ``requests``: every (method, url) seen, in order; ``unexpected``: unknown URLs.
    """

    bars: dict[str, pd.DataFrame] = field(default_factory=dict)
    not_found: set[str] = field(default_factory=set)
    rate_limited: bool = False
    unreachable: bool = False
    down: set[str] = field(default_factory=set)
    before_chart: Callable[[str], None] | None = None
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def serve(self, symbols: Iterable[str]) -> FakeYahoo:
        """Serve the bundled real bars for ``symbols``."""
        for symbol in symbols:
            self.bars[symbol] = load_bundled_bars(symbol)
        return self

    def handle(self, method: str, url: str, params: Mapping[str, Any] | None) -> Response:
        """Answer one request as Yahoo would (the body of the patched Session.request)."""
        parts = urlsplit(url)
        query = {**dict(parse_qsl(parts.query)), **{k: v for k, v in (params or {}).items()}}
        with self._lock:
            self.requests.append((method, parts._replace(query="").geturl()))
        if self.unreachable and parts.hostname and parts.hostname.endswith("yahoo.com"):
            raise DNSError(f"Failed to perform, curl: (6) Could not resolve host: {parts.hostname}")
        if self.rate_limited and parts.hostname and parts.hostname.endswith("yahoo.com"):
            return make_response(url, 429, "Too Many Requests", "text/plain")
        if parts.hostname == "fc.yahoo.com":
            # Real Yahoo answers 404 here too (with a cookie we do not need).
            return make_response(url, 404, "", "text/html")
        if parts.hostname == "guce.yahoo.com" and parts.path == "/consent":
            # No consent form (no csrfToken): yfinance falls back to the basic cookie.
            return make_response(url, 404, "<html><body></body></html>", "text/html")
        if parts.path == "/v1/test/getcrumb" and parts.hostname in (
            "query1.finance.yahoo.com",
            "query2.finance.yahoo.com",
        ):
            return make_response(url, 200, "fakeCrumb0", "text/plain")
        if parts.hostname == CHART_HOST and parts.path.startswith(CHART_PATH):
            return self._chart(url, parts.path[len(CHART_PATH) :], query)
        if parts.hostname == CHART_HOST and parts.path.startswith(SUMMARY_PATH):
            # yfinance's fallback for a timezone the chart did not give (unknown symbols).
            symbol = parts.path[len(SUMMARY_PATH) :]
            return _json_response(url, 404, quote_summary_error_json(symbol))
        if parts.hostname == "query1.finance.yahoo.com" and parts.path == QUOTE_PATH:
            # The same fallback's second source; Yahoo answers unknown symbols with no result.
            return _json_response(url, 200, {"quoteResponse": {"result": [], "error": None}})
        if parts.hostname == "query1.finance.yahoo.com" and parts.path.startswith(TIMESERIES_PATH):
            # ... and its third (trailing PEG ratio): nothing known for an unknown symbol.
            return _json_response(url, 200, {"timeseries": {"result": [], "error": None}})
        with self._lock:
            self.unexpected.append(url)
        raise UnexpectedRequest(f"fake Yahoo does not serve {method} {url}")

    def _chart(self, url: str, symbol: str, query: Mapping[str, Any]) -> Response:
        if self.before_chart is not None:
            self.before_chart(symbol)
        if symbol in self.down:
            raise DNSError(f"Failed to perform, curl: (6) Could not resolve host: {CHART_HOST}")
        if symbol in self.answers:
            return _json_response(url, 200, self.answers[symbol])
        if symbol in self.not_found or symbol not in self.bars:
            return _json_response(url, 404, chart_error_json())
        bars = self.bars[symbol]
        if query.get("range") == "1d":
            # yfinance asks for one day only to learn the exchange timezone.
            return _json_response(url, 200, chart_json(symbol, bars.iloc[-1:]))
        start = pd.Timestamp(int(query["period1"]), unit="s", tz="UTC")
        end = pd.Timestamp(int(query["period2"]), unit="s", tz="UTC")
        stamps = pd.DatetimeIndex(bars.index).tz_localize(NEW_YORK) + _OPEN
        return _json_response(
            url, 200, chart_json(symbol, bars[(stamps >= start) & (stamps < end)])
        )

    def chart_symbols(self) -> list[str]:
        """Symbols whose price history (not just the timezone) was requested, in order."""
        return [url.rsplit("/", 1)[1] for _, url in self.requests if CHART_PATH in url]


def patch_curl_cffi(monkeypatch: pytest.MonkeyPatch, fake: FakeYahoo) -> FakeYahoo:
    """Route every curl_cffi ``Session.request`` of this test to ``fake``."""

    def request(
        self: Session, method: str, url: str, params: Any = None, **kwargs: Any
    ) -> Response:
        return fake.handle(method, url, params)

    monkeypatch.setattr(Session, "request", request)
    return fake
