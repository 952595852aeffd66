"""The daily pipeline: refresh -> completeness guard -> snapshot -> rules -> outbox, once.

Plain async functions with explicit inputs (no clock, no telegram). Re-running a session that
was committed does nothing: alert state, outbox rows and the "session done" mark are written in
one transaction, and outbox rows carry a unique idempotency key per (event, chat).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from analytics.constants import YEAR_SESSIONS
from analytics.events import with_charts
from analytics.rules import evaluate_rules
from analytics.snapshot import build_snapshot
from analytics.types import Event, Snapshot, Universe
from jobs.fanout import DEFAULT_RULES, dashboard_messages, fan_out, user_rule
from jobs.refresh import refresh_prices
from market.calendar import NyseCalendar
from market.provider import PriceProvider
from market.universe import universe_hash
from storage.alert_state import load_state, save_state
from storage.chats import list_chats
from storage.dashboards import active_dashboards
from storage.db import Database, transaction
from storage.jobruns import finish_run, last_done_session, mark_session_done, start_run
from storage.outbox import enqueue
from storage.prices import load_closes
from storage.rules import active_rules
from storage.snapshots import save_snapshot
from storage.subscriptions import active_subscriptions

log = logging.getLogger(__name__)

JOB_NAME = "daily"
# Sessions of closes loaded for a snapshot: enough for the one-year windows and the
# flip track record, bounded so that years of history do not slow the job down.
HISTORY_SESSIONS = 5 * YEAR_SESSIONS

Status = Literal["done", "stale", "already_done"]


class StaleData(Exception):
    """Required symbols do not have the expected session; no alerts are computed."""

    def __init__(self, session: dt.date, symbols: Sequence[str]) -> None:
        self.session = session
        self.symbols = tuple(symbols)
        super().__init__(f"no {session} close for {', '.join(self.symbols)}")


@dataclass(frozen=True)
class DailyResult:
    """What one pipeline run did for ``session``."""

    session: dt.date
    status: Status
    stale: tuple[str, ...] = ()
    failures: dict[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    queued: int = 0
    snapshot: Snapshot | None = None

    def error(self) -> StaleData | None:
        """The StaleData behind a 'stale' result (None otherwise)."""
        return StaleData(self.session, self.stale) if self.status == "stale" else None


async def run_daily(
    db: Database,
    provider: PriceProvider,
    calendar: NyseCalendar,
    universe: Universe,
    session: dt.date,
    *,
    now: dt.datetime,
) -> DailyResult:
    """Run the whole pipeline for ``session``: refresh, guard, snapshot, rules, outbox."""
    uhash = universe_hash(universe)
    done = last_done_session(db)
    if done is not None and done >= session:
        return DailyResult(session=session, status="already_done")
    run_id = start_run(db, JOB_NAME, session, now=now)
    symbols = list(universe.all_symbols())
    report = await refresh_prices(db, provider, calendar, symbols, session, fetched_at=now)
    missing = report.behind(symbols)
    if missing:
        result = DailyResult(
            session=session, status="stale", stale=tuple(missing), failures=report.failures
        )
        finish_run(db, run_id, "stale", str(result.error()), now=now)
        log.warning("daily %s: stale data for %s", session, ", ".join(missing))
        return result
    result = process_session(db, calendar, universe, session, now=now, uhash=uhash)
    detail = f"{len(result.events)} events, {result.queued} messages queued"
    finish_run(db, run_id, "ok" if result.status == "done" else "skipped", detail, now=now)
    return result


def load_history(
    db: Database, calendar: NyseCalendar, universe: Universe, session: dt.date
) -> pd.DataFrame:
    """Stored closes of every universe symbol up to ``session`` (bounded history)."""
    start = calendar.shift(session, -HISTORY_SESSIONS)
    return load_closes(db, list(universe.all_symbols()), start=start, end=session)


def process_session(
    db: Database,
    calendar: NyseCalendar,
    universe: Universe,
    session: dt.date,
    *,
    now: dt.datetime,
    uhash: str | None = None,
    closes: pd.DataFrame | None = None,
) -> DailyResult:
    """Snapshot ``session`` from stored closes, evaluate rules, queue messages; commit once.

    Sessions at or before the last committed one are skipped (state only moves forward).
    """
    uhash = uhash or universe_hash(universe)
    done = last_done_session(db)
    if done is not None and done >= session:
        return DailyResult(session=session, status="already_done")
    frame = closes if closes is not None else load_history(db, calendar, universe, session)
    snapshot = build_snapshot(frame, universe, session)
    user_rules = active_rules(db)
    rules = [*DEFAULT_RULES, *(user_rule(r) for r in user_rules)]
    events, state = evaluate_rules(snapshot, rules, load_state(db))
    events = with_charts(events, frame, universe)
    chats = {c.chat_id: c for c in list_chats(db)}
    messages = fan_out(snapshot, events, chats, active_subscriptions(db), user_rules, universe, now)
    boards = [d.chat_id for d in active_dashboards(db)]
    messages += dashboard_messages(snapshot, boards, universe, now)
    with transaction(db) as conn:
        save_snapshot(db, snapshot.session, uhash, snapshot.to_dict(), created_at=now)
        save_state(conn, state, session)
        queued = enqueue(conn, messages, now=now)
        mark_session_done(conn, session, uhash, events=len(events), queued=queued, now=now)
    log.info("daily %s: %d events, %d messages queued", session, len(events), queued)
    return DailyResult(
        session=session, status="done", events=tuple(events), queued=queued, snapshot=snapshot
    )


def evaluate_defaults(
    snapshot: Snapshot, state: dict[str, Any]
) -> tuple[list[Event], dict[str, Any]]:
    """Every preset's default rules on a snapshot, in memory (dry runs)."""
    return evaluate_rules(snapshot, DEFAULT_RULES, state)
