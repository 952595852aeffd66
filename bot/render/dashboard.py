"""The pinned dashboard as one photo caption (<= 1024 characters as Telegram counts them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.offline import html_to_plain
from bot.render.alerts import legs, no_close_since
from bot.render.format import CAPTION_LIMIT, asof_line, esc, pp, utf16_len

HORIZONS_SHOWN = (("1m", "1M"), ("ytd", "YTD"))


def _pair_line(row: Mapping[str, Any]) -> str:
    pair = str(row["pair"])
    if "stale_since" in row:  # no close of a leg on the session: no figures under its date
        return f"<code>{esc(pair)}</code> {esc(no_close_since(row['stale_since']))}"
    a, b = legs(pair)
    state = row.get("state")
    spreads = row.get("spreads_pp") or {}
    numbers = " · ".join(f"{label} {pp(spreads.get(h))}" for h, label in HORIZONS_SHOWN)
    if state not in ("A", "B"):
        who = "no regime yet"
    else:
        since = f" since {row['since']}" if row.get("since") else ""
        who = f"<b>{esc(a if state == 'A' else b)}</b>{esc(since)}"
    return f"<code>{esc(pair)}</code> {who} · {esc(numbers)}"


def dashboard_html(payload: Mapping[str, Any]) -> str:
    """Every preset pair's leader, since when and 1M/YTD spreads; breadth; the as-of line.

    Pairs that would push the caption past 1024 characters are left out and counted.
    """
    session = dt.date.fromisoformat(str(payload["session"]))
    head = "📌 <b>Rotation dashboard</b> · who leads, since when (spreads A − B)"
    breadth = (payload.get("breadth") or {}).get("state")
    tail = []
    if breadth:
        tail.append(f"Breadth: <b>{esc(breadth)}</b>")
    tail += [asof_line(session), "Updated after each NYSE close · /rotation for details"]
    rows = [_pair_line(r) for r in payload.get("pairs") or []]
    while True:
        shown = [head, *rows]
        hidden = len(payload.get("pairs") or []) - len(rows)
        if hidden:
            shown.append(f"… and {hidden} more pair(s)")
        html = "\n".join([*shown, *tail])
        if utf16_len(html_to_plain(html)) <= CAPTION_LIMIT or not rows:
            return html
        rows.pop()
