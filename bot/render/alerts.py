"""Alert and digest messages (Telegram HTML) from typed alert bodies: what changed and why.

``RENDERERS`` is the one table keyed by kind: each alert kind (``storage.outbox.Kind`` but the
dashboard, which ``bot.render.dashboard`` draws) has a full message (``html``), a one-line form
(``line``: replay output and the alerts folded into the day's message) and the rule behind it
(``why``). ``alert_html``, ``alert_line`` and ``why_html`` take a typed body (decoded from its
outbox payload by ``analytics.events.decode``) and look its kind up there; nothing branches on
kind anywhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from analytics.events import (
    AlertBody,
    BreadthAlert,
    Digest,
    DigestRow,
    FlipAlert,
    FlipMove,
    QuadrantAlert,
    SpreadMoveAlert,
    StretchAlert,
    StretchMove,
    ThresholdAlert,
    kind_of,
    unfold,
)
from bot.render.format import (
    asof_line,
    day,
    esc,
    gap_note,
    metric,
    pct,
    plural,
    pp,
    price,
    ratio,
    signed,
)
from bot.render.history import track_summary
from bot.render.sectors import (
    map_html,
    map_line,
    map_why,
    sector_alert_html,
    sector_alert_line,
    sector_alert_why,
)
from jobs.stale import StaleNews
from storage.outbox import Kind
from storage.prices import Disagreement

_SPREAD_HORIZONS = ("1w", "1m", "3m")
_TRACK_HORIZON = "20"

B = TypeVar("B")


@dataclass(frozen=True)
class Renderer(Generic[B]):
    """How one kind of alert is shown: full message, one line, and the rule behind it."""

    html: Callable[[B], str]
    line: Callable[[B], str]
    why: Callable[[B], str]


def legs(pair: str) -> tuple[str, str]:
    """("IWM", "SPY") from "IWM/SPY"."""
    a, _, b = pair.partition("/")
    return a, b


def _leader(pair: str, side: str | None) -> str:
    a, b = legs(pair)
    return a if side == "A" else b if side == "B" else "nobody"


def _spreads(spreads: Mapping[str, float | None], gaps: Mapping[str, int]) -> str:
    """ "1w +1.20 pp · 1m ..." with "*" on a spread whose window spans a gap of a leg."""
    return " · ".join(
        f"{h} {pp(spreads.get(h))}{'*' if gaps.get(h) else ''}" for h in _SPREAD_HORIZONS
    )


def _gap_note(row: FlipMove | DigestRow) -> str | None:
    """The footnote of the spreads ``_spreads`` marks (None when none is)."""
    a, b = legs(row.pair)
    return gap_note(row.gaps, row.gap_legs or (a, b), {h: h for h in _SPREAD_HORIZONS})


def band_size(move: FlipMove) -> str:
    """ "1 %" for a fixed band, "2.60 % (scaled to the pair's volatility)" for a scaled one."""
    if move.band is None:
        return "n/a"
    if not move.scaled:
        return pct(move.band, 0 if round(move.band, 4) * 100 % 1 == 0 else 2).lstrip("+")
    return pct(move.band, 2).lstrip("+") + " (scaled to the pair's volatility)"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# -- flips ---------------------------------------------------------------------------------


def _flip_move_lines(move: FlipMove) -> list[str]:
    lasted = (
        f"{move.former} had led for {plural(move.prev_sessions, 'session')}"
        if move.prev_sessions
        else "first regime on record"
    )
    lines = [
        f"Ratio {esc(ratio(move.ratio))} vs its {move.window}-session trend "
        f"{esc(ratio(move.trend))} ({esc(pct(move.vs_trend))}).",
        f"Confirmed: {move.confirm} closes in a row beyond the {esc(band_size(move))} band "
        f"({esc(lasted)}).",
        f"Spreads {esc(_spreads(move.spreads_pp, move.gaps))}",
    ]
    note = _gap_note(move)
    if note is not None:
        lines.append(f"<i>{esc(note)}</i>")
    lines += [
        esc("Track record: " + _lower_first(track_summary(move.track, _TRACK_HORIZON, True))),
    ]
    if move.breadth == "confirmed":
        lines.append("Confirmed by breadth: every breadth pair leads the same way.")
    elif move.breadth == "not confirmed":
        lines.append("Not confirmed by breadth: the breadth pairs do not all lead this way.")
    if move.a_total_return != move.b_total_return:
        lines.append("<i>One leg is a price index, the other total return.</i>")
    return lines


def flip_html(body: FlipAlert) -> str:
    """Confirmed flips of one theme: who leads now, the numbers, the confirmation, history."""
    head, *others = body.moves
    lines = [
        f"🔄 <b>Leadership flip: {esc(head.leader)} now leads {esc(head.pair)}</b>",
        esc(head.label),
        "",
        *_flip_move_lines(head),
    ]
    for move in others:
        lines += [
            "",
            f"<b>Same theme: {esc(move.leader)} now leads {esc(move.pair)}</b> ({esc(move.label)})",
            f"Ratio {esc(pct(move.vs_trend))} vs its {move.window}-session trend.",
        ]
    lines += ["", asof_line(body.session)]
    return "\n".join(lines)


def flip_line(body: FlipAlert) -> str:
    head, *others = body.moves
    lasted = (
        f", previous regime {plural(head.prev_sessions, 'session')}" if head.prev_sessions else ""
    )
    text = (
        f"{head.leader} now leads (ratio {pct(head.vs_trend)} vs its {head.window}-session "
        f"trend{lasted})"
    )
    if others:
        text += "; also " + ", ".join(f"{m.pair} ({m.leader} now leads)" for m in others)
    return text


def flip_why(body: FlipAlert) -> str:
    head = body.moves[0]
    return (
        f"A flip needs {head.confirm} consecutive closes of the ratio beyond a "
        f"{band_size(head)} band around its {head.window}-session trend, so a single wiggle "
        "never triggers it. Pairs of one theme that flip together arrive as one alert."
    )


# -- breadth -------------------------------------------------------------------------------


def participation_text(key: str, state: str | None) -> str:
    """ "Equal weight (RSP) leads cap weight (SPY): broad participation." and the reverse."""
    a, b = legs(key)
    if state == "broad":
        return f"Equal weight ({a}) leads cap weight ({b}): broad participation."
    return f"Cap weight ({b}) leads equal weight ({a}): narrow, a few large stocks carry the index."


def breadth_html(body: BreadthAlert) -> str:
    """Breadth turned broad or narrow: equal weight against cap weight, and the other pairs."""
    rows = [f"{esc(k)}: {esc(_leader(k, v))} leads" for k, v in body.detail.items()]
    return "\n".join(
        [
            f"📊 <b>Breadth turned {esc(body.state)}</b>",
            esc(participation_text(body.participation_pair, body.state)),
            *rows,
            "",
            asof_line(body.session),
        ]
    )


def breadth_line(body: BreadthAlert) -> str:
    return (
        f"breadth turned {body.state} ({participation_text(body.participation_pair, body.state)})"
    )


def breadth_why(body: BreadthAlert) -> str:
    return (
        f"Breadth is participation: equal weight leading cap weight ({body.participation_pair}) "
        "is broad, cap weight leading is narrow. It alerts when that changes, nothing else."
    )


# -- stretch -------------------------------------------------------------------------------


def _stretch_text(move: StretchMove) -> str:
    z = signed(move.stretch_z)
    if move.entered:
        return (
            f"{move.pair} is stretched: z {z} against its {move.window}-session mean of log R "
            f"(limit ±{move.limit:g}), a crowded trade, prone to snap back."
        )
    return (
        f"{move.pair} is no longer stretched: z back to {z} (below ±{move.exit_below:g}), "
        "the crowding has eased."
    )


def stretch_html(body: StretchAlert) -> str:
    """Pairs of one theme entered (or left) a stretch of log R against its 252-session mean."""
    head = body.moves[0]
    verb = "is stretched" if head.entered else "is no longer stretched"
    lines = [f"📏 <b>{esc(head.pair)} {verb}</b>", esc(head.label)]
    lines += [esc(_stretch_text(m)) for m in body.moves]
    lines += ["", asof_line(body.session)]
    return "\n".join(lines)


def stretch_line(body: StretchAlert) -> str:
    return "; ".join(
        f"{m.pair} {'stretched' if m.entered else 'no longer stretched'}, z {signed(m.stretch_z)}"
        for m in body.moves
    )


def stretch_why(body: StretchAlert) -> str:
    head = body.moves[0]
    return (
        f"Stretch is the z-score of log R against its {head.window}-session mean; beyond "
        f"±{head.limit:g} is stretched, and it ends below ±{head.exit_below:g}."
    )


# -- user thresholds, quadrant changes, spread moves ---------------------------------------


def threshold_html(body: ThresholdAlert) -> str:
    """A user rule crossed its threshold."""
    rule = f"{body.pair} {body.metric} {body.op}"
    margin = metric(body.hysteresis, body.unit).lstrip("+")
    return "\n".join(
        [
            f"🔔 <b>Your alert: {esc(rule)} {esc(metric(body.threshold, body.unit))}</b>",
            f"Now {esc(metric(body.value, body.unit))}.",
            f"<i>Rule {esc(body.rule_id)}; it re-arms once the value is back past the "
            f"threshold by {esc(margin)}.</i>",
            "",
            asof_line(body.session),
        ]
    )


def threshold_line(body: ThresholdAlert) -> str:
    return (
        f"your alert {body.pair} {body.metric} {body.op} {metric(body.threshold, body.unit)} "
        f"(now {metric(body.value, body.unit)})"
    )


def threshold_why(body: ThresholdAlert) -> str:
    return "Your own rule: it fires once when crossed and re-arms after a margin."


def quadrant_html(body: QuadrantAlert) -> str:
    """A symbol or pair moved to a new strength quadrant (indexes: 100 = in line)."""
    return "\n".join(
        [
            f"🧭 <b>{esc(body.key)} moved to {esc(body.quadrant)}</b> "
            f"(from {esc(body.previous or 'n/a')}), held {plural(body.sessions, 'session')}",
            f"Strength {body.strength:.2f}, momentum {body.momentum:.2f} (100 = in line / "
            f"unchanged; against {esc(body.benchmark)}).",
            "",
            asof_line(body.session),
        ]
    )


def quadrant_line(body: QuadrantAlert) -> str:
    return f"{body.key} moved to {body.quadrant} (from {body.previous or 'n/a'})"


def quadrant_why(body: QuadrantAlert) -> str:
    return (
        f"Strength = 100 x ratio / its {body.ema}-session exponential trend; momentum = 100 x "
        f"strength / strength {body.momentum_shift} sessions earlier. A new quadrant is "
        f"reported once it has held {body.hold} sessions."
    )


def spread_move_html(body: SpreadMoveAlert) -> str:
    return "\n".join(
        [
            f"⚡ <b>{esc(body.pair)}: 1-session spread {esc(pp(body.spread_1d_pp))}</b>",
            esc(body.label),
            "",
            asof_line(body.session),
        ]
    )


def spread_move_line(body: SpreadMoveAlert) -> str:
    return f"{body.pair} 1-session spread {pp(body.spread_1d_pp)}"


def spread_move_why(body: SpreadMoveAlert) -> str:
    return f"A 1-session spread of at least {pp(body.threshold_pp).lstrip('+')} fires this rule."


# -- the day's message ----------------------------------------------------------------------


def no_close_since(last: object) -> str:
    """How a pair without a close on the session is shown: "no close since 2026-03-20"."""
    return f"no close since {last} (no alerts)" if last else "no close yet (no alerts)"


def digest_body_html(body: Digest) -> str:
    """The chat's one non-urgent message: its pairs, breadth, and the day's folded alerts."""
    shown = body.rows or body.no_close
    lines = ["🗞 <b>Daily rotation digest</b>" if shown else "🗞 <b>Today's alerts</b>"]
    for row in body.rows:
        pending = ""
        if row.pending:
            pending = f", {row.pending} close(s) toward {_leader(row.pair, row.pending_side)}"
        stretched = " · stretched" if row.stretched else ""
        lines.append(
            f"<b>{esc(row.pair)}</b>: {esc(_leader(row.pair, row.state))} leads "
            f"({esc(plural(row.sessions, 'session'))}{esc(pending)}){stretched}\n"
            f"  {esc(_spreads(row.spreads_pp, row.gaps))}"
        )
        note = _gap_note(row)
        if note is not None:
            lines.append(f"  <i>{esc(note)}</i>")
    for pair, last in body.no_close.items():
        lines.append(f"<b>{esc(pair)}</b>: {esc(no_close_since(last))}")
    if body.rows and body.breadth:
        line = f"Breadth: {esc(body.breadth)}"
        if body.confirmation:
            line += f"; small caps' lead {esc(body.confirmation)} by breadth"
        lines.append(line)
    if body.alerts:
        lines.append("<b>Also today</b>")
        for folded in body.alerts:
            lines.append("• " + esc(alert_text(unfold(folded))))
    if body.urgent:
        lines.append(f"Sent separately today: {plural(body.urgent, 'flip alert')}.")
    elif body.rows and not body.alerts:
        lines.append("No alert today.")
    lines += ["", asof_line(body.session)]
    return "\n".join(lines)


def digest_line(body: Digest) -> str:
    return f"digest of {plural(len(body.rows), 'pair')}, {plural(len(body.alerts), 'alert')}"


def digest_why(body: Digest) -> str:
    folded = [unfold(f) for f in body.alerts]
    rules = dict.fromkeys(renderer(alert).why(alert) for alert in folded)
    return " ".join(
        [
            "The day's one message: your pairs after the close (when the digest is on) and the "
            "session's non-urgent alerts folded in; flips are sent at once.",
            *rules,
        ]
    )


RENDERERS: Mapping[Kind, Renderer[Any]] = {
    Kind.FLIP: Renderer(flip_html, flip_line, flip_why),
    Kind.BREADTH: Renderer(breadth_html, breadth_line, breadth_why),
    Kind.STRETCH: Renderer(stretch_html, stretch_line, stretch_why),
    Kind.THRESHOLD: Renderer(threshold_html, threshold_line, threshold_why),
    Kind.QUADRANT: Renderer(quadrant_html, quadrant_line, quadrant_why),
    Kind.SPREAD_MOVE: Renderer(spread_move_html, spread_move_line, spread_move_why),
    Kind.SECTOR: Renderer(sector_alert_html, sector_alert_line, sector_alert_why),
    Kind.ROTATION_MAP: Renderer(map_html, map_line, map_why),
    Kind.DIGEST: Renderer(digest_body_html, digest_line, digest_why),
}


def renderer(body: AlertBody) -> Renderer[Any]:
    """The renderers of the body's kind."""
    return RENDERERS[Kind(kind_of(body))]


