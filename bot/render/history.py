"""/history and /quadrant as HTML: past flips with outcomes, strength quadrant table."""

from __future__ import annotations

import datetime as dt

from analytics.types import PairStats, QuadrantTrail
from bot.render.format import asof_line, esc, pct, share, signed
from bot.render.table import pre_table

MAX_FLIPS = 12
QUADRANT_ORDER = ("leading", "improving", "weakening", "lagging")


def history_html(stats: PairStats, session: dt.date) -> str:
    """Past flips of one pair: date, who took the lead, how long it lasted, forward returns."""
    lines = [f"<b>Flip history</b> · <code>{esc(stats.key)}</code> · {esc(stats.label)}"]
    flips = stats.flips
    if not flips:
        lines.append("No confirmed flip in the stored history.")
        lines.append(asof_line(session))
        return "\n".join(lines)
    outcomes = {o.date: o for o in stats.track.outcomes}
    rows = []
    shown = flips[-MAX_FLIPS:]
    for flip in shown:
        who = stats.a if flip.direction == "A" else stats.b
        nxt = flips.index(flip) + 1
        lasted = flips[nxt].prev_sessions if nxt < len(flips) else stats.regime.sessions
        mark = "" if nxt < len(flips) else "*"
        outcome = outcomes.get(flip.date)
        fwd = outcome.forward if outcome else ()
        cells = [_short(v) for v in (*fwd, None, None, None)[:3]]
        rows.append([flip.date.isoformat(), who, f"{lasted}{mark}", *cells])
    header = ["date", "leader", "lasted", "+5", "+20", "+60"]
    lines.append(pre_table(header, rows, "llrrrr"))
    lines.append(
        "Forward columns: ratio return 5/20/60 sessions after the flip; lasted = sessions "
        "(* still running)."
    )
    rates = []
    for h in ("5", "20", "60"):
        count = stats.track.counts.get(h, 0)
        rate = share(stats.track.hit_rates.get(h))
        mean = pct(stats.track.mean_signed.get(h))
        rates.append(f"+{h}: {rate} of {count} (mean {mean})")
    lines.append("<b>Hit rate</b> (ratio moved the flip's way): " + esc("; ".join(rates)))
    if len(flips) > MAX_FLIPS:
        lines.append(f"<i>Last {MAX_FLIPS} of {len(flips)} flips.</i>")
    lines.append(f"Raw average crosses without band: {stats.raw_crosses} vs {len(flips)} flips.")
    lines.append(asof_line(session))
    return "\n".join(lines)


def _short(value: float | None) -> str:
    return pct(value, 1).replace(" %", "%")


def quadrant_html(
    trails: dict[str, QuadrantTrail], benchmark: str, session: dt.date, ema: int, shift: int
) -> str:
    """Members of the strength quadrant grouped by quadrant, with the transition date."""
    lines = [f"<b>Strength quadrant</b> against {esc(benchmark)}"]
    by_quadrant: dict[str, list[QuadrantTrail]] = {q: [] for q in QUADRANT_ORDER}
    for trail in trails.values():
        if trail.current is not None and "/" not in trail.key:
            by_quadrant[trail.current.quadrant].append(trail)
    for name in QUADRANT_ORDER:
        members = sorted(by_quadrant[name], key=lambda t: -(t.current.strength if t.current else 0))
        if not members:
            continue
        lines.append(f"<b>{name.capitalize()}</b>")
        for t in members:
            assert t.current is not None
            since = f", since {t.since.isoformat()} (from {t.previous})" if t.since else ""
            lines.append(
                f"  <code>{esc(t.key)}</code> strength {signed(t.current.strength - 100)}, "
                f"momentum {signed(t.current.momentum - 100)}{esc(since)}"
            )
    lines.append(
        f"<i>Strength = ratio to {esc(benchmark)} against its {ema}-session average (0 = in "
        f"line); momentum = strength change over {shift} sessions. Tails: weekly.</i>"
    )
    lines.append(asof_line(session))
    return "\n".join(lines)
