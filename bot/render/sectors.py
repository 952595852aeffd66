"""/sectors and the rotation map as HTML: the sector board, sector alerts, the weekly map.

Strength and momentum are the /quadrant numbers (two decimals, as the chart plots them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from analytics.events import RotationMap, SectorAlert
from analytics.types import BoardStats, QuadrantPoint
from bot.render.format import asof_line, esc, own_date, plural, pp
from bot.render.table import pre_table

BOARD_HORIZON_LABELS = {"1w": "1W", "1m": "1M", "3m": "3M"}


def index_level(value: float) -> str:
    """An index around 100 (strength, momentum): 102.18, the number the chart plots."""
    return f"{value:.2f}"


def _named(board: BoardStats) -> bool:
    """Whether the board's members have names beside their symbols (sectors do; a
    watchlist's members are their symbols, and the name column is left out)."""
    return any(r.name != r.symbol for r in board.rows)


def board_rows(board: BoardStats, horizon: str) -> list[tuple[str, ...]]:
    """One row per member, leaders first: symbol, name (when the board has names),
    quadrant, strength, momentum, sessions in its quadrant, spread against the benchmark
    over ``horizon``."""
    named = _named(board)
    rows: list[tuple[str, ...]] = []
    for row in board.rows:
        current = row.trail.current if row.trail is not None else None
        name = (row.name,) if named else ()
        if current is None or row.trail is None:
            rows.append((row.symbol, *name, "n/a", "n/a", "n/a", "n/a", "n/a"))
            continue
        rows.append(
            (
                row.symbol,
                *name,
                current.quadrant,
                index_level(current.strength),
                index_level(current.momentum),
                str(row.trail.sessions),
                pp(row.spreads_pp.get(horizon)),
            )
        )
    return rows


def board_html(
    board: BoardStats, horizon: str, ema: int, shift: int, title: str = "Sector rotation"
) -> str:
    """A board (the sectors, a chat's watchlist): a table, what the columns are, late
    members with their last close, the as-of line."""
    label = BOARD_HORIZON_LABELS[horizon]
    bench = esc(board.benchmark)
    name = ("sector",) if _named(board) else ()
    header = ("", *name, "quadrant", "strength", "momentum", "sessions", f"{label} vs {bench}")
    align = "l" + "l" * len(name) + "lrrrr"
    lines = [
        f"<b>{esc(title)}</b> against {bench} · leaders first",
        pre_table(header, board_rows(board, horizon), align),
    ]
    late = [
        f"{esc(r.symbol)}{esc(own_date(r.last_date, board.session))}"
        for r in board.rows
        if r.last_date is None or r.last_date < board.session
    ]
    if late:
        lines.append("Late: " + "; ".join(late))
    zones = [r for r in board.rows if r.zone is not None and r.zone_since is not None]
    if zones:
        recent = sorted(zones, key=lambda r: r.zone_since or dt.date.min)[-3:]
        lines.append(
            "Latest zone changes (the alerts): "
            + "; ".join(
                f"{esc(r.symbol)} {r.zone} since {r.zone_since.isoformat()}"
                for r in reversed(recent)
                if r.zone_since is not None
            )
        )
    lines.append(
        f"<i>Strength = 100 × ratio to {bench} / its {ema}-session exponential trend; "
        f"momentum = 100 × strength / strength {shift} sessions earlier (the /quadrant "
        f"numbers). Sessions: how long it has been in its quadrant. {label} vs {bench}: "
        f"return minus {bench}'s, in pp. Order: leading, weakening, improving, lagging, "
        "then by strength.</i>"
    )
    lines.append(asof_line(board.session))
    return "\n".join(lines)


def _who(alert: SectorAlert) -> str:
    return alert.symbol if alert.name == alert.symbol else f"{alert.symbol} ({alert.name})"


def sector_alert_html(alert: SectorAlert) -> str:
    """A board member (or a watched symbol) entered leading or lagging."""
    was = f" (was {alert.previous})" if alert.previous else ""
    where = "your watchlist" if alert.board == "watch" else alert.board
    return "\n".join(
        [
            f"🧭 <b>{esc(_who(alert))} entered {esc(alert.zone)}</b>{esc(was)} against "
            f"{esc(alert.benchmark)} ({esc(where)})",
            f"Strength {index_level(alert.strength)}, momentum {index_level(alert.momentum)} "
            f"(100 = in line with its trend / unchanged); now {esc(alert.quadrant)}.",
            "",
            asof_line(alert.session),
        ]
    )


def sector_alert_line(alert: SectorAlert) -> str:
    """The one-line form (the day's message, replay output)."""
    was = f", was {alert.previous}" if alert.previous else ""
    mine = "your watchlist: " if alert.board == "watch" else ""
    return (
        f"{mine}{_who(alert)} entered {alert.zone} vs {alert.benchmark}{was}: strength "
        f"{index_level(alert.strength)}, momentum {index_level(alert.momentum)}"
    )


def sector_alert_why(alert: SectorAlert) -> str:
    """Why it was sent: the zone rule with its numbers."""
    return (
        f"{alert.symbol} has had strength and momentum both "
        f"{'at or above' if alert.zone == 'leading' else 'at or below'} "
        f"{100 + alert.band if alert.zone == 'leading' else 100 - alert.band:.2f} for "
        f"{plural(alert.confirm, 'session')} in a row (a dead band of {alert.band:.2f} around "
        "100), so its move is confirmed; it alerts again only when it enters the other zone."
    )


def map_html(body: RotationMap) -> str:
    """The weekly rotation map's text: which members changed quadrant this week."""
    changed = body.changed
    lines = [f"🗺 <b>This week's rotation map</b>: {esc(body.label)}"]
    if changed:
        lines += [
            f"  <code>{esc(m.symbol)}</code> {esc(m.name)}: {esc(m.start)} → <b>{esc(m.end)}</b>"
            for m in changed
        ]
    else:
        lines.append("No sector changed quadrant this week.")
    lines += ["", asof_line(body.session)]
    return "\n".join(lines)


def map_line(body: RotationMap) -> str:
    """The one-line form (the day's message, replay output); the chart goes with it."""
    moved = ", ".join(f"{m.symbol} {m.start} → {m.end}" for m in body.changed)
    return f"this week's rotation map ({body.board}): {moved or 'no quadrant changes'}"


def map_png(
    members: Sequence[tuple[str, Sequence[QuadrantPoint]]],
    benchmark: str,
    subtitle: str,
    what: str = "Sector rotation map",
) -> bytes:
    """The rotation map PNG, members coloured in symbol order (a sector keeps its colour
    from one week to the next). Imports matplotlib: call it only when a chart is drawn."""
    from bot.render import charts  # start-up cost: matplotlib only when a chart is drawn

    ordered = sorted(members, key=lambda m: m[0])
    title = f"{what} vs {benchmark}"
    return charts.rotation_map_chart(ordered, benchmark, title, subtitle)


def map_body_png(body: RotationMap) -> bytes:
    """The weekly message's chart, from the data it carries."""
    members = [(m.symbol, m.tail) for m in body.members]
    last = body.members[0].tail[-1].date if body.members else body.session
    return map_png(members, body.benchmark, f"weekly tails · as of {last} close")


def map_why(body: RotationMap) -> str:
    return (
        f"Sent after the week's last session to chats that follow {body.board}; "
        "switch it off with /settings map off."
    )
