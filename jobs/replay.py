"""Replays: run the rules over a date range, in order.

``replay_dry`` evaluates rules (by default every preset's default rules; the command line
adds the stored /alert rules) in memory (nothing stored besides the prices) over all
sessions at once (``analytics.backtest``); ``replay_per_session`` does the same one snapshot
at a time, as the daily pipeline does (the reference the backtest is tested against, and
the fallback for a rule the backtest cannot evaluate); ``replay_live`` runs the real
per-session pipeline step, queueing messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.backtest import Unsupported, backtest
from analytics.events import Event, board_events, board_events_over
from analytics.rules import evaluate_rules, rules_view
from analytics.snapshot import build_snapshot
from analytics.types import Rule, Snapshot, Universe
from jobs.custom import is_universe_pair
from jobs.daily import HISTORY_SESSIONS, process_session
from jobs.fanout import DEFAULT_RULES, pipeline_rules
from jobs.refresh import refresh_prices
from market.calendar import NyseCalendar
from market.provider import PriceProvider
from storage.db import Database
from storage.outbox import Kind
from storage.prices import load_closes, stored_span
from storage.rules import active_rules


@dataclass(frozen=True)
class ReplayStep:
    """One session of a replay: the events it raised (and its snapshot, when built)."""

    session: dt.date
    snapshot: Snapshot | None
    events: tuple[Event, ...]


@dataclass
class ReplaySummary:
    """Counts over a replay: sessions, alerts by kind, confirmed flips and raw crosses."""

    sessions: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    flips: dict[str, int] = field(default_factory=dict)
    raw_crosses: dict[str, int] = field(default_factory=dict)

    @property
    def alerts(self) -> int:
        return sum(self.by_kind.values())

    def add(self, step: ReplayStep) -> None:
        self.sessions += 1
        for event in step.events:
            self.by_kind[event.kind] = self.by_kind.get(event.kind, 0) + 1
            if Kind(event.kind) is Kind.FLIP:
                for pair in event.pairs or ((event.pair,) if event.pair else ()):
                    self.flips[pair] = self.flips.get(pair, 0) + 1


def alert_pair(event: Event, lead_pair: str) -> str:
    """The pair an alert line names (breadth alerts name the lead pair)."""
    return event.pair or lead_pair


class EmptyRange(Exception):
    """No stored session of the universe falls inside the requested range."""


async def load_range(
    db: Database,
    provider: PriceProvider,
    calendar: NyseCalendar,
    universe: Universe,
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime,
) -> tuple[list[dt.date], pd.DataFrame]:
    """Refresh prices up to ``end`` and return the sessions in range and the close frame.

    The range is clamped to the stored data: sessions before the first stored close or after
    the last one are left out (late symbols do not stop a replay; each session's snapshot
    says what is stale). Raise EmptyRange, naming what the data covers, when nothing is left.
    """
    symbols = list(universe.all_symbols())
    try:
        last = calendar.latest_session_on_or_before(min(end, now.date()))
        first: dt.date | None = calendar.shift(start, -HISTORY_SESSIONS)
    except ValueError:  # outside the calendar (before 2000): no data there either
        last, first = min(end, now.date()), None
    if calendar.is_session(last):
        await refresh_prices(db, provider, calendar, symbols, last, fetched_at=now)
    closes = load_closes(db, symbols, start=first, end=last)
    covered = stored_span(db, symbols)
    if covered is None:
        raise EmptyRange("no prices stored yet; run: rotation-bot prices update")
    lo, hi = max(start, covered[0]), min(last, covered[1])
    if lo > hi:
        raise EmptyRange(
            f"no stored prices between {start} and {end}; "
            f"the data covers {covered[0]} .. {covered[1]}"
        )
    have = set(pd.DatetimeIndex(closes.index).date)
    return [d for d in calendar.sessions(lo, hi) if d in have], closes


def replay_dry(
    sessions: list[dt.date],
    closes: pd.DataFrame,
    universe: Universe,
    rules: Sequence[Rule] = DEFAULT_RULES,
) -> list[ReplayStep]:
    """``rules`` (default rules of every preset) as if one chat followed everything; nothing
    stored.

    All sessions at once (a vectorised backtest): the same events as
    ``replay_per_session``, without a snapshot per session (``snapshot`` is None). A rule the
    backtest cannot evaluate (``Unsupported``) makes it replay one snapshot at a time."""
    try:
        steps = backtest(closes, universe, sessions, rules)
    except Unsupported:
        return list(replay_per_session(sessions, closes, universe, rules))
    boards = board_events_over(closes, universe, sessions)
    return [
        ReplayStep(step.session, None, (*step.events, *boards.get(step.session, ())))
        for step in steps
    ]


def replay_per_session(
    sessions: list[dt.date],
    closes: pd.DataFrame,
    universe: Universe,
    rules: Sequence[Rule] = DEFAULT_RULES,
) -> Iterator[ReplayStep]:
    """``replay_dry`` one snapshot at a time, as the daily pipeline evaluates a session: pairs
    without a close on the session get no alerts and keep their rule state."""
    state: dict[str, Any] = {}
    for session in sessions:
        snapshot = build_snapshot(closes, universe, session)
        view, active = rules_view(snapshot, rules)
        events, state = evaluate_rules(view, active, state)
        yield ReplayStep(session, snapshot, (*events, *board_events(snapshot)))


def replay_live(
    db: Database,
    calendar: NyseCalendar,
    universe: Universe,
    sessions: list[dt.date],
    closes: pd.DataFrame,
    *,
    now: dt.datetime,
) -> Iterator[ReplayStep]:
    """The pipeline's per-session step for each session (state, outbox, session done)."""
    for session in sessions:
        result = process_session(db, calendar, universe, session, now=now, closes=closes)
        if result.snapshot is not None:
            yield ReplayStep(session, result.snapshot, result.events)


