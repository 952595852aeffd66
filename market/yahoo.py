"""Daily bars from Yahoo Finance: one batched yfinance download per attempt, checked per symbol.

This is the only module that imports yfinance. yfinance does not raise when Yahoo fails: it
returns an empty or NaN-filled frame and logs "Failed downloads". Every symbol therefore ends
up either with bars or with a cause in ``FetchResult.failures``; a fetch is current only if
its last close is the expected session. A symbol whose last valid close is older (delisted,
halted, late at Yahoo, or a NaN close on the last session) is asked for again like a failed
one; if it is still behind after the last attempt, its valid rows are returned all the same
and it is named in ``FetchResult.stale`` with its last close (NaN rows are never returned).

Concurrency: yfinance reports per-symbol errors only through its (process-wide) logger, and
keeps a process-wide cache of answers. One download at a time therefore holds
``_DOWNLOAD_LOCK`` while it clears that cache, downloads and reads the log records: two
overlapping fetches (the daily job and a user's background fetch) each keep their own errors.
yfinance's records go to our log at DEBUG, never to the terminal.

A network-class failure (DNS, connection, timeout) ends the batch at once: Yahoo is not
reachable, and asking again within seconds only makes an offline run slow and noisy.

Daily bars only: yfinance asks for one-day bars, but Yahoo has answered with 5-minute and
3-month bars, which yfinance folds onto dates (each day's 09:30 bar read as its close). Every
chart answer's meta (``dataGranularity``, ``regularMarketTime``, ``currentTradingPeriod``) is
kept during a download (``_keep_chart_meta``); a symbol whose answer is not ``1d`` (or, without
a meta, whose bars are spaced further apart than daily bars can be) is refused with its cause
and nothing of it is returned, and a last bar whose session had not closed when Yahoo answered
(a live quote) is left out, named in ``FetchResult.warnings``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import random
import re
import threading
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yfinance as yf
from yfinance import data as yf_data
from yfinance.exceptions import YFRateLimitError
from yfinance.scrapers import history as yf_history

from analytics.backoff import doubling
from market.provider import BAR_COLUMNS, FetchResult, short_cause, wanted_symbols

log = logging.getLogger(__name__)

SOURCE = "yahoo"
NO_DATA = "no data returned (Yahoo unreachable or symbols unknown)"
RATE_LIMITED = "rate limited by Yahoo"
UNREACHABLE = "Yahoo unreachable"
_YF_LOGGER = "yfinance"
# yfinance's summary lines after a batch: "['SPY', 'NOPE']: possibly delisted; ..."
_FAILED_LINE_RE = re.compile(r"^\[([^\]]*)\]: (.+)$", re.MULTILINE)
_RATE_LIMIT_MARKS = ("YFRateLimitError", "Too Many Requests", "Rate limited")
# yfinance hides some network errors behind "possibly delisted" (when the timezone is cached);
# its other log lines still show them, e.g. "Cookie/crumb fetch failed (DNSError), ...".
_NETWORK_RE = re.compile(
    r"DNSError|ConnectionError|Timeout|timed out|Could not resolve host|curl: \(\d+\)"
)
_CURL_RE = re.compile(r"curl: \(\d+\)")
_YF_ERROR_RE = re.compile(r"^YF\w+\(['\"](.*)['\"]\)$")
DAILY = "1d"
# Daily bars are at most a long weekend plus a holiday or two apart; bars whose typical spacing
# is wider are weekly, monthly or quarterly bars.
_MAX_DAILY_GAP_DAYS = 5

# yfinance 1.7 uses pandas' deprecated `inplace=` (Pandas4Warning, a DeprecationWarning) and
# sets its own module's DeprecationWarnings to "default": without this every fetch would
# print a dozen warnings to stderr.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"yfinance\.")

Sleep = Callable[[float], Awaitable[None]]

_cache_lock = threading.Lock()
_cache_location: str | None = None
#: Held by the worker thread for one whole download (see the module docstring).
_DOWNLOAD_LOCK = threading.Lock()
Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class ChartMeta:
    """What one chart answer's meta says about its bars (None: the answer did not say).

    ``market_time`` is ``regularMarketTime`` (the moment Yahoo's latest figure is from);
    ``regular_open`` / ``regular_close`` the ``currentTradingPeriod.regular`` session.
    """

    granularity: str | None = None
    market_time: dt.datetime | None = None
    regular_open: dt.datetime | None = None
    regular_close: dt.datetime | None = None
    timezone: str | None = None
    exchange: str | None = None

    @classmethod
    def parse(cls, meta: Mapping[str, Any]) -> ChartMeta:
        """From yfinance's copy of the meta (epoch seconds, or Timestamps once formatted)."""
        period = meta.get("currentTradingPeriod")
        regular = period.get("regular") if isinstance(period, Mapping) else None
        regular = regular if isinstance(regular, Mapping) else {}
        granularity = meta.get("dataGranularity")
        timezone = meta.get("exchangeTimezoneName")
        exchange = meta.get("exchangeName")
        return cls(
            granularity=str(granularity) if granularity is not None else None,
            market_time=_moment(meta.get("regularMarketTime")),
            regular_open=_moment(regular.get("start")),
            regular_close=_moment(regular.get("end")),
            timezone=str(timezone) if timezone else None,
            exchange=str(exchange) if exchange else None,
        )

    def open_session(self, now: dt.datetime) -> dt.date | None:
        """The session still open when Yahoo answered (its date on the exchange), if any.

        Open: Yahoo's latest figure lies inside the current regular session and, by our own
        clock, that session has not closed yet (a thin stock's last trade may come before
        the close: once the close has passed, the bar is the session's close).
        """
        start, end, moment = self.regular_open, self.regular_close, self.market_time
        if start is None or end is None or moment is None:
            return None
        if not start <= moment < end or now >= end:
            return None
        local = pd.Timestamp(start)
        if self.timezone:
            local = local.tz_convert(self.timezone)
        return local.date()

    def local_time(self) -> str:
        """``market_time`` as HH:MM on the exchange's clock ("?" when unknown)."""
        if self.market_time is None:
            return "?"
        moment = pd.Timestamp(self.market_time)
        if self.timezone:
            moment = moment.tz_convert(self.timezone)
        return f"{moment:%H:%M}"


def _moment(value: object) -> dt.datetime | None:
    """An aware UTC datetime from epoch seconds or a Timestamp; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, pd.Timestamp) and value.tzinfo is not None:
        return value.tz_convert("UTC").to_pydatetime()
    return None


#: symbol -> the meta of its last chart answer in the download under way (see
#: ``_keep_chart_meta``); cleared and read under ``_DOWNLOAD_LOCK``.
_chart_meta: dict[str, ChartMeta] = {}
_chart_meta_lock = threading.Lock()


def _keep_chart_meta() -> None:
    """Keep each chart answer's meta, which ``yf.download`` drops with its Ticker objects.

    yfinance 1.7 stores the meta of a ``PriceHistory.history`` call on that object
    (``_history_metadata``) and has no public way to reach it from ``download``: the method
    is wrapped once per process to copy it out. Only this module imports yfinance.
    """
    original = yf_history.PriceHistory.history
    if getattr(original, "_keeps_chart_meta", False):
        return

    @functools.wraps(original)
    def history(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            meta = getattr(self, "_history_metadata", None)
            if isinstance(meta, dict) and meta:
                parsed = ChartMeta.parse(meta)
                with _chart_meta_lock:
                    _chart_meta[str(self.ticker).upper()] = parsed

    history._keeps_chart_meta = True  # type: ignore[attr-defined]
    yf_history.PriceHistory.history = history


_keep_chart_meta()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to ask Yahoo again (delays in seconds)."""

    attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 60.0
    rate_limit_factor: float = 4.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("attempts >= 1, base_delay >= 0 and 0 <= jitter <= 1 are required")

    def delay(self, retry: int, *, rate_limited: bool, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): exponential, jittered down.

        A rate limit multiplies the wait by ``rate_limit_factor``: asking again soon only
        extends Yahoo's block.
        """
        base = self.base_delay * (self.rate_limit_factor if rate_limited else 1.0)
        return doubling(base, retry, self.max_delay) * (1 - self.jitter * rng.random())


@dataclass
class _Attempt:
    """The outcome of one download: current bars, stale bars (with their last close), and
    causes for the rest."""

    bars: dict[str, pd.DataFrame] = field(default_factory=dict)
    stale: dict[str, tuple[pd.DataFrame, dt.date]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    rate_limited: set[str] = field(default_factory=set)
    unreachable: set[str] = field(default_factory=set)
    network: str | None = None
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def fail(
        self, symbol: str, cause: str, *, rate_limited: bool = False, unreachable: bool = False
    ) -> None:
        self.failures[symbol] = RATE_LIMITED if rate_limited else cause
        if rate_limited:
            self.rate_limited.add(symbol)
        if rate_limited or unreachable:
            self.unreachable.add(symbol)

    def offline(self) -> None:
        """Give every symbol that failed through the network the same short cause."""
        cause = f"{UNREACHABLE}: {short_cause(self.network or 'network error')}"
        for symbol in self.unreachable - self.rate_limited:
            self.failures[symbol] = cause


class YahooProvider:
    """The PriceProvider for Yahoo Finance (through yfinance), with retries and checks."""

    name = SOURCE

    def __init__(
        self,
        cache_dir: Path | str,
        *,
        retry: RetryPolicy | None = None,
        threads: bool | int = True,
        timeout: float = 10.0,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self.threads = threads
        self.timeout = timeout
        self._sleep = sleep
        self._rng = rng or random.Random()
        _use_cache_dir(Path(cache_dir))
        yf_logger = logging.getLogger(_YF_LOGGER)
        if yf_logger.level == logging.NOTSET:
            yf_logger.setLevel(logging.WARNING)
        # yfinance swallows the exception of a failed chart request and reports the symbol
        # as "possibly delisted" unless told not to hide exceptions; then it records
        # "DNSError(...)" per symbol, so an outage is not mistaken for unknown symbols.
        yf.config.debug.hide_exceptions = False

    async def fetch(
        self,
        symbols: Sequence[str],
        start: dt.date,
        end: dt.date,
        *,
        expected_last: dt.date | None = None,
    ) -> FetchResult:
        """Daily bars for ``symbols`` from ``start`` to ``end`` inclusive; see PriceProvider."""
        pending, invalid = wanted_symbols(symbols, start, end)
        bars: dict[str, pd.DataFrame] = {}
        # symbol -> the stale rows with the newest last close seen in any attempt so far
        stale: dict[str, tuple[pd.DataFrame, dt.date]] = {}
        notes: dict[str, tuple[str, ...]] = {}
        last = _Attempt()
        for attempt in range(1, self.retry.attempts + 1):
            if attempt > 1:
                delay = self.retry.delay(
                    attempt - 1, rate_limited=bool(last.rate_limited), rng=self._rng
                )
                log.info("retrying %d symbol(s) from Yahoo in %.1f s", len(pending), delay)
                await self._sleep(delay)
            last = await asyncio.to_thread(self._attempt, pending, start, end, expected_last)
            bars.update(last.bars)
            for symbol in last.bars:
                stale.pop(symbol, None)
            for symbol in (*last.bars, *last.stale, *last.failures):
                if symbol in last.warnings:
                    notes[symbol] = last.warnings[symbol]
                else:
                    notes.pop(symbol, None)
            for symbol, (frame, day) in last.stale.items():
                if symbol not in stale or day >= stale[symbol][1]:
                    stale[symbol] = (frame, day)
            # A stale symbol is asked for again too: a late source may catch up.
            pending = [s for s in pending if s in last.failures or s in last.stale]
            for symbol, cause in sorted(last.failures.items()):
                log.debug("Yahoo attempt %d: %s: %s", attempt, symbol, cause)
            for symbol, (_, day) in sorted(last.stale.items()):
                log.debug("Yahoo attempt %d: %s: stale: last close %s", attempt, symbol, day)
            if not pending:
                break
            if last.network is not None:
                last.offline()
                log.warning(
                    "Yahoo unreachable (%s); %d symbol(s) not fetched, not retried",
                    short_cause(last.network),
                    len(pending),
                )
                break
            log.warning(
                "Yahoo attempt %d/%d: %d symbol(s) failed or stale: %s",
                attempt,
                self.retry.attempts,
                len(pending),
                ", ".join(sorted(pending)),
            )
        # Still behind after the last attempt: their valid rows are kept, named stale.
        bars.update({symbol: frame for symbol, (frame, _) in stale.items()})
        failures = {**invalid, **{s: c for s, c in last.failures.items() if s not in stale}}
        return FetchResult(
            bars=bars,
            failures=failures,
            source=SOURCE,
            rate_limited=bool(last.rate_limited),
            unreachable=frozenset(last.unreachable - stale.keys()),
            stale={symbol: day for symbol, (_, day) in stale.items()},
            warnings=notes,
        )

    def _attempt(
        self, symbols: list[str], start: dt.date, end: dt.date, expected_last: dt.date | None
    ) -> _Attempt:
        """One batched download (blocking; runs in a worker thread)."""
        if not symbols:
            return _Attempt()
        with _DOWNLOAD_LOCK:
            return self._download(symbols, start, end, expected_last)

    def _download(
        self, symbols: list[str], start: dt.date, end: dt.date, expected_last: dt.date | None
    ) -> _Attempt:
        """The download itself; the caller holds ``_DOWNLOAD_LOCK``."""
        _forget_cached_answers()
        with _chart_meta_lock:
            _chart_meta.clear()
        capture = _YfLogCapture()
        try:
            with capture:
                raw = yf.download(
                    tickers=list(symbols),
                    start=start.isoformat(),
                    end=(end + dt.timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
                    auto_adjust=True,
                    progress=False,
                    group_by="column",
                    multi_level_index=True,
                    threads=self.threads,
                    timeout=self.timeout,
                )
        except YFRateLimitError:
            return _all_failed(symbols, RATE_LIMITED, rate_limited=True)
        except Exception as exc:
            cause = f"{type(exc).__name__}: {short_cause(str(exc))}"
            failed = _all_failed(symbols, cause, unreachable=True)
            if _NETWORK_RE.search(cause):
                failed.network = cause
            return failed
        for message in capture.messages:
            log.debug("yfinance: %s", short_cause(message))
        errors = capture.symbol_errors()
        # A symbol's own network error names the host; yfinance's other lines are vaguer.
        network = next((e for e in errors.values() if _NETWORK_RE.search(e)), capture.network())
        with _chart_meta_lock:
            metas = dict(_chart_meta)
        return _split_download(
            raw, symbols, start, end, expected_last, errors, network, metas, self._clock()
        )


def _split_download(
    raw: pd.DataFrame | None,
    symbols: Sequence[str],
    start: dt.date,
    end: dt.date,
    expected_last: dt.date | None,
    errors: Mapping[str, str] | None = None,
    network: str | None = None,
    metas: Mapping[str, ChartMeta] | None = None,
    now: dt.datetime | None = None,
) -> _Attempt:
    """Split a yfinance batch frame into contract bars per symbol, or a cause per symbol.

    ``raw`` has MultiIndex columns (Price, Ticker) as returned by ``yf.download`` with
    ``group_by="column"``; ``errors`` maps a symbol to what yfinance logged about it;
    ``network`` is a network error yfinance logged during the download, if any; ``metas``
    the chart meta of each symbol's answer, and ``now`` when the answers came.
    """
    errors = errors or {}
    metas = metas or {}
    result = _Attempt(network=network)
    if raw is None or raw.empty or not isinstance(raw.columns, pd.MultiIndex):
        for symbol in symbols:
            _fail_with_detail(result, symbol, NO_DATA, errors.get(symbol))
        return result
    level = _ticker_level(raw.columns)
    present = set(raw.columns.get_level_values(level))
    for symbol in symbols:
        if symbol not in present:
            _fail_with_detail(result, symbol, "missing from Yahoo's answer", errors.get(symbol))
            continue
        meta = metas.get(symbol, ChartMeta())
        if meta.granularity is not None and meta.granularity != DAILY:
            result.fail(symbol, f"Yahoo answered {meta.granularity} bars, not daily: refused")
            continue
        frame = _symbol_frame(pd.DataFrame(raw.xs(symbol, axis=1, level=level)), start, end)
        valid = frame.dropna(subset=["close"])
        spacing = _typical_gap_days(pd.DatetimeIndex(valid.index))
        if spacing > _MAX_DAILY_GAP_DAYS:
            result.fail(symbol, f"Yahoo's bars are {spacing} days apart, not daily: refused")
            continue
        live = meta.open_session(now or _utc_now())
        if live is not None and not valid.empty and valid.index[-1] == pd.Timestamp(live):
            result.warnings[symbol] = (
                f"{live}: session still open at {meta.local_time()} on its exchange; "
                "live quote not stored as a close",
            )
            valid = valid.iloc[:-1]
            frame = frame.loc[frame.index < pd.Timestamp(live)]
        if valid.empty:
            _fail_with_detail(result, symbol, "no closes in Yahoo's answer", errors.get(symbol))
            continue
        last = pd.DatetimeIndex(valid.index)[-1].date()
        # Without an expected session, the last session Yahoo lists (a NaN close) is one.
        wanted = expected_last or pd.DatetimeIndex(frame.index)[-1].date()
        if last < wanted:
            result.stale[symbol] = (valid, last)
        else:
            result.bars[symbol] = valid
    return result


def _typical_gap_days(index: pd.DatetimeIndex) -> int:
    """The median number of calendar days between consecutive bars (0 with under 3 bars)."""
    if len(index) < 3:
        return 0
    gaps = index.to_series().diff().dropna().dt.days
    return int(gaps.median())


def _symbol_frame(sub: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One symbol's columns as a contract frame (NaN closes kept for the checks)."""
    columns = {str(c): str(c).strip().lower().replace(" ", "_") for c in sub.columns}
    frame = sub.rename(columns=columns)
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    # Rebuilt from values so no inferred freq (e.g. "B") leaks into the contract frame.
    frame = frame.set_axis(pd.DatetimeIndex(index.normalize().to_numpy(), name="date"), axis=0)
    frame = frame.reindex(columns=list(BAR_COLUMNS)).astype("float64")
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]


