"""The pinned dashboard as one photo caption (<= 1024 characters as Telegram counts them)."""

from __future__ import annotations

from analytics.events import DashboardBody, DigestRow
from bot.render.alerts import legs, no_close_since
from bot.render.format import CAPTION_LIMIT, asof_line, esc, fits, pp

HORIZONS_SHOWN = (("1m", "1M"), ("ytd", "YTD"))


def _pair_line(row: DigestRow) -> str:
    a, b = legs(row.pair)
    numbers = " · ".join(
        f"{label} {pp(row.spreads_pp.get(h))}{'*' if row.gaps.get(h) else ''}"
        for h, label in HORIZONS_SHOWN
    )
    if row.state not in ("A", "B"):
        who = "no regime yet"
    else:
        since = f" since {row.since.isoformat()}" if row.since else ""
        who = f"<b>{esc(a if row.state == 'A' else b)}</b>{esc(since)}"
    return f"<code>{esc(row.pair)}</code> {who} · {esc(numbers)}"


def dashboard_html(body: DashboardBody) -> str:
    """Every preset pair's leader, since when and 1M/YTD spreads; breadth; the as-of line.

    Pairs that would push the caption past 1024 characters are left out and counted.
    """
    head = "📌 <b>Rotation dashboard</b> · who leads, since when (spreads A − B)"
    tail = []
    if body.breadth:
        tail.append(f"Breadth: <b>{esc(body.breadth)}</b>")
    tail += [asof_line(body.session), "Updated after each NYSE close · /rotation for details"]
    rows: list[tuple[DigestRow | None, str]] = [(r, _pair_line(r)) for r in body.rows]
    rows += [
        (None, f"<code>{esc(k)}</code> {esc(no_close_since(v))}") for k, v in body.no_close.items()
    ]
    total = len(rows)
    while True:
        shown = [head, *(line for _, line in rows)]
        hidden = total - len(rows)
        if hidden:
            shown.append(f"… and {hidden} more pair(s)")
        note = _gap_note([r for r, _ in rows if r is not None])
        if note is not None:
            shown.append(f"<i>{esc(note)}</i>")
        html = "\n".join([*shown, *tail])
        if fits(html, CAPTION_LIMIT) or not rows:
            return html
        rows.pop()


def _gap_note(rows: list[DigestRow]) -> str | None:
    """One short footnote for the spreads marked "*" (their window spans sessions without a
    close of a leg), naming the legs; None when none is marked."""
    spans = [
        (row.gaps[h], row.gap_legs or legs(row.pair))
        for row in rows
        for h, _ in HORIZONS_SHOWN
        if row.gaps.get(h)
    ]
    if not spans:
        return None
    most = max(count for count, _ in spans)
    names = " or ".join(dict.fromkeys(leg for _, these in spans for leg in these))
    return f"* the window spans up to {most} session(s) with no {names} close"
