"""Market commands: /start, /help, /rotation, /ticker, /pair, /quadrant, /history.

Thin handlers: parse the arguments, read through bot.queries.readapi, render, return a Reply.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Hashable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from analytics.types import HORIZONS, Universe
from bot.commands.access import is_operator
from bot.commands.registry import (
    AppLink,
    ChatType,
    Command,
    CommandTable,
    Keyboard,
    Reply,
    Request,
    UserError,
    find,
)
from bot.handlers.sectors import BOARD, quadrant_sectors
from bot.handlers.subscriptions import start_payload
from bot.queries.charts import chart_for
from bot.queries.readapi import (
    chat_universe,
    leg_id,
    pair_view,
    parse_symbol,
    require_stored,
    snapshot_for,
    ticker_view,
)
from bot.render.common import help_html, start_html
from bot.render.format import asof_line, esc
from bot.render.history import history_html, quadrant_html
from bot.render.market import pair_html, ticker_html
from bot.render.rotation import (
    HORIZON_LABELS,
    horizon_window,
    ratio_subtitle,
    rotation_caption,
    rotation_html,
)
from bot.services import Services
from bot.views import TickerView

if TYPE_CHECKING:  # telegram is imported where it is used: offline faces never load it
    from telegram import Update
    from telegram.ext import Application

    from bot.app.context import BotContext

MAX_ARGS_CHARS = 64
DEFAULT_HORIZON = "1m"
#: The Mini App's scoreboard (the button under /rotation answers).
BOARD_VIEW = AppLink("board")
ROTATION_USAGE = "/rotation [1d|1w|1m|3m|ytd|1y]"
TICKER_USAGE = "/ticker SYMBOL"
PAIR_USAGE = "/pair A B [1d|1w|1m|3m|ytd|1y]"
HISTORY_USAGE = "/history [A/B]"
CALLBACK_RE = re.compile(r"^rot:(1d|1w|1m|3m|ytd|1y)(:r)?$")
_PAIR_WORDS = frozenset({"VS", "V", "VS.", "AGAINST"})
# Something meant as a horizon (2y, 6m, 10d, mtd), told apart from a third symbol.
_HORIZON_LIKE = re.compile(r"\d{1,3}[a-z]{1,6}|[a-z]td", re.IGNORECASE)


def check_args(request: Request, usage: str, most: int) -> tuple[str, ...]:
    """The arguments, or UserError when there are too many, too long, or control characters."""
    raw = request.raw_args
    if len(raw) > MAX_ARGS_CHARS:
        raise UserError("That is too long for a command argument.", usage)
    if any(not ch.isprintable() for ch in raw):
        raise UserError("The arguments contain control characters.", usage)
    if len(request.args) > most:
        raise UserError(f"Too many arguments for /{request.command}.", usage)
    return request.args


def parse_horizon(text: str, usage: str) -> str:
    """A horizon name (case-insensitive) or UserError naming the valid ones."""
    horizon = text.lower()
    if horizon not in HORIZONS:
        shown = text if len(text) <= 12 else text[:12] + "…"
        raise UserError(f"Unknown horizon “{shown}”; use one of {', '.join(HORIZONS)}.", usage)
    return horizon


def parse_pair(
    services: Services, raw: str, usage: str, universe: Universe | None = None
) -> tuple[str, str, str | None]:
    """(A, B, horizon or None) from "A B", "A/B", "A vs B", optionally followed by a horizon
    (baskets of ``universe``: the chat's, default the bundled ones)."""
    words = [w for w in raw.replace("/", " ").split() if w.upper() not in _PAIR_WORDS]
    command = usage.split()[0]
    takes_horizon = "|ytd|" in usage
    horizon = None
    if len(words) == 3:
        last = words[-1]
        if takes_horizon and (last.lower() in HORIZONS or _HORIZON_LIKE.fullmatch(last)):
            horizon = parse_horizon(words.pop(), usage)
        else:
            shown = ", ".join(w[:12] for w in words)
            after = (
                f"; a horizon after them is one of {', '.join(HORIZONS)}" if takes_horizon else ""
            )
            raise UserError(f"A pair is two symbols, not three ({shown}){after}.", usage)
    if len(words) != 2:
        raise UserError(f"Give two symbols, e.g. {command} IWM/SPY.", usage)
    a, b = (parse_symbol(services, w, usage, universe) for w in words)
    if a == b:
        raise UserError(f"A pair needs two different symbols, not {a} twice.", usage)
    return a, b, horizon


# -- /rotation ---------------------------------------------------------------------------


def rotation_keyboard(horizon: str) -> Keyboard:
    """Horizon switch (current one marked) and Refresh; data "rot:<h>" / "rot:<h>:r"."""
    switch = tuple(
        (f"· {HORIZON_LABELS[h]} ·" if h == horizon else HORIZON_LABELS[h], f"rot:{h}")
        for h in HORIZONS
    )
    return (switch, (("🔄 Refresh", f"rot:{horizon}:r"),))


async def chart(
    request: Request,
    key: tuple[Hashable, ...],
    session: dt.date,
    draw: Callable[[ModuleType], bytes],
) -> bytes | None:
    """The PNG of ``draw(bot.render.charts)`` for ``key`` on ``session`` (``chart_for``:
    cached, flood-checked), or None when the request wants no chart (a text-only ``ask``):
    matplotlib is then never imported."""
    if not request.charts:
        return None
    from bot.render import charts  # start-up cost: matplotlib only when a chart is drawn

    return await chart_for(request, key, session, lambda: draw(charts))


async def rotation_text(request: Request, horizon: str) -> Reply:
    """The scoreboard without the chart (button edits)."""
    snap = await snapshot_for(request.services, request.asof)
    html = rotation_html(snap, request.services.universe.headline, horizon)
    return Reply(html, keyboard=rotation_keyboard(horizon), webapp=BOARD_VIEW)


async def cmd_rotation(request: Request) -> Reply:
    """/rotation [horizon]: the scoreboard and the lead pair's ratio chart."""
    args = check_args(request, ROTATION_USAGE, 1)
    horizon = parse_horizon(args[0], ROTATION_USAGE) if args else DEFAULT_HORIZON
    services = request.services
    snap = await snapshot_for(services, request.asof)
    lead = services.universe.pair(snap.lead_pair)
    photo = None
    if lead.key in snap.pairs:  # no chart (but the scoreboard) while the lead pair has no data
        view = await pair_view(services, lead.a, lead.b, request.asof)
        subtitle = f"{ratio_subtitle(view.stats)} · as of {snap.session} close"
        photo = await chart(
            request,
            ("ratio", lead.key),
            snap.session,
            lambda c: c.ratio_chart(view.series, lead.a, lead.b, subtitle),
        )
    html = rotation_html(snap, services.universe.headline, horizon)
    return Reply(
        html,
        photo=photo,
        keyboard=rotation_keyboard(horizon),
        caption=rotation_caption(snap),
        chart=(f"ratio:{lead.key}", snap.session),
        webapp=BOARD_VIEW,
    )


# -- /ticker /pair /quadrant /history ---------------------------------------------------


def price_unit(view: TickerView) -> str:
    """The y-axis label of a /ticker chart: what the plotted level is, in which unit."""
    if view.stats.is_yield:
        return "yield (%)"
    if view.basket is not None or view.label is not None:
        return "basket level (equal weight)"
    if not view.stats.total_return:
        return "index level (points)"
    return "adjusted close (USD)"


async def cmd_ticker(request: Request) -> Reply:
    """/ticker SYMBOL: returns, relative performance, range, rotation role, price chart."""
    args = check_args(request, TICKER_USAGE, 1)
    if not args:
        raise UserError("Which symbol? For example /ticker IWM.", TICKER_USAGE)
    services = request.services
    uni = chat_universe(services, request.chat_id)
    name = parse_symbol(services, args[0], TICKER_USAGE, uni)
    [name] = require_stored(services, [name], TICKER_USAGE, uni)
    view = await ticker_view(services, name, request.asof, uni)
    subtitle = f"a year of closes, 50-session average · as of {view.session} close"
    unit = price_unit(view)
    leg = leg_id(services, uni, name)
    photo = await chart(
        request,
        ("price", leg),
        view.session,
        lambda c: c.price_chart(view.series, name, subtitle, unit),
    )
    caption = f"<b>{esc(name)}</b>: a year of closes\n{asof_line(view.session)}"
    cached = (f"price:{leg}", view.session)
    return Reply(ticker_html(view), photo=photo, caption=caption, chart=cached)


async def cmd_pair(request: Request) -> Reply:
    """/pair A B [horizon]: spread, ratio, regime and the ratio chart of any two symbols."""
    check_args(request, PAIR_USAGE, 5)
    services = request.services
    uni = chat_universe(services, request.chat_id)
    a, b, horizon = parse_pair(services, request.raw_args, PAIR_USAGE, uni)
    a, b = require_stored(services, [a, b], PAIR_USAGE, uni)
    view = await pair_view(services, a, b, request.asof, universe=uni)
    subtitle = f"{ratio_subtitle(view.stats)} · as of {view.session} close"
    label = HORIZON_LABELS[horizon] if horizon else ""
    window = horizon_window(view.series.index, horizon, label) if horizon else None
    legs = f"{leg_id(services, uni, a)}/{leg_id(services, uni, b)}"
    photo = await chart(
        request,
        ("ratio", legs, horizon),
        view.session,
        lambda c: c.ratio_chart(view.series, a, b, subtitle, window),
    )
    marked = f" · {label} marked" if window is not None else ""
    caption = f"<b>{esc(a)} / {esc(b)}</b> ratio{marked}\n{asof_line(view.session)}"
    # Inline answers reuse the plain chart only (not one with a horizon marked).
    cached = (f"ratio:{legs}", view.session) if window is None else None
    return Reply(
        pair_html(view, horizon),
        photo=photo,
        caption=caption,
        chart=cached,
        # the Mini App reads the bundled names only: no button for a chat's own basket
        webapp=AppLink("pair", (("pair", f"{a}/{b}"),)) if legs == f"{a}/{b}" else None,
    )


QUADRANT_USAGE = "/quadrant [sectors]"


async def cmd_quadrant(request: Request) -> Reply:
    """/quadrant [sectors]: the strength quadrant of the universe members with weekly tails;
    ``sectors``: the sector rotation map (the /sectors chart)."""
    args = check_args(request, QUADRANT_USAGE, 1)
    if args:
        if args[0].lower() != BOARD:
            raise UserError(
                f"Too many arguments for /quadrant: it takes nothing or {BOARD}.", QUADRANT_USAGE
            )
        return await quadrant_sectors(request, QUADRANT_USAGE)
    services = request.services
    snap = await snapshot_for(services, request.asof)
    trails = [t for k, t in snap.quadrants.items() if "/" not in k and t.current is not None]
    if not trails:
        raise UserError("Not enough history for the strength quadrant yet.", "/quadrant")
    bench = services.universe.benchmark
    subtitle = f"weekly tails, {snap.quadrant_params.tail_weeks} weeks · as of {snap.session} close"
    photo = await chart(
        request, ("quadrant",), snap.session, lambda c: c.quadrant_chart(trails, bench, subtitle)
    )
    params = snap.quadrant_params
    html = quadrant_html(snap.quadrants, bench, snap.session, params.ema, params.momentum_shift)
    caption = f"<b>Strength quadrant</b> vs {esc(bench)}\n{asof_line(snap.session)}"
    return Reply(html, photo=photo, caption=caption, webapp=AppLink("map"))


async def cmd_history(request: Request) -> Reply:
    """/history [A/B]: past flips of a pair with durations, forward returns and hit rates."""
    check_args(request, HISTORY_USAGE, 3)
    services = request.services
    snap = await snapshot_for(services, request.asof)
    if not request.args:
        stats = snap.pairs.get(snap.lead_pair)
        if stats is None:
            raise UserError("The lead pair has no data yet.", HISTORY_USAGE)
        return Reply(history_html(stats, snap.session))
    uni = chat_universe(services, request.chat_id)
    a, b, _ = parse_pair(services, request.raw_args, HISTORY_USAGE, uni)
    a, b = require_stored(services, [a, b], HISTORY_USAGE, uni)
    view = await pair_view(services, a, b, request.asof, universe=uni)
    return Reply(history_html(view.stats, view.session))


# -- /start /help ------------------------------------------------------------------------


#: A deep-link payload handler: ``/start sub_...`` goes to the subscriptions module.
StartPayload = Callable[[Request, str], Awaitable[Reply]]
#: The table /start and /help list, given to them: ``bot.handlers`` fills it with every
#: module's commands (these two included).
TABLE = CommandTable()


def start_and_help(
    table: Callable[[], Sequence[Command]], start_payload: StartPayload
) -> tuple[Command, Command]:
    """/start and /help, built from the command ``table`` they are given (a getter: the table
    holds them too) and the handler of ``/start sub_...`` deep links."""

    async def cmd_start(request: Request) -> Reply:
        """/start [payload]: what the bot does; deep-link payloads go to their module."""
        payload = request.raw_args.strip()
        if payload.startswith("sub_"):
            return await start_payload(request, payload)
        keyboard: Keyboard = ((("📊 Rotation", f"rot:{DEFAULT_HORIZON}"), ("❓ Help", "help")),)
        return Reply(start_html(table()), keyboard=keyboard)

    async def cmd_help(request: Request) -> Reply:
        """/help: generated from the table."""
        # Operator commands are listed to operators in private only, never to a group's members.
        operator = request.chat_type == ChatType.CONSOLE or (
            request.chat_type == ChatType.PRIVATE
            and is_operator(request.services.settings, request.user_id)
        )
        return Reply(help_html(table(), operator=operator))

    return (
        Command("start", "What this bot does", "/start", cmd_start, hidden=True),
        Command("help", "All commands", "/help", cmd_help),
    )


START, HELP = start_and_help(TABLE, start_payload)

COMMANDS: tuple[Command, ...] = (
    START,
    Command(
        "rotation", "Who leads: the rotation scoreboard", ROTATION_USAGE, cmd_rotation, chart=True
    ),
    Command(
        "ticker", "One symbol or basket: returns, range, role", TICKER_USAGE, cmd_ticker, chart=True
    ),
    Command("pair", "Any two symbols: spread, ratio, regime", PAIR_USAGE, cmd_pair, chart=True),
    Command(
        "quadrant", "Strength quadrant of the universe", QUADRANT_USAGE, cmd_quadrant, chart=True
    ),
    Command("history", "Past flips of a pair and how they played out", HISTORY_USAGE, cmd_history),
    HELP,
)


# -- buttons -----------------------------------------------------------------------------


async def btn_rotation(update: Update, context: BotContext) -> None:
    """Horizon switch / Refresh / Help buttons: edit the same message."""
    from bot.delivery.replies import edit_with, request_from_query  # start-up cost: telegram

    query = update.callback_query
    if query is None or query.data is None:
        return
    request = request_from_query(context.services, update, context.bot)
    if query.data == "help":
        help_command = find(context.bot_data.commands, "help")
        if help_command is not None:
            await edit_with(query, await help_command.handler(request), "")
            return
    match = CALLBACK_RE.match(query.data)
    if match is None:
        await query.answer("This button has expired; send /rotation again.")
        return
    reply = await rotation_text(request, match.group(1))
    app_url = request.services.settings.webapp_url
    await edit_with(query, reply, "Refreshed" if match.group(2) else "", app_url=app_url)


def install(app: Application) -> None:
    """Register the button handler (the catch-all for stale buttons is added by bot.app.builder)."""
    from telegram.ext import (
        CallbackQueryHandler,  # start-up cost: the offline faces never load telegram
    )

    app.add_handler(CallbackQueryHandler(btn_rotation, pattern=r"^(rot:|help$)"))
