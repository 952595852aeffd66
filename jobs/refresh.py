"""Incremental price refresh: from the last stored session (with overlap) to the expected one."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from analytics.constants import YEAR_SESSIONS
from market.calendar import NyseCalendar
from market.provider import FetchResult, PriceProvider
from storage.db import Database
from storage.prices import (
    bars_to_rows,
    last_dates,
    load_closes,
    replace_symbol_history,
    stored_dates,
    upsert_prices,
)

log = logging.getLogger(__name__)

OVERLAP_SESSIONS = 5
HISTORY_SESSIONS = 3 * YEAR_SESSIONS
# Stored and fetched closes of the same session that differ by more than this fraction mean the
# source re-adjusted history (a dividend or split): the symbol's history is fetched again.
READJUST_TOLERANCE = 5e-4


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh did: rows added per symbol, latest stored session, failures.

    ``stale`` names every requested symbol whose latest stored session is older than the
    expected one after the refresh (valid older rows are stored all the same), with that
    date. ``gaps`` names sessions of the NYSE calendar missing inside a written series (a
    halt, a dropped row); ``warnings`` the malformed source lines that were skipped.
    """

    expected: dt.date
    added: dict[str, int] = field(default_factory=dict)
    latest: dict[str, dt.date] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    readjusted: tuple[str, ...] = ()
    rate_limited: bool = False
    unreachable: frozenset[str] = frozenset()
    stale: dict[str, dt.date] = field(default_factory=dict)
    gaps: dict[str, tuple[dt.date, ...]] = field(default_factory=dict)
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def behind(self, symbols: Sequence[str]) -> list[str]:
        """The symbols whose latest stored session is older than the expected one (missing
        ones included): what keeps a run from being complete."""
        return [s for s in symbols if self.latest.get(s, dt.date.min) < self.expected]


@dataclass
class _Problems:
    """What the fetches of one refresh reported besides bars, gathered across fetches."""

    failures: dict[str, str] = field(default_factory=dict)
    rate_limited: bool = False
    unreachable: set[str] = field(default_factory=set)
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def add(self, result: FetchResult) -> FetchResult:
        """Take in one fetch's problems; return the result for its bars."""
        self.rate_limited |= result.rate_limited
        self.unreachable |= result.unreachable
        self.failures.update(result.failures)
        self.warnings.update(result.warnings)
        return result


async def refresh_prices(
    db: Database,
    provider: PriceProvider,
    calendar: NyseCalendar,
    symbols: Sequence[str],
    expected: dt.date,
    *,
    fetched_at: dt.datetime,
) -> RefreshReport:
    """Bring ``symbols`` up to the ``expected`` session; store the good ones, name the bad ones.

    Stored rows of a failed symbol are left untouched. One batched fetch covers every symbol
    already stored (from its last session minus an overlap); a second one covers symbols with
    no history yet. Overlap closes that no longer match trigger a full re-fetch of that symbol.
    """
    before = last_dates(db, symbols)
    history_start = calendar.shift(expected, -HISTORY_SESSIONS)
    stored = [s for s in symbols if s in before and before[s] < expected]
    fresh = [s for s in symbols if s not in before]
    problems = _Problems()
    added: dict[str, int] = {s: 0 for s in symbols}
    readjusted: list[str] = []
    written: dict[str, tuple[dt.date, dt.date]] = {}

    if stored:
        start = calendar.shift(min(before[s] for s in stored), -OVERLAP_SESSIONS)
        result = problems.add(await provider.fetch(stored, start, expected, expected_last=expected))
        stale = _readjusted(db, result)
        good = {s: b for s, b in result.bars.items() if s not in stale}
        _store(db, good, result, fetched_at, before, added, written)
        if stale:
            full = problems.add(
                await provider.fetch(stale, history_start, expected, expected_last=expected)
            )
            for symbol, bars in full.bars.items():
                if bars.empty:
                    continue
                written[symbol] = (bars.index[0].date(), bars.index[-1].date())
                rows = bars_to_rows(symbol, bars, full.source_of(symbol), fetched_at)
                replace_symbol_history(db, symbol, rows)
                added[symbol] = int((bars.index > pd.Timestamp(before[symbol])).sum())
                readjusted.append(symbol)
                log.warning("%s: source re-adjusted history; stored history replaced", symbol)
    if fresh:
        result = problems.add(
            await provider.fetch(fresh, history_start, expected, expected_last=expected)
        )
        _store(db, dict(result.bars), result, fetched_at, before, added, written)

    latest = last_dates(db, symbols)
    late = {s: latest[s] for s in symbols if s in latest and latest[s] < expected}
    gaps = {
        s: found for s, span in written.items() if (found := series_gaps(db, calendar, s, span))
    }
    for symbol, missing in gaps.items():
        log.warning("%s: %d session(s) missing inside the series, first %s", symbol,
                    len(missing), missing[0])  # fmt: skip
    return RefreshReport(
        expected=expected,
        added=added,
        latest=latest,
        failures=problems.failures,
        readjusted=tuple(sorted(readjusted)),
        rate_limited=problems.rate_limited,
        unreachable=frozenset(problems.unreachable & set(problems.failures)),
        stale=late,
        gaps=gaps,
        warnings={s: w for s, w in problems.warnings.items() if w},
    )


def series_gaps(
    db: Database, calendar: NyseCalendar, symbol: str, span: tuple[dt.date, dt.date]
) -> tuple[dt.date, ...]:
    """NYSE sessions inside ``span`` (first and last written date) with no stored row."""
    first, last = span
    have = set(stored_dates(db, symbol, first, last))
    return tuple(day for day in calendar.sessions(first, last) if day not in have)


def _store(
    db: Database,
    bars: dict[str, pd.DataFrame],
    result: FetchResult,
    fetched_at: dt.datetime,
    before: dict[str, dt.date],
    added: dict[str, int],
    written: dict[str, tuple[dt.date, dt.date]],
) -> None:
    rows = []
    for symbol, frame in bars.items():
        if not frame.empty:
            written[symbol] = (frame.index[0].date(), frame.index[-1].date())
        rows.extend(bars_to_rows(symbol, frame, result.source_of(symbol), fetched_at))
        last = before.get(symbol)
        added[symbol] = int((frame.index > pd.Timestamp(last)).sum()) if last else len(frame)
    upsert_prices(db, rows)


def _readjusted(db: Database, result: FetchResult) -> list[str]:
    """Symbols whose fetched closes disagree with stored closes on overlapping sessions."""
    if not result.bars:
        return []
    symbols = list(result.bars)
    first = min(frame.index[0] for frame in result.bars.values()).date()
    stored = load_closes(db, symbols, start=first)
    out = []
    for symbol, frame in result.bars.items():
        old = stored[symbol].dropna()
        both = old.index.intersection(frame.index)
        if both.empty:
            continue
        rel = (frame.loc[both, "close"] / old.loc[both] - 1.0).abs()
        if bool((rel > READJUST_TOLERANCE).any()):
            out.append(symbol)
    return out
