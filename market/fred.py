"""Treasury yields from FRED's graph CSV (no key), standing in for Yahoo's ^TNX and ^IRX.

``fredgraph.csv?id=SERIES&cosd=START&coed=END`` answers a two-column CSV: the header
``observation_date,SERIES`` (older files: ``DATE,SERIES``), one line per day, ``.`` for a day
without a value (a bond-market holiday). The series pages: https://fred.stlouisfed.org/series/DGS10
(10-year Treasury constant maturity, percent) and https://fred.stlouisfed.org/series/DTB3
(3-month Treasury bill, secondary market, percent).

These are close to, not the same as, CBOE's ^TNX and ^IRX: every row stored from here keeps
the source ``fred:DGS10`` / ``fred:DTB3``, and that label is shown wherever the source is
(``prices show``, ``/status``, exports). Days with ``.`` are left out (never filled in).
Any other symbol is named as not carried, without a request; an answer that is HTML or not
that CSV is a failure with its reason, nothing of it stored.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import aiohttp
import pandas as pd

from market.http_source import DEFAULT_TIMEOUT, SourceFailure, get_text
from market.provider import BAR_COLUMNS, FetchResult, Outcome, wanted_symbols

SOURCE = "fred"
DEFAULT_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
#: Yahoo's yield index -> the FRED series stored in its place (labelled as such).
SERIES = {"^TNX": "DGS10", "^IRX": "DTB3"}
MISSING = "."


def series_source(series: str) -> str:
    """The source label of rows from a FRED series: ``fred:DGS10``."""
    return f"{SOURCE}:{series}"


class FredProvider:
    """The PriceProvider for the yield series FRED publishes (close only)."""

    name = SOURCE

    def __init__(self, *, api_url: str = DEFAULT_URL, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.api_url = api_url
        self.timeout = timeout

    async def fetch(
        self,
        symbols: Sequence[str],
        start: dt.date,
        end: dt.date,
        *,
        expected_last: dt.date | None = None,
    ) -> FetchResult:
        """Daily values for the symbols FRED stands in for; see PriceProvider."""
        wanted, failures = wanted_symbols(symbols, start, end, _refuse)
        out = Outcome(failures)
        if wanted:
            async with aiohttp.ClientSession() as session:
                for symbol in wanted:
                    series = SERIES[symbol]
                    params = {"id": series, "cosd": start.isoformat(), "coed": end.isoformat()}
                    try:
                        body = await get_text(
                            session, "FRED", self.api_url, params=params, seconds=self.timeout
                        )
                        frame = parse_series(body, series, start, end)
                    except SourceFailure as exc:
                        out.failed(symbol, f"{series_source(series)}: {exc.cause}",
                                   rate_limited=exc.rate_limited,
                                   unreachable=exc.unreachable)  # fmt: skip
                        continue
                    out.got(symbol, frame, expected_last, source=series_source(series))
        return out.result(SOURCE)


def _refuse(symbol: str) -> str | None:
    return None if symbol in SERIES else "FRED carries no series for it"


def parse_series(body: str, series: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Close-only bars from a FRED graph CSV of ``series``, or SourceFailure."""
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
    header = [part.strip() for part in lines[0].split(",")] if lines else []
    if len(header) != 2 or header[0] not in ("observation_date", "DATE") or header[1] != series:
        shown = lines[0][:60] if lines else ""
        raise SourceFailure(f"FRED answered no {series} CSV (header {shown!r})")
    dates: list[pd.Timestamp] = []
    closes: list[float] = []
    for number, line in enumerate(lines[1:], start=2):
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 2:
            raise SourceFailure(f"FRED line {number} is not 'date,value'")
        day_text, value = parts
        try:
            day = pd.Timestamp(dt.date.fromisoformat(day_text))
        except ValueError as exc:
            raise SourceFailure(f"FRED line {number}: {day_text!r} is not a date") from exc
        if value == MISSING:
            continue  # no value that day (a bond-market holiday): left out, never filled in
        try:
            close = float(value)
        except ValueError as exc:
            raise SourceFailure(f"FRED line {number}: {value!r} is not a number") from exc
        if not math.isfinite(close):
            raise SourceFailure(f"FRED line {number}: {value!r} is not a number")
        dates.append(day)
        closes.append(close)
    frame = pd.DataFrame(
        {c: closes if c == "close" else [math.nan] * len(closes) for c in BAR_COLUMNS},
        index=pd.DatetimeIndex(dates, name="date"),
        dtype="float64",
    )
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    frame = frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]
    if frame.empty:
        raise SourceFailure(f"FRED has no {series} values in the range asked")
    return frame
