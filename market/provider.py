"""The PriceProvider protocol, the frame contract every provider returns, and fetch errors."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from market.symbols import InvalidSymbol, normalize_symbol

#: Columns of a normalised bar frame. Index: tz-naive DatetimeIndex named "date" (session
#: dates at midnight), ascending, unique. close is float and never NaN; open/high/low/volume
#: may be NaN (close-only series).
BAR_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
_MAX_CAUSE = 160
_URL_RE = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class FetchResult:
    """What a provider returns: good bars per symbol, and a reason per failed symbol.

    A symbol is in exactly one of ``bars`` or ``failures``. ``bars`` frames follow the
    contract above and cover ``start`` .. ``end`` (inclusive) as far as the source has data.
    ``unreachable`` names the failed symbols whose failure says nothing about the symbol
    itself (the source was down, refused or broke): ask again later rather than call them
    unknown.
    """

    bars: Mapping[str, pd.DataFrame]
    failures: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    rate_limited: bool = False
    unreachable: frozenset[str] = frozenset()
    stale: Mapping[str, dt.date] = field(default_factory=dict)
    warnings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: symbol -> where its bars came from, when not ``source`` (several sources in turn, or
    #: a FRED series standing in for an index: "fred:DGS10").
    sources: Mapping[str, str] = field(default_factory=dict)
    #: source -> one line about its outage (rate limited or unreachable) in this fetch, for
    #: the operators: one line per outage, never one per symbol (see ``outages_of``).
    outages: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def source_of(self, symbol: str) -> str:
        """The source of ``symbol``'s bars."""
        return self.sources.get(symbol, self.source)


class PriceProvider(Protocol):
    """Where daily prices come from (Yahoo, a csv folder, a test fake)."""

    name: str

    async def fetch(
        self,
        symbols: Sequence[str],
        start: dt.date,
        end: dt.date,
        *,
        expected_last: dt.date | None = None,
    ) -> FetchResult:
        """Daily bars for ``symbols`` from ``start`` to ``end`` inclusive.

        ``expected_last`` is the session the caller expects as the last row (the latest
        completed session); a symbol whose last row is older is reported in ``stale`` (a
        provider that cannot tell good old rows from a broken answer may fail it instead).
        Never raises for per-symbol problems; those go to ``failures``.
        """
        ...


def wanted_symbols(
    symbols: Sequence[str],
    start: dt.date,
    end: dt.date,
    refuse: Callable[[str], str | None] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The check every ``fetch`` starts with: ``start`` after ``end`` is a ValueError; the
    valid symbols to ask for (normalised, de-duplicated, in order), and a failure per text
    that is no symbol and per symbol ``refuse`` gives a reason for (one the source does not
    carry; None: ask for it)."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    wanted: list[str] = []
    failures: dict[str, str] = {}
    for text in symbols:
        try:
            symbol = normalize_symbol(text)
        except InvalidSymbol as exc:
            failures[text] = str(exc)
            continue
        reason = refuse(symbol) if refuse is not None else None
        if reason is not None:
            failures[symbol] = reason
        elif symbol not in wanted:
            wanted.append(symbol)
    return wanted, failures


@dataclass
class Outcome:
    """What one fetch gathers symbol by symbol; ``result`` makes it the FetchResult."""

    failures: dict[str, str] = field(default_factory=dict)
    bars: dict[str, pd.DataFrame] = field(default_factory=dict)
    stale: dict[str, dt.date] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)
    rate_limited: bool = False

    def got(
        self,
        symbol: str,
        frame: pd.DataFrame,
        expected_last: dt.date | None,
        *,
        source: str | None = None,
    ) -> None:
        """``symbol``'s bars (stale when they end before ``expected_last``)."""
        last = frame.index[-1].date()
        if expected_last is not None and last < expected_last:
            self.stale[symbol] = last
        self.bars[symbol] = frame
        if source is not None:
            self.sources[symbol] = source

    def failed(
        self, symbol: str, cause: str, *, rate_limited: bool = False, unreachable: bool = False
    ) -> None:
        """``symbol`` failed for ``cause`` (the source refused the rate, or was down)."""
        self.failures[symbol] = cause
        self.rate_limited |= rate_limited
        if unreachable:
            self.unreachable.add(symbol)

    def result(self, source: str) -> FetchResult:
        return FetchResult(
            bars=self.bars,
            failures=self.failures,
            source=source,
            rate_limited=self.rate_limited,
            unreachable=frozenset(self.unreachable),
            stale=self.stale,
            sources=self.sources,
        )


def empty_bars() -> pd.DataFrame:
    """An empty frame that follows the bar contract."""
    index = pd.DatetimeIndex([], name="date")
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS}, index=index)


def short_cause(text: str) -> str:
    """One line, URLs removed, at most ~160 characters: safe to show a user."""
    line = " ".join(_URL_RE.sub("<url>", text).split())
    return line if len(line) <= _MAX_CAUSE else line[: _MAX_CAUSE - 1] + "…"


def outages_of(result: FetchResult, name: str, *, then: str | None = None) -> dict[str, str]:
    """One line for ``name``'s outage in ``result`` (rate limited, or unreachable for some
    symbols): its cause and how many symbols it cost, and which source was asked next."""
    if result.outages:
        return dict(result.outages)
    down = sorted(s for s in result.unreachable if s in result.failures)
    if not down and not result.rate_limited:
        return {}
    cause = result.failures[down[0]] if down else f"rate limited by {name}"
    count = f"{len(down)} symbol(s)" if down else "some symbols"
    tail = f", asked of {then}" if then else ""
    return {name: f"{name}: {cause} ({count}{tail})"}