def alert_html(body: AlertBody) -> str:
    """The message of an alert (or of the day's digest)."""
    return str(renderer(body).html(body))


def alert_text(body: AlertBody) -> str:
    """The one-line form of an alert (plain text)."""
    return str(renderer(body).line(body))


def digest_html(body: Digest) -> str:
    """The day's message."""
    return digest_body_html(body)


def alert_line(session: dt.date, pair: str, body: AlertBody) -> str:
    """One replay line: "YYYY-MM-DD IWM/SPY flip: SPY now leads (ratio ... trend) ..."."""
    return f"{session.isoformat()} {pair} {kind_of(body)}: {alert_text(body)}"


def why_html(body: AlertBody, sent_at: dt.datetime | None) -> str:
    """Explain an alert: the rule behind it and the numbers that triggered it."""
    shown = renderer(body)
    when = f" (sent {sent_at:%Y-%m-%d %H:%M} UTC)" if sent_at else ""
    return "\n".join(
        [
            f"<b>Why you got the last alert</b>{esc(when)}",
            esc(shown.why(body)),
            "",
            shown.html(body),
        ]
    )


def stale_html(
    session: dt.date,
    stale_since: Mapping[str, dt.date | None],
    waiting: Mapping[str, dt.date | None],
    *,
    final: bool,
    computed: bool = False,
) -> str:
    """Operator report of one session's late data: pairs without alerts (each with its last
    common close) and symbols without a close on the session (each with its own last close).

    ``computed``: the other pairs' alerts went out; ``final``: no retry follows.
    """
    day = esc(session.isoformat())
    title = "late data" if computed else "stale data, no pair computable"
    lines = [f"⚠️ <b>Daily run {day}: {title}</b>"]
    if waiting:
        lines.append(f"No alerts for these pairs (no {day} close of a leg):")
        lines += [f"• {esc(k)}: {esc(no_close_since(v))}" for k, v in waiting.items()]
    if stale_since:
        lines.append(f"No {day} close for:")
        lines += [
            f"• {esc(s)}: last close {esc(v.isoformat() if v else 'none stored')}"
            for s, v in stale_since.items()
        ]
    if computed:
        lines.append("Every other pair was computed and its alerts sent.")
    if waiting and not final:
        lines.append("Retrying the late symbols with backoff until the deadline.")
    elif waiting or not computed:
        lines.append("Gave up for today: no alerts for these pairs on this session.")
    return "\n".join(lines)


