"""/sectors [1w|1m|3m]: the sector board and its rotation map (also /quadrant sectors).

Thin: parse the horizon, read the snapshot's board, render, return a Reply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable

from analytics.boards import BOARD_HORIZONS
from analytics.types import BoardStats, QuadrantParams, QuadrantPoint, Snapshot
from bot.commands.registry import AppLink, Command, Reply, Request, UserError
from bot.queries.charts import chart_for
from bot.queries.readapi import snapshot_for
from bot.render.format import asof_line, esc
from bot.render.sectors import board_html, map_png

BOARD = "sectors"
DEFAULT_HORIZON = "1m"
SECTORS_USAGE = "/sectors [1w|1m|3m]"
#: The chart's name for the inline cache (the Telegram file id of the last one sent).
MAP_CHART = "rotation_map:sectors"
#: The Mini App's map of the sectors (the button under /sectors answers).
SECTORS_VIEW = AppLink("map", (("set", "sectors"),))


def sector_board(snap: Snapshot, usage: str = SECTORS_USAGE) -> BoardStats:
    """The snapshot's sector board; UserError when the universe has none or it is empty."""
    board = snap.boards.get(BOARD)
    if board is None or not any(r.trail is not None for r in board.rows):
        raise UserError("No sector prices stored yet (run: rotation-bot prices update).", usage)
    return board


def map_members(board: BoardStats) -> list[tuple[str, tuple[QuadrantPoint, ...]]]:
    """(symbol, weekly tail) of each member with a quadrant."""
    rows = [r for r in board.rows if r.trail is not None and r.trail.current is not None]
    return [(r.symbol, r.trail.tail) for r in rows if r.trail is not None]


def map_subtitle(params: QuadrantParams, session: dt.date) -> str:
    return f"weekly tails, {params.tail_weeks} weeks · as of {session} close"


async def map_photo(request: Request, snap: Snapshot, board: BoardStats) -> bytes | None:
    """The rotation map PNG of the board (cached and flood-checked per session; None for a
    text-only ask: matplotlib is then never imported)."""
    if not request.charts:
        return None
    members = map_members(board)
    subtitle = map_subtitle(snap.quadrant_params, board.session)
    key: tuple[Hashable, ...] = ("rotation_map", board.name)
    return await chart_for(
        request, key, board.session, lambda: map_png(members, board.benchmark, subtitle)
    )


def parse_board_horizon(args: tuple[str, ...]) -> str:
    """The horizon of /sectors (default 1m); UserError for anything else."""
    if len(args) > 1:
        raise UserError("Too many arguments for /sectors.", SECTORS_USAGE)
    if not args:
        return DEFAULT_HORIZON
    text = args[0].lower()
    if text not in BOARD_HORIZONS:
        shown = args[0] if len(args[0]) <= 12 else args[0][:12] + "…"
        raise UserError(
            f"Unknown horizon “{shown}”; /sectors takes {', '.join(BOARD_HORIZONS)}.",
            SECTORS_USAGE,
        )
    return text


def map_caption(board: BoardStats) -> str:
    return f"<b>Sector rotation map</b> vs {esc(board.benchmark)}\n{asof_line(board.session)}"


async def board_reply(request: Request, horizon: str, usage: str) -> Reply:
    """The board as text with the rotation map as its photo."""
    snap = await snapshot_for(request.services, request.asof)
    board = sector_board(snap, usage)
    params = snap.quadrant_params
    photo = await map_photo(request, snap, board)
    html = board_html(board, horizon, params.ema, params.momentum_shift)
    return Reply(
        html,
        photo=photo,
        caption=map_caption(board),
        chart=(MAP_CHART, board.session),
        webapp=SECTORS_VIEW,
    )


async def cmd_sectors(request: Request) -> Reply:
    """/sectors [1w|1m|3m]: the eleven sectors against SPY, leaders first, with the map."""
    return await board_reply(request, parse_board_horizon(request.args), SECTORS_USAGE)


async def quadrant_sectors(request: Request, usage: str) -> Reply:
    """/quadrant sectors: the rotation map of the sectors (the /sectors chart) and the board."""
    return await board_reply(request, DEFAULT_HORIZON, usage)


COMMANDS: tuple[Command, ...] = (
    Command(
        "sectors",
        "Sector rotation: the eleven sectors vs SPY, leaders first",
        SECTORS_USAGE,
        cmd_sectors,
        chart=True,
    ),
)
