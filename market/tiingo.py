"""Daily bars from Tiingo's end-of-day REST API: the adjusted fields, one request per symbol.

Documentation: https://www.tiingo.com/documentation/end-of-day (end-of-day prices: the
endpoint ``/tiingo/daily/<ticker>/prices?startDate=YYYY-MM-DD&endDate=YYYY-MM-DD``, a JSON list
of days with ``date``, raw ``open/high/low/close/volume`` and the split- and dividend-adjusted
``adjOpen/adjHigh/adjLow/adjClose/adjVolume``, plus ``divCash`` and ``splitFactor``), and
https://api.tiingo.com/docs/general/connecting (the token in the ``Authorization: Token ...``
header, which keeps it out of every logged URL).

What is stored: the adjusted fields, like Yahoo's auto-adjusted history (our close is the
adjusted close). Tiingo carries stocks, ETFs and mutual funds, no indexes: a caret symbol is
named as not carried without a request. A list whose rows lack a date or a positive
``adjClose``, or any answer that is not that JSON list (HTML, truncated JSON, an object), is a
failure with its reason: nothing of it is stored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import math
from collections.abc import Sequence
from typing import Any

import aiohttp
import pandas as pd

from market.http_source import DEFAULT_TIMEOUT, SourceFailure, get_text
from market.provider import BAR_COLUMNS, FetchResult, Outcome, wanted_symbols
from market.symbols import is_index

log = logging.getLogger(__name__)

SOURCE = "tiingo"
DEFAULT_URL = "https://api.tiingo.com"
NOT_CARRIED = "Tiingo carries no indexes"
#: Requests in flight at once (one per symbol; Tiingo has no batch endpoint).
CONCURRENCY = 4
_FIELDS = {"open": "adjOpen", "high": "adjHigh", "low": "adjLow", "close": "adjClose",
           "volume": "adjVolume"}  # fmt: skip


def tiingo_ticker(symbol: str) -> str:
    """Tiingo writes share classes with a dash too (BRK-B), in lower case in its URLs."""
    return symbol.lower()


class TiingoProvider:
    """The PriceProvider for Tiingo end-of-day prices (adjusted)."""

    name = SOURCE

    def __init__(
        self, token: str, *, api_url: str = DEFAULT_URL, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    async def fetch(
        self,
        symbols: Sequence[str],
        start: dt.date,
        end: dt.date,
        *,
        expected_last: dt.date | None = None,
    ) -> FetchResult:
        """Daily bars for ``symbols`` from ``start`` to ``end`` inclusive; see PriceProvider."""
        wanted, failures = wanted_symbols(symbols, start, end, self._refuse)
        out = Outcome(failures)
        if wanted:
            await self._fetch_all(wanted, start, end, expected_last, out)
        return out.result(SOURCE)

    def _refuse(self, symbol: str) -> str | None:
        if is_index(symbol):
            return NOT_CARRIED
        return None if self.token else "TIINGO_API_KEY is not set"

    async def _fetch_all(
        self,
        symbols: list[str],
        start: dt.date,
        end: dt.date,
        expected_last: dt.date | None,
        out: Outcome,
    ) -> None:
        gate = asyncio.Semaphore(CONCURRENCY)
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        params = {"startDate": start.isoformat(), "endDate": end.isoformat()}

        async def one(session: aiohttp.ClientSession, symbol: str) -> None:
            async with gate:
                if out.rate_limited:  # one refusal covers the batch: do not hammer the source
                    out.failed(symbol, f"rate limited by {SOURCE}", unreachable=True)
                    return
                url = f"{self.api_url}/tiingo/daily/{tiingo_ticker(symbol)}/prices"
                try:
                    body = await get_text(
                        session, "Tiingo", url, params=params, headers=headers,
                        seconds=self.timeout,
                    )  # fmt: skip
                    frame = parse_prices(body, start, end)
                except SourceFailure as exc:
                    out.failed(symbol, exc.cause, rate_limited=exc.rate_limited,
                               unreachable=exc.unreachable)  # fmt: skip
                    return
            out.got(symbol, frame, expected_last)

        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(one(session, s) for s in symbols))


def parse_prices(body: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The bar frame of a Tiingo prices answer (adjusted fields), or SourceFailure."""
    try:
        rows: Any = json.loads(body)
    except json.JSONDecodeError as exc:
        raise SourceFailure(f"Tiingo answered malformed or truncated JSON ({exc.msg})") from exc
    if not isinstance(rows, list):
        detail = rows.get("detail") if isinstance(rows, dict) else None
        what = f": {str(detail)[:80]}" if detail else ""
        raise SourceFailure(f"Tiingo answered {type(rows).__name__}, not a list of days{what}")
    dates: list[pd.Timestamp] = []
    values: dict[str, list[float]] = {c: [] for c in BAR_COLUMNS}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise SourceFailure(f"Tiingo day {number} is not an object")
        try:
            day = pd.Timestamp(str(row["date"])[:10])
        except (KeyError, ValueError) as exc:
            raise SourceFailure(f"Tiingo day {number} has no valid date") from exc
        close = _number(row.get("adjClose"))
        if close is None or close <= 0:
            raise SourceFailure(
                f"Tiingo {day.date()}: adjClose {row.get('adjClose')!r} is not a price"
            )
        dates.append(day)
        for column, key in _FIELDS.items():
            number_ = close if column == "close" else _number(row.get(key))
            values[column].append(math.nan if number_ is None else number_)
    if not dates:
        raise SourceFailure("Tiingo has no prices in the range asked")
    frame = pd.DataFrame(values, index=pd.DatetimeIndex(dates, name="date"), dtype="float64")
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    frame = frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]
    if frame.empty:
        raise SourceFailure("Tiingo has no prices in the range asked")
    return frame.reindex(columns=list(BAR_COLUMNS))


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
