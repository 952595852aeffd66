"""Replies of /basket and /baskets: a chat's own equal-weight baskets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from analytics.types import BasketStats
from bot.render.format import asof_line, esc, pct


def coverage_text(stats: BasketStats, session: dt.date) -> str:
    """ "8/10 closed on 2026-03-31; no close: X, Y" and, when the level is older than the
    session, since when (the bundled baskets' rule: too few members closed)."""
    missing = f"; no close: {', '.join(stats.missing)}" if stats.missing else ""
    text = f"{stats.coverage}/{stats.size} closed on {session.isoformat()}{missing}"
    if stats.last_date is None:
        return text + "; no level yet"
    if stats.last_date < session:
        text += (
            f"; level as of {stats.last_date.isoformat()} (it needs {stats.min_members} of "
            f"{stats.size} members with a close)"
        )
    return text


def basket_saved_html(
    name: str, members: Sequence[str], replaced: bool, count: int, most: int
) -> str:
    """The confirmation of ``/basket NAME ...``."""
    verb = "replaced" if replaced else "saved"
    return (
        f"🧺 Basket <b>{esc(name)}</b> {verb}: equal weight of {len(members)} "
        f"({esc(', '.join(members))}), rebalanced daily. Use it in this chat like a symbol: "
        f"/ticker {esc(name)}, /pair {esc(name)} SPY. This chat has {count} of {most} baskets."
    )


def baskets_html(
    rows: Sequence[tuple[str, Sequence[str], BasketStats | None]],
    session: dt.date | None,
    most: int,
) -> str:
    """A chat's baskets: name, members and, where prices are stored, coverage, level date
    and 1M return."""
    if not rows:
        return f"This chat has no baskets yet (up to {most}). Make one: /basket BANKS KRE XLF JPM"
    lines = [f"<b>This chat's baskets</b> ({len(rows)} of {most}, equal weight, daily rebalance)"]
    for name, members, stats in rows:
        lines.append(f"• <b>{esc(name)}</b>: {esc(', '.join(members))}")
        if stats is None or session is None:
            lines.append("  no stored prices yet")
            continue
        month = stats.returns.get("1m")
        lines.append(f"  {esc(coverage_text(stats, session))} · 1M {esc(pct(month))}")
    if session is not None:
        lines.append(asof_line(session))
    lines.append("/basket del NAME removes one.")
    return "\n".join(lines)
