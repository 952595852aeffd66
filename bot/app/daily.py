"""The daily job on PTB's JobQueue: run at close + offset, retry stale data, catch up, drain.

The next run is computed from the NYSE calendar and scheduled with ``run_once`` from inside
the job (``run_daily`` knows nothing of holidays or early closes). Incomplete data is retried
with backoff until close + DAILY_DEADLINE_MINUTES; operators hear about it once per session.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import telegram
from telegram.error import BadRequest, NetworkError
from telegram.ext import Application

from bot.app.context import BotContext
from bot.app.warm import warm_up
from bot.delivery.sender import DrainReport, Sender
from bot.render.alerts import disagreements_html, outages_html, stale_html, stale_news_html
from bot.services import Services
from jobs.daily import DailyResult, run_daily
from jobs.schedule import missed_session, next_run, retry_at
from market.provider import PriceProvider
from storage import inbox
from storage.db import check_identity
from storage.jobruns import last_done_session
from storage.outbox import counts as outbox_counts
from storage.outbox import requeue_inflight
from storage.prices import Disagreement, mark_disagreements_told, untold_disagreements

log = logging.getLogger(__name__)

JOB_DAILY = "daily"
JOB_DRAIN = "outbox-drain"
JOB_DB_WATCH = "db-watch"
DB_WATCH_SECONDS = 5.0
DRAIN_INTERVAL = dt.timedelta(seconds=60)
#: How long `rotation-bot daily` waits for rows retried later (network errors) before exiting.
DELIVERY_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class DailyOutcome:
    """A pipeline run and the delivery that followed it."""

    result: DailyResult
    delivery: DrainReport = field(default_factory=DrainReport)
    #: Messages left pending because Telegram could not be reached after the session was
    #: committed (``rotation-bot daily`` only); the running bot or the next run sends them.
    undelivered: int = 0
    #: Telegram could not be reached for delivery (``rotation-bot daily`` only).
    unreachable: bool = False

    def summary(self) -> str:
        """One line for the CLI and logs."""
        r, d = self.result, self.delivery
        if r.status == "stale":
            return f"{r.session}: stale data for {', '.join(r.stale)}; no alerts"
        head = f"{r.session}: {r.status}, {len(r.events)} events, {r.queued} messages queued"
        tail = ""
        if r.waiting:
            tail += "; no alerts for " + ", ".join(
                f"{k} (last close {v or 'none'})" for k, v in r.waiting.items()
            )
        if r.stale:
            tail += "; stale: " + ", ".join(
                f"{s} (last close {v})" if v else s for s, v in r.stale_since.items()
            )
        if self.unreachable:
            return (
                f"{head}; Telegram unreachable: {self.undelivered} messages stay queued and go "
                f"out once when the running bot or the next `rotation-bot daily` reaches "
                f"Telegram{tail}"
            )
        return f"{head}; delivered {d.sent}, dead {d.dead}, retrying {d.retried}{tail}"


async def run_pipeline(
    bot: telegram.Bot,
    services: Services,
    session: dt.date,
    *,
    provider: PriceProvider,
    now: dt.datetime,
    sender: Sender | None = None,
    wait: float = 0.0,
) -> DailyOutcome:
    """Run the pipeline for ``session`` and deliver what it queued (stale: deliver nothing)."""
    result = await run_daily(
        services.db, provider, services.calendar, services.universe, session, now=now,
        retention=services.settings.outbox_retention,
    )  # fmt: skip
    if result.status == "stale":
        return DailyOutcome(result)
    report = await (sender or Sender(bot, services)).drain(wait=wait)
    return DailyOutcome(result, report)


async def run_daily_cli(
    services: Services, bot: telegram.Bot, *, asof: dt.date | None
) -> DailyOutcome:
    """`rotation-bot daily`: requeue a row left in flight, run once, deliver through ``bot``
    (the root's ``delivery_bot``), tell operators.

    The session is computed and its messages committed to the outbox before the first Bot API
    call, so Telegram being unreachable at the close delays the messages, never the session:
    the outcome then says how many are queued (``undelivered``), and the running bot or the
    next ``daily`` sends them once, as of their own session."""
    now = services.clock()
    session = services.expected_session(now, asof)
    requeued = requeue_inflight(services.db)
    if requeued:
        log.warning(
            "%d message(s) were in flight when the last sender stopped; resending", requeued
        )
    result = await run_daily(
        services.db, services.provider(asof), services.calendar, services.universe, session,
        now=now, retention=services.settings.outbox_retention,
    )  # fmt: skip
    outcome = DailyOutcome(result)
    try:
        async with bot:
            if result.status != "stale":
                outcome = DailyOutcome(
                    result, await Sender(bot, services).drain(wait=DELIVERY_WAIT_SECONDS)
                )
            await tell_operators(bot, services, result, final=True, told=set())
    except BadRequest:
        raise
    except NetworkError as exc:
        log.info("Telegram unreachable after the session was computed: %s", type(exc).__name__)
        pending = outbox_counts(services.db).get("pending", 0)
        return dataclasses.replace(outcome, unreachable=True, undelivered=pending)
    return outcome


# -- JobQueue wiring ------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyJobData:
    """What a scheduled daily run covers, and how many attempts came before it."""

    session: dt.date
    attempt: int = 1


def _offset(services: Services) -> dt.timedelta:
    return dt.timedelta(minutes=services.settings.daily_offset_minutes)


async def job_daily(context: BotContext) -> None:
    """Run the pipeline for the job's session; on stale data retry or give up; reschedule."""
    services = context.services
    data = context.job.data if context.job else None
    if not isinstance(data, DailyJobData):
        return
    now = services.clock()
    outcome = await run_pipeline(
        context.bot,
        services,
        data.session,
        provider=services.provider(),
        now=now,
        sender=context.bot_data.sender,
    )
    log.info("daily job: %s", outcome.summary())
    if outcome.result.status in ("stale", "partial"):
        await _handle_stale(context, services, data, outcome.result, now)
        return
    await tell_operators(
        context.bot, services, outcome.result, final=True, told=context.bot_data.stale_told
    )
    schedule_next(context.application, services, now)
    if outcome.result.status == "done":
        await warm_up(services)  # the new session's snapshot and chart, before anyone asks


def operator_report(result: DailyResult, *, final: bool) -> str:
    """The operators' message about a session's late data (stale or partial)."""
    return stale_html(
        result.session,
        result.stale_since or dict.fromkeys(result.stale),
        result.waiting,
        final=final,
        computed=result.status == "partial",
    )


def market_report(
    result: DailyResult, untold: Sequence[Disagreement], *, final: bool, first: bool
) -> str | None:
    """The operators' message about a run's market data, or None when there is nothing new.

    ``first``: the session's first report (its late-data report and the sources' outages are
    told once per session). A late-data report goes out when pairs waited (or none was
    computable); stale symbols otherwise only when jobs.stale says so (gone stale, weekly,
    back); disagreements between sources once each.
    """
    parts: list[str] = []
    late = result.status == "stale" or bool(result.waiting)
    if first and late:
        parts.append(operator_report(result, final=final))
    if result.news is not None and not result.news.empty:
        parts.append(stale_news_html(result.news))
    if first and result.outages:
        parts.append(outages_html(result.outages))
    if untold:
        parts.append(disagreements_html(untold))
    return "\n\n".join(parts) if parts else None


async def tell_operators(
    bot: telegram.Bot,
    services: Services,
    result: DailyResult,
    *,
    final: bool,
    told: set[dt.date],
) -> None:
    """Send the run's market-data report (see ``market_report``) through the operator
    reports; ``told`` holds the sessions whose first report went out."""
    if result.status == "already_done":
        return
    untold = untold_disagreements(services.db)
    html = market_report(result, untold, final=final, first=result.session not in told)
    if html is None:
        return
    told.add(result.session)
    digest = hashlib.sha256(html.encode()).hexdigest()[:16]
    await services.reports.send(
        bot, services.settings.operator_ids, f"market {result.session} {digest}", html
    )
    if untold:
        mark_disagreements_told(services.db, untold)


async def _handle_stale(
    context: BotContext,
    services: Services,
    data: DailyJobData,
    result: DailyResult,
    now: dt.datetime,
) -> None:
    deadline = dt.timedelta(minutes=services.settings.daily_deadline_minutes)
    base = services.stale_retry_base
    again = retry_at(services.calendar, data.session, now, data.attempt, deadline, base=base)
    if result.status == "partial" and not result.waiting:
        again = None  # only symbols no pair uses are late: nothing to hold back or retry
    await tell_operators(
        context.bot, services, result, final=again is None, told=context.bot_data.stale_told
    )
    if again is None:
        log.error("daily %s: gave up, data still stale: %s", data.session, ", ".join(result.stale))
        schedule_next(context.application, services, now)
        return
    retry = DailyJobData(data.session, data.attempt + 1)
    delay = max(dt.timedelta(0), again - now)
    app: Application[Any, Any, Any, Any, Any, Any] = context.application
    assert app.job_queue is not None
    app.job_queue.run_once(job_daily, when=delay, data=retry, name=JOB_DAILY)


def schedule_next(
    app: Application[Any, Any, Any, Any, Any, Any], services: Services, now: dt.datetime
) -> dt.datetime:
    """Schedule the run after ``now`` (next session's close + offset); return its time."""
    planned = next_run(services.calendar, now, _offset(services))
    assert app.job_queue is not None
    app.job_queue.run_once(
        job_daily, when=planned.at, data=DailyJobData(planned.session), name=JOB_DAILY
    )
    log.info("next daily run: %s for session %s", planned.at.isoformat(), planned.session)
    return planned.at


async def job_drain(context: BotContext) -> None:
    """Deliver rows that became due (quiet hours over, digest time, network retries); forget
    received updates handled more than two days ago."""
    await context.bot_data.sender.drain()
    services = context.services
    inbox.prune(services.db, services.clock())


def due_catch_up(services: Services, now: dt.datetime) -> dt.date | None:
    """The session missed while the bot was down (never past what the data source has)."""
    offset = _offset(services)
    missed = missed_session(services.calendar, now, offset, last_done_session(services.db))
    if missed is None:
        return None
    available = services.expected_session(now - offset)
    done = last_done_session(services.db)
    due = min(missed, available)
    return None if done is not None and done >= due else due


def install(app: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Requeue a row left in flight, catch up a missed session, schedule the next run, and
    drain the outbox every minute."""
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    # APScheduler skips a job that starts more than a second late (its default grace time):
    # on a busy event loop the daily run would be dropped, and with it the scheduling of the
    # next one. Every job here runs late rather than never; missed runs of a repeating job
    # coalesce into one. configure() replaces the whole configuration, so PTB's is passed too.
    app.job_queue.scheduler.configure(
        job_defaults={"misfire_grace_time": None, "coalesce": True},
        **app.job_queue.scheduler_configuration,
    )
    requeue_inflight(services.db)
    now = services.clock()
    missed = due_catch_up(services, now)
    if missed is not None:
        log.info("catching up on session %s", missed)
        app.job_queue.run_once(job_daily, when=1.0, data=DailyJobData(missed), name=JOB_DAILY)
    else:
        schedule_next(app, services, now)
    app.job_queue.run_repeating(job_drain, interval=DRAIN_INTERVAL, first=5.0, name=JOB_DRAIN)
    app.job_queue.run_repeating(job_db_watch, interval=DB_WATCH_SECONDS, first=DB_WATCH_SECONDS,
                                name=JOB_DB_WATCH)  # fmt: skip


async def job_db_watch(context: BotContext) -> None:
    """Stop the bot when its database file was removed or replaced (inode check): writes
    would go to a file nobody reads again. The error handler halts on the StorageError."""
    check_identity(context.services.db_identity)
