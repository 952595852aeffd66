"""Drain the outbox to Telegram: bounded batches, and one table from a send's answer to what
happens next.

A row is marked 'sending' (committed) before the Bot API call and 'sent' after it, so a
process killed mid-batch (one send at a time) leaves at most that one row in doubt; it is sent
again on restart.

What an answer means is decided in one place, ``judge`` (the outcome table), and carried out
in one place, ``Sender._apply``, for the single-send path and the paid window alike:

| answer                              | outcome         | the row / the chat                    |
|-------------------------------------|-----------------|---------------------------------------|
| accepted                            | sent            | marked sent                           |
| ``RetryAfter``                      | defer this chat | waits ``retry_after``; others go on   |
| ``Forbidden``; 400 "chat not found" | deactivate chat | chat inactive, its rows stop          |
| ``ChatMigrated``                    | migrate         | chat moved, row re-queued at once     |
| ``InvalidToken`` (401)              | pause for token | all delivery paused, probed           |
| other ``BadRequest``                | dead            | dead-lettered with the reason         |
| network error, timeout              | retry later     | backoff; an outage is not counted     |
| ``Conflict``, unknown code, a bug   | retry later     | backoff, dead after max attempts      |

No outcome sends again from where it was decided: a row that goes back to the queue is sent
by a later batch like any other, so a chat that blocked the bot gets one request per message
and a failure never holds up the sends in flight. A row is never left 'sending': every
failure puts it back, a send that hangs is cut after SEND_TIMEOUT_SECONDS, and each drain
first requeues claims older than the outbox lease.

With ALLOW_PAID_BROADCAST, up to ``PAID_PARALLEL`` sends (each to a different chat) are in
flight at once; rows are claimed and marked sent ``CLAIM_CHUNK`` at a time, each time in one
transaction: a process killed then leaves at most ``PAID_PARALLEL + CLAIM_CHUNK`` rows in
doubt. Each distinct payload is rendered once, not once per chat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
from asyncio import ALL_COMPLETED, FIRST_COMPLETED
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

import telegram
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from analytics.backoff import doubling
from analytics.events import (
    AlertBody,
    DashboardBody,
    Digest,
    FlipAlert,
    Folded,
    RotationMap,
    decode_alert,
    decode_as,
    unfold,
)
from bot.delivery.dashboard import deliver
from bot.render.alerts import alert_html
from bot.render.charts import ratio_chart
from bot.render.format import CAPTION_LIMIT, TEXT_LIMIT, fit_html, fits
from bot.render.sectors import map_body_png
from bot.services import Services, utc_now
from jobs.fanout import in_quiet_hours
from storage.chats import Chat, chats_by_id, get_chat, migrate_chat, set_active
from storage.db import check_identity
from storage.outbox import (
    Kind,
    OutboxRow,
    Payload,
    claim,
    claim_many,
    due_rows,
    mark_dead,
    mark_sent,
    mark_sent_many,
    next_due,
    release,
    requeue_inflight,
    retarget,
    skip_chat,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 20
MAX_ATTEMPTS = 5
BACKOFF_BASE = dt.timedelta(seconds=2)
BACKOFF_CAP = dt.timedelta(minutes=5)
# How often one row may be moved by a migration in one drain.
MAX_HOPS = 5
#: One Bot API call may take this long before it is abandoned (and treated as timed out);
#: well inside the outbox lease, so a live sender's claim never expires under it.
SEND_TIMEOUT_SECONDS = 120.0
CHART_CACHE_SIZE = 32
# Paid broadcasts: messages in flight at once (each to a different chat), and rows claimed
# and marked sent per transaction. The window also bounds how many sends can reach Telegram
# at once after a pause on either side (32 on top of the limiter's 950 in a second stays
# under Telegram's 1000), and how many rows a crash leaves in doubt.
PAID_PARALLEL = 32
CLAIM_CHUNK = 16
PAID_BATCH = 256
# Rendered texts kept: events, and distinct payloads per event (chats' settings differ).
RENDER_CACHE_SIZE = 64
RENDER_VARIANTS = 16

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds to wait from a RetryAfter (PTB gives an int or, opted in, a timedelta)."""
    value = exc.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


