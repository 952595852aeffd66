"""The daily pipeline: refresh -> snapshot -> rules per computable pair -> outbox, once.

Plain async functions with explicit inputs (no clock, no telegram). Freshness is per pair:
a pair whose legs both closed on the session gets its alerts; a pair with a late or stopped
leg gets none that day (never an alert on stale data), keeps its rule state, and is named in
the result (``waiting``) and in the digest as "no close since DATE". One late symbol never
holds back the other pairs. Re-running a session that was committed does nothing, except
for the pairs it still waits for: alert state, outbox rows and the "session done" mark are
written in one transaction, and outbox rows carry a unique idempotency key per (event, chat).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd

from analytics.charts import with_charts
from analytics.constants import YEAR_SESSIONS
from analytics.custom import CUSTOM_SESSIONS
from analytics.events import Event, board_events, map_events
from analytics.rules import evaluate_rules, rules_view
from analytics.snapshot import build_snapshot
from analytics.types import QuadrantParams, Snapshot, Universe
from jobs.custom import (
    ChatPairs,
    chat_pair_stats,
    custom_symbols,
    is_universe_pair,
    watch_events,
    with_chat_charts,
)
from jobs.fanout import Audience, dashboard_messages, pipeline_rules
from jobs.refresh import refresh_prices
from jobs.stale import StaleNews, stale_news
from market.calendar import NyseCalendar
from market.provider import PriceProvider
from market.universe import universe_hash
from storage.alert_state import load_state, save_state
from storage.chats import Chat, chats_by_id
from storage.custom import ChatBasket, all_baskets, all_watchlists
from storage.dashboards import active_dashboards
from storage.db import Database, transaction
from storage.jobruns import (
    finish_run,
    last_done_session,
    mark_session_done,
    start_run,
    waiting_pairs,
)
from storage.outbox import DEFAULT_RETENTION, NewMessage, PayloadIds, Pruned, enqueue, prune_steps
from storage.prices import load_closes
from storage.rules import UserRule, active_rules
from storage.snapshots import save_snapshot
from storage.stale_symbols import load_marks, save_marks
from storage.subscriptions import Subscription, audience_page, pair_targets

log = logging.getLogger(__name__)

JOB_NAME = "daily"
# Sessions of closes loaded for a snapshot: enough for the one-year windows and the
# flip track record, bounded so that years of history do not slow the job down.
HISTORY_SESSIONS = 5 * YEAR_SESSIONS

#: done: every pair computed; partial: done, but some pairs (``waiting``) or symbols
#: (``stale``) had no close on the session; stale: no pair computable, nothing committed.
Status = Literal["done", "partial", "stale", "already_done"]


class StaleData(Exception):
    """No pair has the expected session; no alerts are computed."""

    def __init__(self, session: dt.date, symbols: Sequence[str]) -> None:
        self.session = session
        self.symbols = tuple(symbols)
        super().__init__(f"no {session} close for {', '.join(self.symbols)}")


@dataclass(frozen=True)
class DailyResult:
    """What one pipeline run did for ``session``.

    ``stale`` names universe symbols without a close on the session (``stale_since`` their
    last close, None when there is none); ``waiting`` maps pairs that got no alerts because a
    leg had no close on the session to their last common close (None: never). ``news`` is
    what the operators are due to hear about stale symbols (see jobs.stale).
    """

    session: dt.date
    status: Status
    stale: tuple[str, ...] = ()
    failures: dict[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    queued: int = 0
    snapshot: Snapshot | None = None
    stale_since: dict[str, dt.date | None] = field(default_factory=dict)
    waiting: dict[str, dt.date | None] = field(default_factory=dict)
    news: StaleNews | None = None
    #: source -> one line about its outage in this run's refresh (rate limited, unreachable).
    outages: dict[str, str] = field(default_factory=dict)

    @property
    def report_due(self) -> bool:
        """True when the operators get a report about this run: pairs waited for a late
        leg (the session's late-data report), or a symbol went stale, is still stale after a
        week, or is back."""
        return bool(self.waiting) or (self.news is not None and not self.news.empty)

    def error(self) -> StaleData | None:
        """The StaleData behind a 'stale' result (None otherwise)."""
        return StaleData(self.session, self.stale) if self.status == "stale" else None

    @property
    def complete(self) -> bool:
        """True when nothing is left to retry for this session."""
        return self.status in ("done", "already_done")


def session_finished(db: Database, session: dt.date) -> bool:
    """True when ``session`` (or a later one) is committed and waits for no pair."""
    done = last_done_session(db)
    if done is None or done < session:
        return False
    return done > session or not waiting_pairs(db, session)


async def run_daily(
    db: Database,
    provider: PriceProvider,
    calendar: NyseCalendar,
    universe: Universe,
    session: dt.date,
    *,
    now: dt.datetime,
    retention: dt.timedelta | None = DEFAULT_RETENTION,
) -> DailyResult:
    """Run the whole pipeline for ``session``: refresh, snapshot, rules per pair, outbox;
    then prune delivered rows older than ``retention`` (None: keep everything).

    Run again for a 'partial' session (a retry), it computes the pairs that were waiting
    once their legs are in; pairs already done send nothing twice. Between pages of the
    fan-out and batches of the prune the event loop runs (replies in the same process wait
    for one page at most).
    """
    uhash = universe_hash(universe)
    if session_finished(db, session):
        return DailyResult(session=session, status="already_done")
    run_id = start_run(db, JOB_NAME, session, now=now)
    symbols = list(universe.all_symbols())
    # chats' own symbols (basket members, watched symbols) are kept current too; only the
    # universe's count as late or stale for the session
    known = set(symbols)
    extra = [s for s in chats_symbols(db) if s not in known]
    report = await refresh_prices(db, provider, calendar, symbols + extra, session, fetched_at=now)
    frame = load_history(db, calendar, universe, session)
    late = tuple(report.behind(symbols))
    skip = set(extra)
    failures = {s: why for s, why in report.failures.items() if s not in skip}
    since = {s: report.latest.get(s) for s in late}
    news = stale_news(load_marks(db), since, symbols, session)
    save_marks(db, news.marks)
    snapshot = build_snapshot(frame, universe, session) if not frame.empty else None
    if (
        snapshot is None
        or snapshot.session < session
        or len(snapshot.stale_pairs) == len(universe.pairs)
    ):
        result = DailyResult(
            session=session,
            status="stale",
            stale=late,
            failures=failures,
            stale_since=since,
            waiting={p.key: _last_common(snapshot, p.key) for p in universe.pairs},
            news=news,
            outages=report.outages,
        )
        finish_run(db, run_id, "stale", str(result.error()), now=now)
        log.warning("daily %s: no pair computable; stale: %s", session, ", ".join(late))
        return result
    result = await finish_async(session_steps(
        db, calendar, universe, session, now=now, uhash=uhash, closes=frame, snapshot=snapshot
    ))  # fmt: skip
    result = replace(result, stale=late, stale_since=since, failures=failures, news=news)
    if result.status == "done" and late:
        result = replace(result, status="partial")
    detail = f"{len(result.events)} events, {result.queued} messages queued"
    if result.waiting:
        detail += "; no alerts yet for " + ", ".join(result.waiting)
    if late:
        detail += "; stale: " + ", ".join(late)
    finish_run(db, run_id, _run_status(result), detail, now=now)
    if retention is not None:
        pruned = Pruned(0, 0)
        for step in prune_steps(db, before=now - retention):
            pruned = step
            await asyncio.sleep(0)
        if pruned.rows:
            log.info("outbox: pruned %d delivered rows and %d payloads older than %d days",
                     pruned.rows, pruned.payloads, retention.days)  # fmt: skip
    return result


def _run_status(result: DailyResult) -> str:
    return {"done": "ok", "partial": "partial"}.get(result.status, "skipped")


def _last_common(snapshot: Snapshot | None, key: str) -> dt.date | None:
    if snapshot is None:
        return None
    stats = snapshot.pairs.get(key)
    return None if stats is None else stats.last_date


def chats_watch_events(
    db: Database,
    calendar: NyseCalendar,
    universe: Universe,
    session: dt.date,
) -> list[Event]:
    """Every chat's baskets and watchlists in one pass (``jobs.custom``): the watchlist
    alerts of the session."""
    watch = all_watchlists(db)
    if not watch:
        return []
    baskets = all_baskets(db)
    chats = chats_by_id(db, sorted(watch))
    benchmarks = {c: chats[c].watch_benchmark for c in watch if c in chats}
    symbols = custom_symbols(baskets, watch, benchmarks)
    start = calendar.shift(session, -(CUSTOM_SESSIONS + 5))
    closes = load_closes(db, symbols, start=start, end=session)
    if closes.empty:
        return []
    return watch_events(closes, baskets, watch, benchmarks, session, universe.quadrant)


def chats_symbols(db: Database) -> list[str]:
    """Every symbol chats keep of their own: basket members and watched symbols (and the
    watchlists' benchmarks)."""
    watch = all_watchlists(db)
    baskets = all_baskets(db)
    if not watch and not baskets:
        return []
    chats = chats_by_id(db, sorted(watch)) if watch else {}
    benchmarks = {c: chats[c].watch_benchmark for c in watch if c in chats}
    return custom_symbols(baskets, watch, benchmarks)


@dataclass(frozen=True)
class OwnPairReads:
    """What the session's pairs naming a chat's own basket are computed from: the (chat, pair)
    wanted, those chats' baskets, and the closes of their legs (read by ``own_pair_reads``)."""

    closes: pd.DataFrame
    wanted: tuple[tuple[int, str], ...]
    baskets: tuple[ChatBasket, ...]
    session: dt.date
    quadrant: QuadrantParams

    def compute(self) -> ChatPairs:
        """The pairs, all computed in one pass (``jobs.custom.chat_pair_stats``; no I/O: may
        run off the event loop)."""
        if not self.wanted:
            return ChatPairs()
        return chat_pair_stats(self.closes, self.wanted, self.baskets, self.session, self.quadrant)


def own_pair_reads(
    db: Database,
    calendar: NyseCalendar,
    universe: Universe,
    session: dt.date,
    frame: pd.DataFrame | None,
    rules: Sequence[UserRule],
    *,
    chat_id: int | None = None,
) -> OwnPairReads:
    """The reads behind ``chats_pairs``: the pairs naming a chat's own basket (followed with
    /subscribe, or read by an /alert rule of ``rules``), the baskets, and the closes: ``frame``
    (the universe's history, ``load_history``; None: loaded here when a pair is wanted) plus
    the legs it lacks. ``chat_id``: that chat's pairs only (what /preview shows), read and
    computed as the daily pass reads and computes every chat's."""
    targets = pair_targets(db, chat_id)
    wanted = [(c, t) for c, t in targets if not is_universe_pair(universe, t)]
    wanted += [
        (r.chat_id, r.pair)
        for r in rules
        if (chat_id is None or r.chat_id == chat_id) and not is_universe_pair(universe, r.pair)
    ]
    if not wanted:
        return OwnPairReads(pd.DataFrame(), (), (), session, universe.quadrant)
    if frame is None:
        frame = load_history(db, calendar, universe, session)
    baskets = all_baskets(db, chat_id)
    names = {leg for _, t in wanted for leg in t.split("/")}
    members = [m for b in baskets if b.name in names for m in b.members]
    missing = [s for s in dict.fromkeys([*members, *names]) if s not in frame.columns]
    closes = frame
    if missing:
        start = calendar.shift(session, -HISTORY_SESSIONS)
        more = load_closes(db, missing, start=start, end=session)
        closes = frame.join(more, how="outer") if len(more.columns) else frame
    return OwnPairReads(closes, tuple(wanted), tuple(baskets), session, universe.quadrant)


def chats_pairs(
    db: Database,
    calendar: NyseCalendar,
    universe: Universe,
    session: dt.date,
    frame: pd.DataFrame,
    rules: Sequence[UserRule],
) -> ChatPairs:
    """The session's pairs that name a chat's own basket (followed with /subscribe, or read
    by an /alert rule), every chat's computed in one pass (``own_pair_reads``)."""
    return own_pair_reads(db, calendar, universe, session, frame, rules).compute()


def week_closes(calendar: NyseCalendar, session: dt.date) -> bool:
    """True when ``session`` is the last NYSE session of its Monday-Sunday week."""
    try:
        following = calendar.shift(session, 1)
    except (ValueError, IndexError):
        return False
    return following.isocalendar()[:2] != session.isocalendar()[:2]


def load_history(
    db: Database, calendar: NyseCalendar, universe: Universe, session: dt.date
) -> pd.DataFrame:
    """Stored closes of every universe symbol up to ``session`` (bounded history)."""
    start = calendar.shift(session, -HISTORY_SESSIONS)
    return load_closes(db, list(universe.all_symbols()), start=start, end=session)


#: Chats read per page, and outbox rows written per transaction, by the fan-out. A page
#: holds the write lock for tens of milliseconds, so commands and the sender wait at most
#: that long while a million chats are queued (bench: reply_p95_ms_during_enqueue).
FANOUT_PAGE = 2000


def queue_pages(
    db: Database,
    audience: Audience,
    *,
    now: dt.datetime,
    payloads: PayloadIds | None = None,
    page: int | None = None,
) -> Iterator[int]:
    """Queue the session's messages for every chat, a page of chats per transaction: first
    the urgent ones (flips), then the digests; yields the rows each page added (so an async
    caller can let other work run between pages).

    Rows are committed page by page, before the session is marked done: a run killed
    meanwhile runs again from the same state and closes, and the (event, chat) keys make
    the rows it had queued count once."""
    ids = payloads if payloads is not None else PayloadIds()
    if any(e.urgent for e in audience.events):
        yield from pass_pages(db, audience.urgent, now=now, payloads=ids, page=page)
    yield from pass_pages(db, audience.digests, now=now, payloads=ids, page=page)


def pass_pages(
    db: Database,
    step: Callable[[Chat, Sequence[Subscription]], list[NewMessage]],
    *,
    now: dt.datetime,
    payloads: PayloadIds,
    page: int | None = None,
) -> Iterator[int]:
    """One walk over the audience (``step`` gives a chat's rows); yields rows new per page."""
    after: int | None = None
    while chats := audience_page(db, after=after, limit=page or FANOUT_PAGE):
        after = chats[-1][0].chat_id
        rows = [row for chat, subs in chats for row in step(chat, subs)]
        if not rows:
            yield 0
            continue
        with transaction(db) as conn:
            added = enqueue(conn, rows, now=now, payloads=payloads)
        yield added


def queue_audience(
    db: Database,
    audience: Audience,
    *,
    now: dt.datetime,
    payloads: PayloadIds | None = None,
    page: int | None = None,
) -> int:
    """``queue_pages`` at once; the rows new."""
    return sum(queue_pages(db, audience, now=now, payloads=payloads, page=page))


def queue_pass(
    db: Database,
    step: Callable[[Chat, Sequence[Subscription]], list[NewMessage]],
    *,
    now: dt.datetime,
    payloads: PayloadIds,
    page: int | None = None,
) -> int:
    """``pass_pages`` at once; the rows new."""
    return sum(pass_pages(db, step, now=now, payloads=payloads, page=page))


def process_session(
    db: Database,
    calendar: NyseCalendar,
    universe: Universe,
    session: dt.date,
    *,
    now: dt.datetime,
    uhash: str | None = None,
    closes: pd.DataFrame | None = None,
    snapshot: Snapshot | None = None,
) -> DailyResult:
    """Snapshot ``session`` from stored closes, evaluate rules on the computable pairs, queue
    messages (a page of chats per transaction); commit state and the "done" mark once.

    Sessions before the last committed one are skipped (state only moves forward); the last
    committed one runs again only while it waits for pairs.
    """
    return finish(session_steps(db, calendar, universe, session, now=now, uhash=uhash,
                                closes=closes, snapshot=snapshot))  # fmt: skip


def _advance(steps: Generator[None, None, DailyResult]) -> DailyResult | None:
    """One step of ``steps``; their result once they are done (None: more to come)."""
    try:
        next(steps)
    except StopIteration as stop:
        result: DailyResult = stop.value
        return result
    return None


def finish(steps: Generator[None, None, DailyResult]) -> DailyResult:
    """Run a generator of steps to its end; its result."""
    while (result := _advance(steps)) is None:
        pass
    return result


async def finish_async(steps: Generator[None, None, DailyResult]) -> DailyResult:
    """``finish``, letting the event loop run between steps (a reply waits one page at most)."""
    while True:
        result = _advance(steps)
        if result is not None:
            return result
        await asyncio.sleep(0)


def session_steps(
    db: Database,
    calendar: NyseCalendar,
    universe: Universe,
    session: dt.date,
    *,
    now: dt.datetime,
    uhash: str | None = None,
    closes: pd.DataFrame | None = None,
    snapshot: Snapshot | None = None,
) -> Generator[None, None, DailyResult]:
    """``process_session`` one page of chats at a time (it yields after each)."""
    uhash = uhash or universe_hash(universe)
    if session_finished(db, session):
        return DailyResult(session=session, status="already_done")
    frame = closes if closes is not None else load_history(db, calendar, universe, session)
    if snapshot is None:
        snapshot = build_snapshot(frame, universe, session)
    user_rules = active_rules(db)
    rules = pipeline_rules(user_rules, universe)
    # the chats' own pairs join the universe's for the rules and the fan-out only: the
    # stored snapshot, the scoreboard and the waiting for late legs are the universe's
    own = chats_pairs(db, calendar, universe, session, frame, user_rules)
    full = own.joined(snapshot)
    view, active = rules_view(full, rules)
    events, state = evaluate_rules(view, active, load_state(db))
    if waiting_pairs(db, session) is not None:  # a retry of a partial session: a theme's
        # late pairs get their own keys (the theme's event of the first pass is queued)
        events = [replace(e, key=f"{e.key}:{'+'.join(e.pairs)}") if e.pairs else e for e in events]
    events = with_charts(with_chat_charts(events, own), frame, universe)
    events += board_events(snapshot)  # keyed per member and session: queued once
    if week_closes(calendar, session):
        events += map_events(snapshot)
    events += chats_watch_events(db, calendar, universe, session)
    audience = Audience(full, events, user_rules, universe, now)
    payloads = PayloadIds()
    queued = 0
    for added in queue_pages(db, audience, now=now, payloads=payloads):
        queued += added
        yield
    boards = [d.chat_id for d in active_dashboards(db)]
    messages = dashboard_messages(snapshot, boards, universe, now)
    waiting = dict(snapshot.stale_pairs)
    with transaction(db) as conn:
        save_snapshot(db, snapshot.session, uhash, snapshot.to_dict(), created_at=now)
        save_state(conn, state, session)
        queued += enqueue(conn, messages, now=now, payloads=payloads)
        mark_session_done(
            conn, session, uhash, events=len(events), queued=queued, now=now, waiting=list(waiting)
        )
    log.info("daily %s: %d events, %d messages queued", session, len(events), queued)
    if waiting:
        log.warning("daily %s: no alerts for %s (no close on the session)", session,
                    ", ".join(waiting))  # fmt: skip
    return DailyResult(
        session=session,
        status="partial" if waiting else "done",
        events=tuple(events),
        queued=queued,
        snapshot=snapshot,
        waiting=waiting,
    )
