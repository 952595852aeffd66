"""Inline mode: ``@bot IWM/SPY``, ``@bot IWM``, ``@bot MAG7`` or an empty query in any chat.

Answers come from SQLite only (never the price source) within INLINE_BUDGET seconds: an
article with the HTML card and its as-of date, plus the chart as a cached photo when the bot
sent that chart for that session before (its Telegram ``file_id`` is stored). ``cache_time``
lasts until the next expected close. A query that is not a pair, a symbol or a basket, or
names something not stored, gets no results and a button to the private chat: never an error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Literal

from telegram import (
    InlineQueryResult,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import InlineQueryHandler

from analytics.types import Universe
from bot.app.context import BotApplication, BotContext
from bot.commands.registry import UserError
from bot.handlers.sectors import BOARD, DEFAULT_HORIZON, MAP_CHART, map_caption, sector_board
from bot.queries.fetcher import NotStored
from bot.queries.readapi import (
    chat_universe,
    leg_id,
    pair_view,
    parse_symbol,
    require_stored,
    snapshot_for,
    ticker_view,
)
from bot.render.format import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    asof_line,
    esc,
    fit_html,
    fits,
    html_to_plain,
)
from bot.render.market import pair_html, ticker_html
from bot.render.rotation import regime_line, rotation_caption, rotation_html
from bot.render.sectors import board_html
from bot.services import Services
from jobs.schedule import next_run
from storage.dashboards import chart_file

#: Seconds an inline answer may take (Telegram drops answers to queries older than ~10 s).
INLINE_BUDGET = 4.0
MAX_QUERY_CHARS = 64
MIN_CACHE_SECONDS = 60
MAX_CACHE_SECONDS = 4 * 24 * 3600
#: cache_time of "no results": short, so a symbol fetched meanwhile shows up soon.
EMPTY_CACHE_SECONDS = 30
START_PARAMETER = "inline"
BUTTON_TEXT = "Open the bot for help"
_PAIR_WORDS = frozenset({"VS", "V", "VS.", "AGAINST"})

Kind = Literal["board", "pair", "symbol", "sectors"]


@dataclass(frozen=True)
class InlineQueryKind:
    """What an inline query asks for: the scoreboard, a pair (a, b) or a symbol (a)."""

    kind: Kind
    a: str | None = None
    b: str | None = None


@dataclass(frozen=True)
class InlineAnswer:
    """The results, how long Telegram may cache them, and the button (when no results)."""

    results: list[InlineQueryResult] = field(default_factory=list)
    cache_time: int = EMPTY_CACHE_SECONDS
    button: InlineQueryResultsButton | None = None
    #: Telegram caches the answer for this user only: a user with baskets of their own, and
    #: "no results" (a name that is nobody's basket here may be someone's own).
    personal: bool = False


def parse_query(
    services: Services, text: str, universe: Universe | None = None
) -> InlineQueryKind | None:
    """The kind of an inline query text (baskets of ``universe``: the user's private chat's,
    default the bundled ones); None for anything that is not one."""
    cleaned = text.strip()
    if not cleaned:
        return InlineQueryKind("board")
    if len(cleaned) > MAX_QUERY_CHARS or any(not ch.isprintable() for ch in cleaned):
        return None
    if cleaned.lower() == BOARD and BOARD in services.universe.boards:
        return InlineQueryKind("sectors")
    words = [w for w in cleaned.replace("/", " ").split() if w.upper() not in _PAIR_WORDS]
    if not 1 <= len(words) <= 2:
        return None
    try:
        names = [parse_symbol(services, w, "", universe) for w in words]
    except UserError:
        return None
    if len(names) == 1:
        return InlineQueryKind("symbol", names[0])
    if names[0] == names[1]:
        return None
    return InlineQueryKind("pair", names[0], names[1])


def cache_seconds(services: Services, now: dt.datetime) -> int:
    """Seconds until the next expected close + the daily offset (when new numbers come)."""
    offset = dt.timedelta(minutes=services.settings.daily_offset_minutes)
    until = (next_run(services.calendar, now, offset).at - now).total_seconds()
    return int(min(max(until, MIN_CACHE_SECONDS), MAX_CACHE_SECONDS))


def nothing() -> InlineAnswer:
    """No results, and a button that opens the private chat (/start inline)."""
    return InlineAnswer(
        button=InlineQueryResultsButton(BUTTON_TEXT, start_parameter=START_PARAMETER),
        personal=True,
    )


def _result_id(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def _article(key: str, session: dt.date, title: str, html: str) -> InlineQueryResultArticle:
    text = fit_html(html, TEXT_LIMIT)
    description = html_to_plain(f"{asof_line(session)}")
    return InlineQueryResultArticle(
        _result_id("a", key, session),
        title=title,
        description=description,
        input_message_content=InputTextMessageContent(text, parse_mode=ParseMode.HTML),
    )


def _photo(
    services: Services, chart: str, session: dt.date, caption: str
) -> InlineQueryResultCachedPhoto | None:
    file_id = chart_file(services.db, chart, session)
    if file_id is None:
        return None
    if not fits(caption, CAPTION_LIMIT):
        caption = asof_line(session)
    return InlineQueryResultCachedPhoto(
        _result_id("p", chart, session),
        file_id,
        title=f"{chart.split(':', 1)[-1]} chart",
        caption=caption,
        parse_mode=ParseMode.HTML,
    )


async def answer_query(
    services: Services, text: str, now: dt.datetime, user_id: int | None = None
) -> InlineAnswer:
    """The inline answer for ``text`` (stored data only; never raises for user input). The
    user's own baskets are those of their private chat with the bot (its id is theirs)."""
    uni = chat_universe(services, user_id)
    wanted = parse_query(services, text, uni)
    if wanted is None:
        return nothing()
    try:
        results = await _results(services, wanted, uni)
    except (UserError, NotStored):
        return nothing()
    found = [r for r in results if r is not None]
    personal = uni is not services.universe
    return InlineAnswer(found, cache_seconds(services, now), personal=personal)