def _fail_with_detail(result: _Attempt, symbol: str, cause: str, detail: str | None) -> None:
    if detail and any(mark in detail for mark in _RATE_LIMIT_MARKS):
        result.fail(symbol, cause, rate_limited=True)
        return
    parts = [cause]
    if detail:
        parts.append(f"yfinance: {short_cause(detail)}")
    network_in_detail = bool(detail and _NETWORK_RE.search(detail))
    if result.network and not network_in_detail:
        parts.append(f"network: {short_cause(result.network)}")
    result.fail(symbol, "; ".join(parts), unreachable=network_in_detail or bool(result.network))


def _all_failed(
    symbols: Sequence[str], cause: str, *, rate_limited: bool = False, unreachable: bool = False
) -> _Attempt:
    result = _Attempt()
    for symbol in symbols:
        result.fail(symbol, cause, rate_limited=rate_limited, unreachable=unreachable)
    return result


def _ticker_level(columns: pd.MultiIndex) -> int | str:
    """The column level that holds symbols: by name, else the one without 'Close' in it."""
    if "Ticker" in columns.names:
        return "Ticker"
    for number in range(columns.nlevels):
        if "Close" not in set(columns.get_level_values(number)):
            return number
    return columns.nlevels - 1


class _YfLogCapture(logging.Filter):
    """Holds back yfinance's own records during one download and keeps their text.

    Only correct while no other download runs: use it under ``_DOWNLOAD_LOCK``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.messages.append(record.getMessage())
        return False

    def __enter__(self) -> _YfLogCapture:
        logging.getLogger(_YF_LOGGER).addFilter(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        logging.getLogger(_YF_LOGGER).removeFilter(self)

    def network(self) -> str | None:
        """The record that best shows a network error (curl's own words first), if any."""
        found = [m for m in self.messages if _NETWORK_RE.search(m)]
        return next((m for m in found if _CURL_RE.search(m)), found[0] if found else None)

    def symbol_errors(self) -> dict[str, str]:
        """symbol -> error from yfinance's "Failed downloads" summary (yfinance's own error
        classes unwrapped: "YFPricesMissingError('x')" reads "x")."""
        errors: dict[str, str] = {}
        for message in self.messages:
            for names, error in _FAILED_LINE_RE.findall(message):
                for symbol in re.findall(r"'([^']+)'", names):
                    errors[symbol] = _YF_ERROR_RE.sub(r"\1", error)
        return errors


def _use_cache_dir(path: Path) -> None:
    """Point yfinance's timezone/cookie cache at a writable folder, once per process.

    yfinance opens its cache database on first use and keeps it: moving the location later
    has no effect, so the first provider's folder stays in use.
    """
    global _cache_location
    path.mkdir(parents=True, exist_ok=True)
    with _cache_lock:
        if _cache_location is None:
            yf.set_tz_cache_location(str(path))
            _cache_location = str(path)
        elif _cache_location != str(path):
            log.debug("yfinance cache stays in %s (set once per process)", _cache_location)


def _forget_cached_answers() -> None:
    """Drop yfinance's in-process cache of Yahoo answers before asking again.

    yfinance 1.7 keeps up to 64 answers (404s included) for past date ranges and for its
    timezone look-ups; without this, a retry or the next day's job would get the same
    failed answer back without asking Yahoo. It has no public way to do this: the
    ``yfinance`` pin stays on the 1.7 series, whose behaviour tests/market/test_yahoo.py pins
    (a retry asks Yahoo again). Called under ``_DOWNLOAD_LOCK``, never while a download runs.
    """
    cached: Any = getattr(yf_data.YfData, "cache_get", None)
    cache_clear = getattr(cached, "cache_clear", None)
    if callable(cache_clear):
        cache_clear()
