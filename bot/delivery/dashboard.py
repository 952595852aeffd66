"""Pinned live dashboards: one bot message per chat, posted and pinned once, then edited.

``/dashboard`` posts the compact scoreboard (the lead pair's chart with a caption), pins it
without notification and stores its message id. After each daily run the pipeline queues one
``dashboard`` outbox row per active dashboard (once per session); the sender hands it to
``deliver``, which edits the same message: ``editMessageMedia`` (new chart and caption), or
``editMessageText`` for a text-only dashboard. An edit that would change nothing is not sent,
and Telegram's "message is not modified" counts as success (a row re-sent after a crash). A
message that was deleted or can no longer be edited is replaced by a new one, pinned once; when
pinning fails (no pin rights) the admin who set the dashboard up is told, and it is not retried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

import telegram
from telegram import InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from analytics.constants import YEAR_SESSIONS
from analytics.events import DashboardBody
from analytics.pairs import pair_series
from bot.commands.registry import AppLink
from bot.delivery.replies import app_button, markup
from bot.queries.charts import cached_chart, remember_chart
from bot.render.alerts import legs
from bot.render.charts import ratio_chart
from bot.render.dashboard import dashboard_html
from bot.render.format import esc
from bot.services import Services
from storage.dashboards import Dashboard, get_dashboard, save_edited, save_posted
from storage.prices import load_closes

log = logging.getLogger(__name__)
#: The Mini App view linked under the dashboard (a link: dashboards live in groups and
#: channels, where Telegram allows no Web App button).
DASHBOARD_VIEW = AppLink("board")

CHART_SESSIONS = YEAR_SESSIONS
HISTORY_PAD = 260
# Edit failures that mean the message is gone or cannot be edited any more: post a new one.
_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "there is no caption in the message to edit",
    "there is no text in the message to edit",
    "there is no media in the message to edit",
)


@dataclass(frozen=True)
class Delivered:
    """What a dashboard update did: the message now showing it, and how."""

    message_id: int | None
    action: str  # "edited", "unchanged" (nothing sent or "not modified"), "reposted", "stopped"


def content_key(html: str, has_chart: bool) -> str:
    """A fingerprint of what the message shows (the caption names the session)."""
    return hashlib.sha256(f"{has_chart}|{html}".encode()).hexdigest()[:20]


def _gone(exc: BadRequest) -> bool:
    text = exc.message.lower()
    return any(reason in text for reason in _GONE)


def _not_modified(exc: BadRequest) -> bool:
    return "not modified" in exc.message.lower()


async def dashboard_chart(services: Services, pair: str, session: dt.date) -> bytes | None:
    """The lead pair's ratio chart up to ``session`` (cached per session); None on failure."""
    try:
        spec = services.universe.pair(pair)
        symbols: list[str] = []
        for leg in legs(pair):
            basket = services.universe.basket(leg)
            symbols.extend(basket.members if basket is not None else (leg,))
        start = services.calendar.shift(session, -(CHART_SESSIONS + HISTORY_PAD))
        closes = load_closes(services.db, symbols, start=start, end=session)  # on the loop
        a, b = legs(pair)
        subtitle = f"{spec.label} · as of {session.isoformat()} close"

        def draw() -> bytes:
            series = pair_series(closes, spec, session, services.universe).tail(CHART_SESSIONS)
            return ratio_chart(series, a, b, subtitle)

        return await cached_chart(services, ("dashboard", pair), session, draw)
    except Exception:  # the chart is a bonus: a text dashboard is still a dashboard
        log.exception("dashboard chart for %s on %s failed; text only", pair, session)
        return None


def _largest_file_id(message: telegram.Message) -> str | None:
    return message.photo[-1].file_id if message.photo else None


def _keys(
    bot: telegram.Bot, services: Services, chat_id: int
) -> telegram.InlineKeyboardMarkup | None:
    """A link to the Mini App's scoreboard under the dashboard (when the bot serves one)."""
    return markup(None, app_button(bot, chat_id, DASHBOARD_VIEW, services.settings.webapp_url))


async def _post(
    bot: telegram.Bot, services: Services, chat_id: int, html: str, png: bytes | None
) -> tuple[telegram.Message, str]:
    keys = _keys(bot, services, chat_id)
    if png is not None:
        message = await bot.send_photo(
            chat_id,
            png,
            caption=html,
            parse_mode=ParseMode.HTML,
            disable_notification=True,
            reply_markup=keys,
        )
        return message, "photo"
    message = await bot.send_message(
        chat_id, html, parse_mode=ParseMode.HTML, disable_notification=True, reply_markup=keys
    )
    return message, "text"


async def _pin(bot: telegram.Bot, chat_id: int, message_id: int) -> str | None:
    """Pin silently; Telegram's reason when it refuses (no pin rights), else None."""
    try:
        await bot.pin_chat_message(chat_id, message_id, disable_notification=True)
    except (BadRequest, Forbidden) as exc:
        log.warning("cannot pin the dashboard in chat %s: %s", chat_id, exc.message)
        return exc.message
    return None