def backoff(attempt: int) -> dt.timedelta:
    """Delay before retrying a network failure: 2 s, 4 s, 8 s ... capped at 5 minutes."""
    return doubling(BACKOFF_BASE, attempt, BACKOFF_CAP)


class Outcome(enum.Enum):
    """What a send's answer means for its row and its chat."""

    SENT = "sent"
    RETRY_LATER = "retry later"
    DEFER_CHAT = "defer this chat"
    DEACTIVATE_CHAT = "deactivate this chat"
    MIGRATE = "migrate"
    PAUSE_TOKEN = "pause for the token"  # noqa: S105 (an outcome's name, not a secret)
    DEAD = "dead"


@dataclass(frozen=True)
class Verdict:
    """An outcome with what carrying it out needs."""

    outcome: Outcome
    reason: str = ""
    #: DEFER_CHAT: seconds the chat waits.
    wait: float = 0.0
    #: MIGRATE: the chat's new id.
    new_chat_id: int = 0
    #: RETRY_LATER: Telegram did not answer (it may have arrived; an outage is not the row's
    #: fault), as opposed to an answer the row caused.
    unanswered: bool = False


#: 400 answers that mean the chat itself is gone: like a block, every later message would
#: fail the same way.
CHAT_GONE = ("chat not found", "group chat was deactivated")


def judge(exc: Exception | None) -> Verdict:
    """The outcome table: what a send's answer (None: accepted) means."""
    if exc is None:
        return Verdict(Outcome.SENT)
    if isinstance(exc, RetryAfter):
        return Verdict(Outcome.DEFER_CHAT, str(exc), wait=retry_seconds(exc))
    if isinstance(exc, Forbidden):
        return Verdict(Outcome.DEACTIVATE_CHAT, f"forbidden: {exc.message}")
    if isinstance(exc, ChatMigrated):
        return Verdict(Outcome.MIGRATE, str(exc), new_chat_id=int(exc.new_chat_id))
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest is a subclass of it
        reason = f"bad request: {exc.message}"
        if any(gone in exc.message.lower() for gone in CHAT_GONE):
            return Verdict(Outcome.DEACTIVATE_CHAT, reason)
        return Verdict(Outcome.DEAD, reason)
    if isinstance(exc, InvalidToken):
        return Verdict(Outcome.PAUSE_TOKEN, "token refused (401)")
    if isinstance(exc, NetworkError | TimeoutError):
        return Verdict(Outcome.RETRY_LATER, str(exc) or "timed out", unanswered=True)
    if isinstance(exc, TelegramError):  # Conflict, an unknown code
        return Verdict(Outcome.RETRY_LATER, f"telegram: {exc}")
    return Verdict(Outcome.RETRY_LATER, f"{type(exc).__name__}: {exc}")  # a bug


@dataclass
class DrainReport:
    """What one drain did."""

    sent: int = 0
    dead: int = 0
    retried: int = 0
    deactivated: list[int] = field(default_factory=list)
    migrated: list[tuple[int, int]] = field(default_factory=list)
    #: Telegram refused the bot token (401) during this drain: delivery is paused.
    token_refused: bool = False


