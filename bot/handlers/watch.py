"""/watch: the chat's own watchlist on the strength quadrant against its benchmark.

``/watch`` answers the board (the /sectors columns and numbers) and its rotation map;
``/watch add SYM ...``, ``/watch del SYM ...`` and ``/watch vs SYM`` change it (in groups,
admins only). The limits of a watchlist are here, checked before anything is written;
symbols not stored yet are fetched in the background (``NotStored``), as /ticker does, and
the command runs again once they are in.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace

from analytics.boards import BOARD_HORIZONS
from analytics.types import BoardStats
from bot.commands.access import require_admin
from bot.commands.registry import GROUP_TYPES, AppLink, Command, Reply, Request, UserError
from bot.handlers.sectors import DEFAULT_HORIZON, map_members, map_subtitle
from bot.queries.charts import chart_for
from bot.queries.readapi import parse_symbol, require_price, require_stored, watch_view
from bot.render.format import asof_line, esc
from bot.render.sectors import board_html, map_png
from bot.services import utc_now
from bot.views import WatchView
from storage.chats import get_chat, update_settings, upsert_chat
from storage.custom import add_watch, remove_watch, watchlist
from storage.db import transaction

#: The most symbols one chat's watchlist holds.
MAX_WATCH = 25
DEFAULT_BENCHMARK = "SPY"
WATCH_USAGE = (
    f"/watch [1w|1m|3m] · /watch add SYM ... · /watch del SYM ... · /watch vs SYM "
    f"(up to {MAX_WATCH} symbols; benchmark {DEFAULT_BENCHMARK} by default)"
)
WATCH_TITLE = "Your watchlist"
ADD_WORDS = ("add",)
DEL_WORDS = ("del", "delete", "rm", "remove")
#: The Mini App's map of the chat's watchlist (the button under /watch answers).
WATCH_VIEW = AppLink("map", (("set", "watch"),))


def _shown(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


def parse_watch_symbol(request: Request, text: str) -> str:
    """One symbol a watchlist can hold: a price (not a yield or volatility level, which have
    no ratio to a benchmark) and not a bundled basket. UserError otherwise."""
    symbol = parse_symbol(request.services, text, WATCH_USAGE)
    if request.services.universe.basket(symbol) is not None:
        raise UserError(
            f"{symbol} is a basket; a watchlist holds symbols (its members, say).", WATCH_USAGE
        )
    require_price(symbol, WATCH_USAGE, "it has no ratio to a benchmark")
    return symbol


def parse_watch_symbols(request: Request, args: tuple[str, ...]) -> list[str]:
    """The symbols of ``/watch add|del SYM ...`` (distinct, in order); UserError for none,
    too many or any bad one."""
    if not args:
        raise UserError("Name at least one symbol.", WATCH_USAGE)
    if len(args) > MAX_WATCH:
        raise UserError(f"A watchlist holds at most {MAX_WATCH} symbols.", WATCH_USAGE)
    return list(dict.fromkeys(parse_watch_symbol(request, a) for a in args))


async def _require_changer(request: Request) -> None:
    """In groups only admins change the watchlist (the project's one admin check)."""
    if request.chat_type not in GROUP_TYPES:
        return
    try:
        await require_admin(request, "In groups, only chat admins can change the watchlist.")
    except UserError as refused:
        raise UserError(refused.message, WATCH_USAGE) from None


def _benchmark(request: Request) -> str:
    chat = get_chat(request.services.db, request.chat_id)
    return chat.watch_benchmark if chat is not None else DEFAULT_BENCHMARK


async def watch_add(request: Request, args: tuple[str, ...]) -> Reply:
    """/watch add SYM ...: checked in full (count, symbols, access, stored) before writing."""
    symbols = parse_watch_symbols(request, args)
    db = request.services.db
    benchmark = _benchmark(request)
    if benchmark in symbols:
        raise UserError(
            f"{benchmark} is this watchlist's benchmark; /watch vs SYM changes it.", WATCH_USAGE
        )
    have = watchlist(db, request.chat_id)
    total = len(dict.fromkeys([*have, *symbols]))
    if total > MAX_WATCH:
        raise UserError(
            f"That makes {total} symbols; a watchlist holds at most {MAX_WATCH} "
            f"(it has {len(have)}; /watch del SYM makes room).",
            WATCH_USAGE,
        )
    await _require_changer(request)
    symbols = require_stored(request.services, symbols, WATCH_USAGE)
    with transaction(db):
        upsert_chat(db, request.chat_id, request.chat_type, now=utc_now())
        added = add_watch(db, request.chat_id, symbols, now=utc_now())
        count = len(watchlist(db, request.chat_id))
    names = esc(", ".join(symbols))
    what = f"Added {names}" if added else f"{names} already in the watchlist"
    return Reply(
        f"👀 {what}: {count} of {MAX_WATCH} symbols against {esc(benchmark)}. "
        "/watch shows the board; /subscribe watch alerts when one enters leading or lagging."
    )


async def watch_del(request: Request, args: tuple[str, ...]) -> Reply:
    """/watch del SYM ...: every symbol must be in the watchlist, or nothing is removed."""
    symbols = parse_watch_symbols(request, args)
    db = request.services.db
    have = watchlist(db, request.chat_id)
    absent = [s for s in symbols if s not in have]
    if absent:
        raise UserError(
            f"{_shown(', '.join(absent))} is not in this watchlist; /watch shows it.", WATCH_USAGE
        )
    await _require_changer(request)
    with transaction(db):
        remove_watch(db, request.chat_id, symbols)
        left = len(watchlist(db, request.chat_id))
    return Reply(f"Removed {esc(', '.join(symbols))}: {left} of {MAX_WATCH} symbols left.")


async def watch_vs(request: Request, args: tuple[str, ...]) -> Reply:
    """/watch vs SYM: the watchlist's benchmark."""
    if len(args) != 1:
        raise UserError("Name one benchmark, e.g. /watch vs IWM.", WATCH_USAGE)
    benchmark = parse_watch_symbol(request, args[0])
    await _require_changer(request)
    [benchmark] = require_stored(request.services, [benchmark], WATCH_USAGE)
    db = request.services.db
    with transaction(db):
        chat = upsert_chat(db, request.chat_id, request.chat_type, now=utc_now())
        update_settings(db, replace(chat, watch_benchmark=benchmark), now=utc_now())
    inside = (
        " (it is in the watchlist too: its own row is left out)"
        if benchmark in watchlist(db, request.chat_id)
        else ""
    )
    return Reply(f"👀 The watchlist is now read against {esc(benchmark)}{esc(inside)}.")


def parse_horizon(args: tuple[str, ...]) -> str:
    """The board's horizon (default 1m); UserError for anything else."""
    if not args:
        return DEFAULT_HORIZON
    text = args[0].lower()
    if len(args) > 1 or text not in BOARD_HORIZONS:
        raise UserError(f"Unknown /watch argument “{_shown(args[0])}”.", WATCH_USAGE)
    return text


def empty_html(view: WatchView) -> str:
    return (
        f"Your watchlist is empty. Add up to {MAX_WATCH} symbols: /watch add IWM KRE XLK "
        f"(read against {esc(view.benchmark)}; /watch vs SYM changes it)."
    )


def map_caption(board: BoardStats) -> str:
    return f"<b>Watchlist rotation map</b> vs {esc(board.benchmark)}\n{asof_line(board.session)}"


async def map_photo(request: Request, view: WatchView, board: BoardStats) -> bytes | None:
    """The watchlist's rotation map (None: text-only ask, or nothing on the quadrant yet)."""
    members = map_members(board)
    if not request.charts or not members:
        return None
    subtitle = map_subtitle(view.params, board.session)
    key: tuple[Hashable, ...] = ("rotation_map", "watch", board.benchmark, view.symbols)
    return await chart_for(
        request,
        key,
        board.session,
        lambda: map_png(members, board.benchmark, subtitle, "Watchlist rotation map"),
    )


async def watch_board(request: Request, horizon: str) -> Reply:
    """The chat's watchlist board with its rotation map."""
    view = await watch_view(request.services, request.chat_id, request.asof)
    board = view.board
    if board is None:
        return Reply(empty_html(view))
    html = board_html(
        board, horizon, view.params.ema, view.params.momentum_shift, title=WATCH_TITLE
    )
    photo = await map_photo(request, view, board)
    return Reply(
        html, photo=photo, caption=map_caption(board) if photo else None, webapp=WATCH_VIEW
    )


async def cmd_watch(request: Request) -> Reply:
    """/watch [1w|1m|3m] · add SYM ... · del SYM ... · vs SYM."""
    args = request.args
    verb = args[0].lower() if args else ""
    if verb in ADD_WORDS:
        return await watch_add(request, args[1:])
    if verb in DEL_WORDS:
        return await watch_del(request, args[1:])
    if verb == "vs":
        return await watch_vs(request, args[1:])
    return await watch_board(request, parse_horizon(args))


COMMANDS: tuple[Command, ...] = (
    Command(
        "watch",
        "Your watchlist on the rotation map vs its benchmark (add, del, vs)",
        WATCH_USAGE,
        cmd_watch,
        chart=True,
    ),
)
