"""Incremental price refresh: from the last stored session (with overlap) to the expected one."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from analytics.constants import YEAR_SESSIONS
from market.calendar import NyseCalendar
from market.exchanges import Exchanges, Sessions
from market.provider import FetchResult, PriceProvider, outages_of
from storage.db import Database
from storage.prices import (
    Disagreement,
    bars_to_rows,
    last_dates,
    record_disagreements,
    replace_symbol_history,
    stored_dates,
    stored_rows,
    upsert_prices,
)

log = logging.getLogger(__name__)

OVERLAP_SESSIONS = 5
HISTORY_SESSIONS = 3 * YEAR_SESSIONS
# Stored and fetched closes of the same session that differ by more than this fraction mean the
# source re-adjusted history (a dividend or split): the symbol's history is fetched again.
READJUST_TOLERANCE = 5e-4
# Two sources' closes of the same session further apart than this are a disagreement: the
# operators hear of it once, and the stored row stays as it was.
DISAGREE_TOLERANCE = 5e-3


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh did: rows added per symbol, latest stored session, failures.

    ``stale`` names every requested symbol whose latest stored session is older than the
    expected one after the refresh (valid older rows are stored all the same), with that
    date. ``gaps`` names sessions of the symbol's exchange missing inside a written series (a
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
    #: Disagreements between sources found by this refresh and not seen before.
    disagreements: tuple[Disagreement, ...] = ()
    #: symbol -> the source of the rows this refresh wrote.
    sources: dict[str, str] = field(default_factory=dict)
    #: symbol -> its own expected session where its exchange's differs from ``expected``.
    expected_for: dict[str, dt.date] = field(default_factory=dict)
    #: Symbols whose exchange has no calendar here: judged by weekdays.
    weekdays: tuple[str, ...] = ()
    #: source -> one line about its outage (rate limited, unreachable): one per outage.
    outages: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def behind(self, symbols: Sequence[str]) -> list[str]:
        """The symbols whose latest stored session is older than the expected one (missing
        ones included): what keeps a run from being complete."""
        return [s for s in symbols if self.latest.get(s, dt.date.min) < self.due(s)]

    def due(self, symbol: str) -> dt.date:
        """The session ``symbol`` should have reached (its exchange's)."""
        return self.expected_for.get(symbol, self.expected)


@dataclass
class _Problems:
    """What the fetches of one refresh reported besides bars, gathered across fetches."""

    failures: dict[str, str] = field(default_factory=dict)
    rate_limited: bool = False
    unreachable: set[str] = field(default_factory=set)
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outages: dict[str, str] = field(default_factory=dict)

    def add(self, result: FetchResult) -> FetchResult:
        """Take in one fetch's problems; return the result for its bars."""
        self.rate_limited |= result.rate_limited
        for source, line in outages_of(result, result.source).items():
            self.outages.setdefault(source, line)
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
    exchanges = Exchanges(calendar)
    # Each symbol's own session: its exchange's last one on or before the run's (NYSE) one.
    due = {s: exchanges.expected(s, expected) for s in symbols}
    stored_all = [s for s in symbols if s in before and before[s] < due[s]]
    fresh_all = [s for s in symbols if s not in before]
    problems = _Problems()
    added: dict[str, int] = {s: 0 for s in symbols}
    readjusted: list[str] = []
    written: dict[str, tuple[dt.date, dt.date]] = {}
    found: list[Disagreement] = []
    sources: dict[str, str] = {}

    for day in sorted({due[s] for s in [*stored_all, *fresh_all]}):
        stored = [s for s in stored_all if due[s] == day]
        fresh = [s for s in fresh_all if due[s] == day]
        if stored:
            start = calendar.shift(min(before[s] for s in stored), -OVERLAP_SESSIONS)
            result = problems.add(await provider.fetch(stored, start, expected, expected_last=day))
            kept = stored_rows(db, list(result.bars), start)
            stale = _readjusted(result, kept)
            good = {
                s: _other_sources_kept(s, b, result.source_of(s), kept.get(s), found)
                for s, b in result.bars.items()
                if s not in stale
            }
            _store(db, good, result, fetched_at, before, added, written)
            sources.update({s: result.source_of(s) for s in good})
            if stale:
                full = problems.add(
                    await provider.fetch(stale, history_start, expected, expected_last=day)
                )
                for symbol, bars in full.bars.items():
                    if bars.empty:
                        continue
                    written[symbol] = (bars.index[0].date(), bars.index[-1].date())
                    rows = bars_to_rows(symbol, bars, full.source_of(symbol), fetched_at)
                    replace_symbol_history(db, symbol, rows)
                    added[symbol] = int((bars.index > pd.Timestamp(before[symbol])).sum())
                    readjusted.append(symbol)
                    sources[symbol] = full.source_of(symbol)
                    log.warning("%s: source re-adjusted history; stored history replaced", symbol)
        if fresh:
            result = problems.add(
                await provider.fetch(fresh, history_start, expected, expected_last=day)
            )
            _store(db, dict(result.bars), result, fetched_at, before, added, written)
            sources.update({s: result.source_of(s) for s in result.bars})

    latest = last_dates(db, symbols)
    late = {s: latest[s] for s in symbols if s in latest and latest[s] < due[s]}
    gaps = {
        s: missing
        for s, span in written.items()
        if (missing := series_gaps(db, exchanges.calendar(s), s, span))
    }
    new = record_disagreements(db, found, fetched_at) if found else []
    for row in new:
        log.warning("%s %s: %s close %s, %s close %s: more than 0.5 %% apart; stored row kept",
                    *row)  # fmt: skip
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
        disagreements=tuple(new),
        sources=sources,
        expected_for={s: d for s, d in due.items() if d != expected},
        weekdays=tuple(s for s in symbols if exchanges.by_weekdays(s)),
        outages=problems.outages,
    )


def series_gaps(
    db: Database, calendar: Sessions, symbol: str, span: tuple[dt.date, dt.date]
) -> tuple[dt.date, ...]:
    """Sessions of the symbol's exchange inside ``span`` (first and last written date) with
    no stored row."""
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


def _readjusted(result: FetchResult, kept: dict[str, pd.DataFrame]) -> list[str]:
    """Symbols whose fetched closes disagree with the same source's stored closes on
    overlapping sessions (another source's rows are judged by ``_other_sources_kept``)."""
    out = []
    for symbol, frame in result.bars.items():
        old = kept.get(symbol)
        if old is None:
            continue
        same = old[old["source"] == result.source_of(symbol)]
        both = same.index.intersection(frame.index)
        if both.empty:
            continue
        rel = (frame.loc[both, "close"] / same.loc[both, "close"].astype("float64") - 1.0).abs()
        if bool((rel > READJUST_TOLERANCE).any()):
            out.append(symbol)
    return out


def _other_sources_kept(
    symbol: str,
    frame: pd.DataFrame,
    source: str,
    old: pd.DataFrame | None,
    found: list[Disagreement],
) -> pd.DataFrame:
    """``frame`` without the sessions another source already stored (never silently
    replaced); closes more than DISAGREE_TOLERANCE apart are added to ``found``."""
    if old is None:
        return frame
    other = old[old["source"] != source]
    both = other.index.intersection(frame.index)
    if both.empty:
        return frame
    for day in both:
        stored, fetched = float(other["close"][day]), float(frame["close"][day])
        if abs(fetched / stored - 1.0) > DISAGREE_TOLERANCE:
            found.append(
                (symbol, f"{day:%Y-%m-%d}", str(other["source"][day]), stored, source, fetched)
            )
    return frame.drop(index=both)