def stale_news_html(news: StaleNews) -> str:
    """Operator lines about stale symbols: gone stale, still stale (weekly), back."""
    lines = [f"<b>Symbols without a close ({esc(news.session.isoformat())})</b>"]
    for symbol, last in news.new.items():
        lines.append(f"• {esc(symbol)}: stale, last close {esc(_last_close(last))}")
    for symbol, mark in news.still.items():
        lines.append(
            f"• {esc(symbol)}: still stale since {esc(mark.since.isoformat())}, "
            f"last close {esc(_last_close(mark.last_close))} (reminded at most weekly)"
        )
    for symbol, mark in news.back.items():
        lines.append(f"• {esc(symbol)}: back (stale since {esc(mark.since.isoformat())})")
    lines.append("/status lists every stale symbol.")
    return "\n".join(lines)


def _last_close(last: dt.date | None) -> str:
    return day(last) if last is not None else "none stored"


def outages_html(outages: Mapping[str, str]) -> str:
    """One line per source outage (rate limited, unreachable), never one per symbol."""
    lines = ["<b>Price source outages</b>"]
    lines += [f"• {esc(line)}" for _, line in sorted(outages.items())]
    return "\n".join(lines)


def disagreements_html(found: Sequence[Disagreement]) -> str:
    """Sources more than 0.5 % apart on a session; the stored row was kept."""
    lines = ["<b>Sources disagree (more than 0.5 %)</b>"]
    for symbol, session, stored_source, stored, other_source, other in found:
        apart = pct(other / stored - 1.0) if stored else "?"
        lines.append(
            f"• {esc(symbol)} {esc(session)}: stored {esc(price(stored))} ({esc(stored_source)}), "
            f"{esc(other_source)} {esc(price(other))} ({esc(apart)}); stored row kept"
        )
    return "\n".join(lines)
