"""/history and /quadrant as HTML: past flips with outcomes, strength quadrant table."""

from __future__ import annotations

import datetime as dt

from analytics.types import TRACK_MIN_SAMPLE, PairStats, QuadrantTrail, TrackRecord
from bot.render.format import asof_line, esc, own_date, pct, plural, share
from bot.render.table import pre_table

MAX_FLIPS = 24
QUADRANT_ORDER = ("leading", "improving", "weakening", "lagging")
OVERLAP_MARK = "†"


def track_summary(track: TrackRecord, horizon: str, earlier: bool = False) -> str:
    """ "the new leader gained over the next 20 sessions in 3 of 9 flips (33 %), mean +0.45 %";
    a caveat under TRACK_MIN_SAMPLE and a note on windows that ran into the next flip."""
    count = track.counts.get(horizon, 0)
    noun = "earlier flip" if earlier else "flip"
    if count == 0:
        return f"No {noun} has {horizon} sessions of history yet."
    hits = track.hits.get(horizon, 0)
    text = (
        f"The new leader gained over the next {horizon} sessions in {hits} of "
        f"{plural(count, noun)} ({share(hits / count)}), mean {pct(track.means.get(horizon))} "
        "in its favour."
    )
    overlapping = track.overlapping.get(horizon, 0)
    if overlapping:
        mark = "" if earlier else f" ({OVERLAP_MARK})"
        text += f" {overlapping} of those windows ran past the next flip{mark}."
    if count < TRACK_MIN_SAMPLE:
        text += f" Fewer than {TRACK_MIN_SAMPLE} flips: too few to lean on."
    return text


def history_html(stats: PairStats, session: dt.date) -> str:
    """Past flips of one pair: date, who took the lead, how long it lasted, how the new
    leader did 5/20/60 sessions later (in its favour), and the summary of those numbers."""
    lines = [f"<b>Flip history</b> · <code>{esc(stats.key)}</code> · {esc(stats.label)}"]
    if stats.last_date < session:
        lines.append(f"<i>{esc(own_date(stats.last_date, session).removeprefix(' · '))}</i>")
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
        over = outcome.overlaps if outcome else ()
        cells = [
            _short(v) + (OVERLAP_MARK if i < len(over) and over[i] else "")
            for i, v in enumerate((*fwd, None, None, None)[:3])
        ]
        rows.append([flip.date.isoformat(), who, f"{lasted}{mark}", *cells])
    header = ["date", "leader", "lasted", "+5", "+20", "+60"]
    lines.append(pre_table(header, rows, "llrrrr"))
    lines.append(
        "+5/+20/+60: how the new leader did against the old one that many sessions after the "
        f"flip (positive = it extended its lead); {OVERLAP_MARK} = the window ran past the next "
        "flip; lasted = sessions (* still running)."
    )
    lines += [esc(f"+{h}: " + track_summary(stats.track, h)) for h in ("5", "20", "60")]
    if len(flips) > MAX_FLIPS:
        lines.append(
            f"<i>Last {MAX_FLIPS} of {len(flips)} flips shown; the lines above cover all.</i>"
        )
    lines.append(
        f"Raw crosses of the trend without band or confirmation: {stats.raw_crosses}, "
        f"against {plural(len(flips), 'confirmed flip')}."
    )
    lines.append(asof_line(session))
    return "\n".join(lines)


def index_level(value: float) -> str:
    """An index around 100 (strength, momentum): 102.18, the same number the chart plots."""
    return f"{value:.2f}"


def _short(value: float | None) -> str:
    return pct(value, 2).replace(" %", "%")


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
            since += own_date(t.current.date, session)
            lines.append(
                f"  <code>{esc(t.key)}</code> strength {index_level(t.current.strength)}, "
                f"momentum {index_level(t.current.momentum)}{esc(since)}"
            )
    lines.append(
        f"<i>Strength = 100 × ratio to {esc(benchmark)} / its {ema}-session exponential trend "
        f"(100 = in line with the trend); momentum = 100 × strength / strength {shift} sessions "
        "earlier (100 = unchanged). The chart plots the same numbers. Tails: weekly.</i>"
    )
    lines.append(asof_line(session))
    return "\n".join(lines)