def pin_problem_html(chat_name: str, reason: str) -> str:
    """What the admin is told when the dashboard could not be pinned."""
    return (
        f"📌 I posted the rotation dashboard in {esc(chat_name)} but could not pin it "
        f"({esc(reason)}). Give me the right to pin messages and send /dashboard again; "
        "until then the message is still updated after each close."
    )


async def post_dashboard(
    bot: telegram.Bot,
    services: Services,
    chat_id: int,
    body: DashboardBody,
    *,
    admin_id: int | None,
    now: dt.datetime,
) -> Dashboard:
    """Post the dashboard, pin it once (silently) and store it; a pin failure is stored."""
    session = body.session
    html = dashboard_html(body)
    png = await dashboard_chart(services, body.pair, session)
    message, kind = await _post(bot, services, chat_id, html, png)
    chart = f"ratio:{body.pair}"
    remember_chart(services, chart, session, _largest_file_id(message), now=now)
    problem = await _pin(bot, chat_id, message.message_id)
    return save_posted(
        services.db,
        chat_id,
        message_id=message.message_id,
        kind=kind,
        admin_id=admin_id,
        pinned=problem is None,
        pin_error=problem,
        session=session,
        content_key=content_key(html, png is not None),
        now=now,
    )


async def update_dashboard(
    bot: telegram.Bot,
    services: Services,
    board: Dashboard,
    body: DashboardBody,
    *,
    now: dt.datetime,
) -> Delivered:
    """Bring ``board`` to ``body``: edit its message, skip an edit that changes nothing,
    or post (and pin once) a new message when the old one is gone."""
    session = body.session
    html = dashboard_html(body)
    png = await dashboard_chart(services, body.pair, session)
    key = content_key(html, png is not None)
    if board.content_key == key and board.session == session:
        return Delivered(board.message_id, "unchanged")
    try:
        kind = await _edit(bot, board, html, png, _keys(bot, services, board.chat_id))
    except BadRequest as exc:
        if _not_modified(exc):
            save_edited(services.db, board.chat_id, session=session, content_key=key,
                        kind=board.kind, now=now)  # fmt: skip
            return Delivered(board.message_id, "unchanged")
        if not _gone(exc):
            raise
        log.info("dashboard message in chat %s is gone (%s); posting a new one",
                 board.chat_id, exc.message)  # fmt: skip
        return await _repost(bot, services, board, body, now=now)
    save_edited(services.db, board.chat_id, session=session, content_key=key, kind=kind, now=now)
    return Delivered(board.message_id, "edited")


async def _edit(
    bot: telegram.Bot,
    board: Dashboard,
    html: str,
    png: bytes | None,
    keys: telegram.InlineKeyboardMarkup | None,
) -> str:
    chat, mid = board.chat_id, board.message_id
    if board.kind == "photo" and png is not None:
        media = InputMediaPhoto(png, caption=html, parse_mode=ParseMode.HTML)
        await bot.edit_message_media(media, chat_id=chat, message_id=mid, reply_markup=keys)
        return "photo"
    if board.kind == "photo":
        await bot.edit_message_caption(
            chat, mid, caption=html, parse_mode=ParseMode.HTML, reply_markup=keys
        )
        return "photo"
    await bot.edit_message_text(
        html, chat_id=chat, message_id=mid, parse_mode=ParseMode.HTML, reply_markup=keys
    )
    return "text"


async def _repost(
    bot: telegram.Bot,
    services: Services,
    board: Dashboard,
    body: DashboardBody,
    *,
    now: dt.datetime,
) -> Delivered:
    fresh = await post_dashboard(
        bot, services, board.chat_id, body, admin_id=board.admin_id, now=now
    )
    if fresh.pin_error is not None and board.admin_id is not None:
        await tell_admin(bot, board.admin_id, board.chat_id, fresh.pin_error)
    return Delivered(fresh.message_id, "reposted")


async def tell_admin(bot: telegram.Bot, admin_id: int, chat_id: int, reason: str) -> None:
    """Tell the admin who set up the dashboard that it could not be pinned (once per post)."""
    try:
        chat = await bot.get_chat(chat_id)
        name = chat.title or (f"@{chat.username}" if chat.username else str(chat_id))
        await bot.send_message(admin_id, pin_problem_html(name, reason), parse_mode=ParseMode.HTML)
    except (BadRequest, Forbidden) as exc:
        log.warning("cannot tell admin %s about chat %s: %s", admin_id, chat_id, exc.message)


async def deliver(
    bot: telegram.Bot,
    services: Services,
    chat_id: int,
    body: DashboardBody,
    *,
    now: dt.datetime,
) -> Delivered:
    """The sender's part: update the chat's dashboard for an outbox row (nothing to do when
    it was stopped after the row was queued)."""
    board = get_dashboard(services.db, chat_id)
    if board is None or not board.active:
        return Delivered(None, "stopped")
    return await update_dashboard(bot, services, board, body, now=now)