class Sender:
    """Delivers due outbox rows through ``bot`` (give it an AIORateLimiter)."""

    def __init__(
        self,
        bot: telegram.Bot,
        services: Services,
        *,
        batch: int = BATCH_SIZE,
        max_attempts: int = MAX_ATTEMPTS,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        charts: bool = True,
        parallel: int | None = None,
    ) -> None:
        self.bot = bot
        self.services = services
        self.paid = services.settings.allow_paid_broadcast
        self.parallel = parallel if parallel is not None else PAID_PARALLEL if self.paid else 1
        self.batch = max(batch, PAID_BATCH if self.parallel > 1 else self.parallel)
        self.max_attempts = max_attempts
        self.clock = clock
        self.sleep = sleep
        self.charts = charts
        self._lock = asyncio.Lock()
        # When Telegram stopped answering (None: the last call went through). Failures during
        # an outage are not the message's fault: they do not count towards max_attempts.
        self._down_since: dt.datetime | None = None
        self._charts: dict[tuple[object, ...], bytes | None] = {}
        self._rendered: dict[tuple[Kind, str], list[tuple[Payload, str, str, AlertBody]]] = {}
        # While Telegram fails, the next moment one row may probe it again.
        self._probe_at = dt.datetime.min.replace(tzinfo=dt.UTC)
        # Telegram answered 401 (token revoked or replaced) and no send went through since.
        self.token_refused = False
        # How often each row was moved by a migration in this drain.
        self._hops: dict[int, int] = {}

    async def drain(self, *, wait: float = 0.0) -> DrainReport:
        """Send every due row, batch by batch; wait up to ``wait`` s for rows retried later."""
        report = DrainReport()
        async with self._lock:
            check_identity(self.services.db_identity)  # never write to a replaced file
            # Rows a dead process left 'sending', or claims past the lease: back to pending.
            requeued = requeue_inflight(self.services.db)
            if requeued:
                log.warning("%d message(s) left in flight were put back in the queue", requeued)
            limit = self.clock() + dt.timedelta(seconds=wait)
            self._hops.clear()
            while True:
                if self._down_since is not None and self._probe_at > self.clock():
                    # Telegram is failing: wait for the next probe instead of trying (and
                    # failing) every pending row in turn.
                    if self._probe_at > limit:
                        return report
                    await self.sleep((self._probe_at - self.clock()).total_seconds())
                rows = due_rows(self.services.db, self.clock(), self.batch)
                if self.parallel > 1 and len(rows) > 1:
                    await self._deliver_many(rows, report)
                else:
                    for row in rows:
                        await self._deliver(row, report)
                        if self._down_since is not None:
                            break  # that call failed: the rest wait for the next probe
                if rows:
                    continue
                upcoming = next_due(self.services.db)
                if upcoming is None or upcoming > limit:
                    return report
                await self.sleep(max(0.0, (upcoming - self.clock()).total_seconds()))

    async def _deliver(self, row: OutboxRow, report: DrainReport) -> None:
        """One row alone: claim, send, and carry out the outcome of the answer."""
        db = self.services.db
        if not claim(db, row.id):
            return  # another sender took it
        try:
            message = await asyncio.wait_for(self._send(row.chat_id, row), SEND_TIMEOUT_SECONDS)
        except Exception as exc:
            if isinstance(exc, TelegramError | TimeoutError):
                log.debug("row %s for chat %s: %s", row.id, row.chat_id, exc)
            else:  # a bug while rendering: the row must not stay claimed
                log.exception("row %s for chat %s could not be sent", row.id, row.chat_id)
            self._apply(row, judge(exc), report)
            return
        except BaseException:  # cancelled (shutdown): the row goes back as in doubt
            release(db, row.id, not_before=self.clock(), error="interrupted", refund=True)
            raise
        self._went_through()
        mark_sent(db, row.id, now=self.clock(), message_id=message)
        report.sent += 1

    async def _deliver_many(self, rows: list[OutboxRow], report: DrainReport) -> None:
        """Paid broadcasts: a sliding window of up to ``parallel`` sends in flight, each to a
        different chat. Rows are claimed ``CLAIM_CHUNK`` at a time in one transaction and
        marked sent ``CLAIM_CHUNK`` at a time, so the database is written twice per chunk,
        not twice per message, and the next chunk's sends start while earlier ones are
        still answered (a broadcast keeps Telegram's 1000 a second, not one round trip per
        chunk). A process killed meanwhile leaves at most ``parallel + CLAIM_CHUNK`` rows in
        doubt; each is sent again on restart."""
        db = self.services.db
        flying: dict[asyncio.Task[int | None], OutboxRow] = {}
        sent: list[tuple[int, int | None]] = []
        size = min(CLAIM_CHUNK, self.parallel)
        try:
            probe = True  # the first chunk goes out even while Telegram is failing
            while rows:
                for start in range(0, len(rows), size):
                    if not probe and self._down_since is not None:
                        break  # Telegram is failing: the rest wait for the next probe
                    probe = False
                    self._launch(rows[start : start + size], flying)
                    while len(flying) > self.parallel - size:
                        await self._settle(flying, sent, report, FIRST_COMPLETED)
                # The next rows while the window still holds sends, so the rate does not dip
                # between batches (rows of chats still in flight are held back by due_rows).
                rows = due_rows(db, self.clock(), self.batch) if self._down_since is None else []
            while flying:
                await self._settle(flying, sent, report, ALL_COMPLETED)
        except BaseException:  # cancelled (shutdown): what went through is marked, the rest
            for task in flying:  # goes back as in doubt
                task.cancel()
            await asyncio.gather(*flying, return_exceptions=True)
            self._mark_sent(sent, report)
            for row in flying.values():
                release(db, row.id, not_before=self.clock(), error="interrupted", refund=True)
            raise
        self._mark_sent(sent, report)

    def _launch(
        self, chunk: list[OutboxRow], flying: dict[asyncio.Task[int | None], OutboxRow]
    ) -> None:
        """Claim ``chunk`` in one transaction and start a send for each row this process won."""
        db = self.services.db
        won = claim_many(db, [r.id for r in chunk])
        mine = [r for r in chunk if r.id in won]
        chats = chats_by_id(db, [r.chat_id for r in mine])
        for row in mine:
            send = asyncio.wait_for(self._send(row.chat_id, row, chats), SEND_TIMEOUT_SECONDS)
            flying[asyncio.ensure_future(send)] = row

    async def _settle(
        self,
        flying: dict[asyncio.Task[int | None], OutboxRow],
        sent: list[tuple[int, int | None]],
        report: DrainReport,
        until: str,
    ) -> None:
        """Wait for sends of the window to finish (the first, or all); record them: the sent
        ones marked ``CLAIM_CHUNK`` at a time, a failed one mapped as ``_deliver`` maps it."""
        done, _ = await asyncio.wait(flying, return_when=until)
        failed: list[tuple[OutboxRow, BaseException]] = []
        for task in done:
            row = flying.pop(task)
            exc = task.exception()
            if exc is None:
                sent.append((row.id, task.result()))
            else:
                failed.append((row, exc))
        if len(sent) >= CLAIM_CHUNK or (sent and not flying):
            self._mark_sent(sent, report)
        for row, exc in failed:
            if not isinstance(exc, Exception):  # cancelled: back as in doubt
                release(self.services.db, row.id, not_before=self.clock(), error="interrupted",
                        refund=True)  # fmt: skip
                raise exc
            if not isinstance(exc, TelegramError | TimeoutError):
                log.error("row %s for chat %s could not be sent", row.id, row.chat_id,
                          exc_info=exc)  # fmt: skip
            self._apply(row, judge(exc), report)

    def _went_through(self) -> None:
        """A send reached Telegram: any outage is over, and a refused token works again."""
        self._down_since = None
        if self.token_refused:
            self.token_refused = False
            log.warning("Telegram accepts the bot token again: delivery resumed")

    def _mark_sent(self, sent: list[tuple[int, int | None]], report: DrainReport) -> None:
        """Mark ``sent`` rows sent in one transaction and empty the list."""
        if not sent:
            return
        self._went_through()
        mark_sent_many(self.services.db, sent, now=self.clock())
        report.sent += len(sent)
        sent.clear()

    def _apply(self, row: OutboxRow, verdict: Verdict, report: DrainReport) -> None:
        """Carry out a failed send's outcome (the table is ``judge``). Nothing is sent from
        here: a row that goes back to the queue waits for a later batch."""
        db = self.services.db
        outcome = verdict.outcome
        if outcome is Outcome.DEFER_CHAT:  # flood control: this chat waits, the others go on
            log.warning("flood control: chat %s waits %.0f s", row.chat_id, verdict.wait)
            wait = dt.timedelta(seconds=verdict.wait)
            release(db, row.id, not_before=self.clock() + wait, error=verdict.reason, refund=True)
            report.retried += 1
        elif outcome is Outcome.DEACTIVATE_CHAT:
            self._deactivate(row.chat_id, row, verdict.reason, report)
        elif outcome is Outcome.MIGRATE:
            self._migrate(row, verdict, report)
        elif outcome is Outcome.DEAD:
            log.warning("dead-lettered row %s for chat %s: %s", row.id, row.chat_id,
                        verdict.reason)  # fmt: skip
            mark_dead(db, row.id, verdict.reason)
            report.dead += 1
        elif outcome is Outcome.PAUSE_TOKEN:
            self._token_refused(row, report)
        elif verdict.unanswered:
            self._retry_later(row, row.attempts + 1, verdict.reason, report)
        else:
            log.warning("row %s for chat %s: %s", row.id, row.chat_id, verdict.reason)
            self._backoff(row, row.attempts + 1, verdict.reason, report)

    def _migrate(self, row: OutboxRow, verdict: Verdict, report: DrainReport) -> None:
        """The group became a supergroup: move the chat and re-queue the row at its new id
        (sent by the next batch); a row moved MAX_HOPS times in one drain waits."""
        db = self.services.db
        hops = self._hops[row.id] = self._hops.get(row.id, 0) + 1
        if hops > MAX_HOPS:
            release(db, row.id, not_before=self.clock() + BACKOFF_CAP, error="too many hops")
            report.retried += 1
            return
        log.info("chat %s moved to %s; resending", row.chat_id, verdict.new_chat_id)
        migrate_chat(db, row.chat_id, verdict.new_chat_id, now=self.clock())
        retarget(db, row.id, verdict.new_chat_id)
        release(db, row.id, not_before=self.clock(), error=verdict.reason, refund=True)
        report.migrated.append((row.chat_id, verdict.new_chat_id))

    def _token_refused(self, row: OutboxRow, report: DrainReport) -> None:
        """401: nothing can be delivered until the token works; pause, probe, log once."""
        now = self.clock()
        if not self.token_refused:
            self.token_refused = True
            log.error(
                "Telegram refused the bot token (401 Unauthorized): delivery is paused and "
                "resumes by itself once the token works again (SECURITY.md: rotating the token)"
            )
        if self._down_since is None:
            self._down_since = now
        wait = min(max(now - self._down_since, BACKOFF_BASE), BACKOFF_CAP)
        release(self.services.db, row.id, not_before=now, error="token refused (401)", refund=True)
        self._probe_at = now + wait
        report.token_refused = True
        report.retried += 1

    def _backoff(self, row: OutboxRow, attempts: int, error: str, report: DrainReport) -> None:
        """A failure of this row (not of Telegram as a whole): retry later, up to the cap."""
        db = self.services.db
        if attempts >= self.max_attempts:
            log.error("row %s: giving up after %d attempts: %s", row.id, attempts, error)
            mark_dead(db, row.id, f"gave up after {attempts} attempts: {error}")
            report.dead += 1
            return
        release(db, row.id, not_before=self.clock() + backoff(attempts), error=error)
        report.retried += 1

    def _deactivate(self, chat_id: int, row: OutboxRow, reason: str, report: DrainReport) -> None:
        """The chat blocked the bot or is gone: it stops receiving (its rows are skipped, its
        subscriptions no longer reached); /status counts it."""
        db = self.services.db
        log.info("chat %s refused delivery (%s); deactivated", chat_id, reason)
        set_active(db, chat_id, False, now=self.clock(), reason=reason)
        mark_dead(db, row.id, reason)
        skip_chat(db, chat_id, "chat deactivated")
        report.dead += 1
        report.deactivated.append(chat_id)

    def _retry_later(self, row: OutboxRow, attempts: int, error: str, report: DrainReport) -> None:
        db = self.services.db
        now = self.clock()
        if self._down_since is not None:
            # Nothing went through since an earlier failure: an outage. Keep the row, wait
            # as long as the outage has lasted so far (capped), and do not count the attempt.
            wait = min(max(now - self._down_since, BACKOFF_BASE), BACKOFF_CAP)
            release(db, row.id, not_before=now + wait, error=error, refund=True)
            self._probe_at = now + wait
            report.retried += 1
            return
        self._down_since = now
        self._probe_at = now + backoff(attempts)
        if attempts >= self.max_attempts:
            log.error("row %s: giving up after %d attempts: %s", row.id, attempts, error)
            mark_dead(db, row.id, f"network: gave up after {attempts} attempts: {error}")
            report.dead += 1
            return
        release(db, row.id, not_before=now + backoff(attempts), error=error)
        report.retried += 1

    async def _send(
        self, chat_id: int, row: OutboxRow, chats: dict[int, Chat] | None = None
    ) -> int | None:
        """Send the row to ``chat_id``; the message id. ``chats``: the batch's chats."""
        if row.kind is Kind.DASHBOARD:  # an edit of the chat's pinned dashboard, not a new one
            board = decode_as(DashboardBody, row.payload)
            shown = await deliver(self.bot, self.services, chat_id, board, now=self.clock())
            return shown.message_id
        chat = chats.get(chat_id) if chats is not None else get_chat(self.services.db, chat_id)
        thread = chat.thread_id if chat is not None else None
        quiet = chat is not None and in_quiet_hours(chat, self.clock())
        html, text, body = self._render(row)
        paid = True if self.paid else None
        photo = await self._chart(row, body)
        if photo is not None and fits(html, CAPTION_LIMIT):
            message = await self.bot.send_photo(
                chat_id,
                photo,
                caption=html,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread,
                disable_notification=quiet,
                allow_paid_broadcast=paid,
            )
            return message.message_id
        # One row is one message: an over-long text is cut at the limit rather than split,
        # so a crash can never leave half an alert delivered. Posted as sendMessage through
        # the bot's request layer and rate limiter; only the message id is read back (building
        # a telegram.Message from the answer cost a third of a broadcast's CPU).
        data = {
            "chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML,
            "message_thread_id": thread, "disable_notification": quiet,
            "allow_paid_broadcast": paid,
        }  # fmt: skip
        result = await self.bot._post("sendMessage", data)
        return int(result["message_id"]) if isinstance(result, dict) else None

    def _render(self, row: OutboxRow) -> tuple[str, str, AlertBody]:
        """The row's HTML, its text message (cut at the limit) and its body, decoded and
        rendered once per event and distinct payload, not once per chat."""
        key = (row.kind, row.event_key)
        variants = self._rendered.get(key)
        if variants is None:
            if len(self._rendered) >= RENDER_CACHE_SIZE:
                self._rendered.pop(next(iter(self._rendered)))
            variants = self._rendered[key] = []
        for payload, html, text, body in variants:
            if payload == row.payload:
                return html, text, body
        body = decode_alert(row.kind, row.payload)
        html = alert_html(body)
        text = fit_html(html, TEXT_LIMIT)
        if len(variants) < RENDER_VARIANTS:
            variants.append((row.payload, html, text, body))
        return html, text, body

    async def _chart(self, row: OutboxRow, body: AlertBody) -> bytes | None:
        """A flip's ratio chart, or the week's rotation map a digest holds, drawn from the
        data in the body, once per event for every chat (the sender only renders: no storage
        or analytics call)."""
        if not self.charts:
            return None
        draw: Callable[[], bytes | None]
        if isinstance(body, Digest):  # the week's rotation map, when the day's message holds it
            maps = [f for f in body.alerts if Kind(f.kind) is Kind.ROTATION_MAP]
            if not maps:
                return None
            # keyed by board before decoding: each board's map is drawn once per session
            key: tuple[object, ...] = (Kind.ROTATION_MAP, maps[0].body["board"], row.session)
            draw = partial(_folded_map_png, maps[0])
        elif isinstance(body, FlipAlert):  # only flips have a chart of their own
            key = (row.event_key, row.session)
            draw = partial(flip_chart_png, body)
        else:
            return None
        if key in self._charts:
            return self._charts[key]
        try:
            png: bytes | None = await asyncio.to_thread(draw)
        except Exception:  # a chart is a bonus: never lose the alert over it
            log.exception("chart for row %s failed; sending text only", row.id)
            png = None
        if len(self._charts) >= CHART_CACHE_SIZE:
            self._charts.pop(next(iter(self._charts)))
        self._charts[key] = png
        return png


def _folded_map_png(folded: Folded) -> bytes | None:
    map_body = unfold(folded)
    return map_chart_png(map_body) if isinstance(map_body, RotationMap) else None


def map_chart_png(body: RotationMap) -> bytes | None:
    """The weekly rotation map of a digest's folded rotation_map alert."""
    return map_body_png(body) if body.members else None


def flip_chart_png(body: FlipAlert) -> bytes | None:
    """The ratio chart of a flip alert's theme head pair, from the alert's own chart data."""
    chart = body.chart
    if chart is None or not chart.dates:
        return None
    return ratio_chart(chart.frame(), chart.a, chart.b, chart.title)