async def _results(
    services: Services, wanted: InlineQueryKind, uni: Universe
) -> list[InlineQueryResult | None]:
    if wanted.kind == "board":
        snap = await snapshot_for(services, None)
        html = rotation_html(snap, services.universe.headline, "1m")
        lead = snap.pairs.get(snap.lead_pair)
        title = "Rotation scoreboard"
        if lead is not None:
            title += f" · {html_to_plain(regime_line(lead))}"
        return [
            _article("board", snap.session, title, html),
            _photo(services, f"ratio:{snap.lead_pair}", snap.session, rotation_caption(snap)),
        ]
    if wanted.kind == "sectors":
        snap = await snapshot_for(services, None)
        board = sector_board(snap)
        params = snap.quadrant_params
        html = board_html(board, DEFAULT_HORIZON, params.ema, params.momentum_shift)
        leaders = ", ".join(r.symbol for r in board.rows[:3])
        return [
            _article("sectors", board.session, f"Sector rotation · leaders {leaders}", html),
            _photo(services, MAP_CHART, board.session, map_caption(board)),
        ]
    if wanted.kind == "pair":
        assert wanted.a is not None
        assert wanted.b is not None
        a, b = require_stored(services, [wanted.a, wanted.b], "", uni)
        view = await pair_view(services, a, b, None, universe=uni)
        title = f"{a} / {b} · {html_to_plain(regime_line(view.stats))}"
        caption = f"<b>{esc(a)} / {esc(b)}</b> ratio\n{asof_line(view.session)}"
        legs = f"{leg_id(services, uni, a)}/{leg_id(services, uni, b)}"
        return [
            _article(f"pair:{legs}", view.session, title, pair_html(view)),
            _photo(services, f"ratio:{legs}", view.session, caption),
        ]
    assert wanted.a is not None
    [name] = require_stored(services, [wanted.a], "", uni)
    tview = await ticker_view(services, name, None, uni)
    title = f"{name} · last close {tview.stats.last_close:,.2f}"
    caption = f"<b>{esc(name)}</b>: a year of closes\n{asof_line(tview.session)}"
    leg = leg_id(services, uni, name)
    return [
        _article(f"symbol:{leg}", tview.session, title, ticker_html(tview)),
        _photo(services, f"price:{leg}", tview.session, caption),
    ]


# -- the Telegram handler ----------------------------------------------------------------

log = logging.getLogger(__name__)
# Answers that ran past the budget and are finishing in the background (kept referenced).
_LATE: set[asyncio.Future[InlineAnswer]] = set()


def _finished(work: asyncio.Future[InlineAnswer]) -> None:
    _LATE.discard(work)
    if not work.cancelled() and work.exception() is not None:
        log.warning("a late inline answer failed: %s", work.exception())


async def on_inline_query(update: Update, context: BotContext) -> None:
    """Answer within INLINE_BUDGET seconds; anything slower or broken gets no results."""
    query = update.inline_query
    if query is None:
        return
    services = context.services
    answer: InlineAnswer
    work = asyncio.ensure_future(
        answer_query(services, query.query, services.clock(), query.from_user.id)
    )
    try:
        # Shielded: past the budget the user gets no results now, and the work (a snapshot
        # built cold, say) still finishes and fills the caches for the next query.
        answer = await asyncio.wait_for(asyncio.shield(work), INLINE_BUDGET)
    except TimeoutError:
        log.warning("inline query took longer than %.0f s; answered with no results", INLINE_BUDGET)
        _LATE.add(work)
        work.add_done_callback(_finished)
        answer = nothing()
    except Exception:  # a bug must not leave the user with a spinner: log it, answer empty
        log.exception("inline query failed; answered with no results")
        answer = nothing()
    await query.answer(
        answer.results,
        cache_time=answer.cache_time,
        button=answer.button,
        is_personal=answer.personal,
    )


def install(app: BotApplication) -> None:
    """Register the inline query handler."""
    app.add_handler(InlineQueryHandler(on_inline_query))