def crosses_between(first: Snapshot, last: Snapshot) -> dict[str, int]:
    """Raw SMA crosses per pair between two snapshots (no band, no confirmation)."""
    return {
        key: stats.raw_crosses - first.pairs[key].raw_crosses
        for key, stats in last.pairs.items()
        if key in first.pairs
    }


def raw_crosses_over(
    sessions: list[dt.date], closes: pd.DataFrame, universe: Universe
) -> dict[str, int]:
    """Raw SMA crosses per pair from the first to the last session of a replay."""
    if not sessions:
        return {}
    first = build_snapshot(closes, universe, sessions[0])
    last = build_snapshot(closes, universe, sessions[-1])
    return crosses_between(first, last)


@dataclass(frozen=True)
class ReplayRun:
    """A whole replay: the sessions asked for and replayed, every step, and its summary."""

    asked: list[dt.date]
    sessions: list[dt.date]
    steps: list[ReplayStep]
    summary: ReplaySummary

    @property
    def narrowed(self) -> bool:
        """True when the stored data covers less than the sessions asked for."""
        asked, got = self.asked, self.sessions
        return bool(got and asked and (got[0] > asked[0] or got[-1] < asked[-1]))


async def run_replay(
    db: Database,
    provider: PriceProvider,
    calendar: NyseCalendar,
    universe: Universe,
    first: dt.date,
    last: dt.date,
    *,
    dry_run: bool,
    now: dt.datetime,
) -> ReplayRun:
    """Replay ``first`` .. ``last``: dry (every preset's default rules and the stored /alert
    rules over every session at once, nothing queued) or live (the pipeline's per-session step:
    state and outbox written). EmptyRange when nothing is stored in the range."""
    sessions, closes = await load_range(db, provider, calendar, universe, first, last, now=now)
    if dry_run:
        # the stored /alert rules on the universe's pairs (a chat's own baskets are not replayed)
        stored = [r for r in active_rules(db) if is_universe_pair(universe, r.pair)]
        steps = replay_dry(sessions, closes, universe, pipeline_rules(stored, universe))
    else:
        steps = list(replay_live(db, calendar, universe, sessions, closes, now=now))
    summary = ReplaySummary()
    for step in steps:
        summary.add(step)
    snaps = [s.snapshot for s in steps if s.snapshot is not None]
    if snaps:
        summary.raw_crosses = crosses_between(snaps[0], snaps[-1])
    elif steps:
        summary.raw_crosses = raw_crosses_over([s.session for s in steps], closes, universe)
    return ReplayRun(calendar.sessions(first, last), sessions, steps, summary)


CSV_COLUMNS = ("session", "kind", "rule_id", "pair", "urgent", "key", "payload")


def write_events_csv(path: Path, steps: Iterable[ReplayStep]) -> int:
    """Write every event of ``steps`` as one CSV row (payload as JSON); return the count."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for step in steps:
            for event in step.events:
                payload = json.dumps(event.payload, sort_keys=True, ensure_ascii=False)
                writer.writerow(
                    [event.session.isoformat(), event.kind, event.rule_id, event.pair or "",
                     int(event.urgent), event.key, payload]
                )  # fmt: skip
                count += 1
    return count
