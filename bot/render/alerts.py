"""Alert and digest messages (Telegram HTML) from outbox payloads: what changed and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from analytics.types import TrackRecord
from bot.render.format import asof_line, esc, metric, pct, pp, ratio, signed
from bot.render.history import track_summary

_SPREAD_HORIZONS = ("1w", "1m", "3m")
_TRACK_HORIZON = "20"


def legs(pair: str) -> tuple[str, str]:
    """("IWM", "SPY") from "IWM/SPY"."""
    a, _, b = pair.partition("/")
    return a, b


def _session(payload: Mapping[str, Any]) -> dt.date:
    return dt.date.fromisoformat(str(payload["session"]))


def _leader(pair: str, side: str | None) -> str:
    a, b = legs(pair)
    return a if side == "A" else b if side == "B" else "nobody"


def _spreads(spreads: Mapping[str, float | None]) -> str:
    return " · ".join(f"{h} {pp(spreads.get(h))}" for h in _SPREAD_HORIZONS)


def track_line(payload: Mapping[str, Any]) -> str:
    """How earlier flips of the pair played out over the next 20 sessions, with the count."""
    track = TrackRecord(
        horizons=(),
        outcomes=(),
        counts=dict(payload.get("track_counts") or {}),
        hits=dict(payload.get("track_hits") or {}),
        means=dict(payload.get("track_means") or {}),
        overlapping=dict(payload.get("track_overlapping") or {}),
    )
    return "Track record: " + track_summary(track, _TRACK_HORIZON, earlier=True)


def flip_html(payload: Mapping[str, Any]) -> str:
    """A confirmed leadership flip: who leads now, the numbers, the confirmation, history."""
    pair = str(payload["pair"])
    now = _leader(pair, payload.get("direction"))
    before = _leader(pair, "A" if payload.get("direction") == "B" else "B")
    trend = payload.get("trend")
    gap = payload.get("vs_trend")
    prev = payload.get("prev_sessions")
    lasted = f"{before} had led for {prev} sessions" if prev else "first regime on record"
    lines = [
        f"🔄 <b>Leadership flip: {esc(now)} now leads {esc(pair)}</b>",
        esc(payload.get("label", pair)),
        "",
        f"Ratio {esc(ratio(payload.get('ratio')))} vs its {esc(payload.get('window'))}-session "
        f"trend {esc(ratio(trend))} ({esc(pct(gap))}).",
        f"Confirmed: {esc(payload.get('confirm'))} closes in a row beyond the "
        f"{esc(pct(payload.get('band'), 0).lstrip('+'))} band ({esc(lasted)}).",
        f"Spreads {esc(_spreads(payload.get('spreads_pp') or {}))}",
        esc(track_line(payload)),
    ]
    if payload.get("breadth") == "confirmed":
        lines.append("Confirmed by breadth: every breadth pair leads the same way.")
    elif payload.get("breadth") == "not confirmed":
        lines.append("Not confirmed by breadth: the breadth pairs do not all lead this way.")
    if payload.get("a_total_return") != payload.get("b_total_return"):
        lines.append("<i>One leg is a price index, the other total return.</i>")
    lines += ["", asof_line(_session(payload))]
    return "\n".join(lines)


def breadth_html(payload: Mapping[str, Any]) -> str:
    """Breadth turned broad or narrow: equal weight against cap weight, and the other pairs."""
    state = str(payload.get("state"))
    key = str(payload.get("participation_pair"))
    detail = payload.get("detail") or {}
    rows = [f"{esc(k)}: {esc(_leader(k, v))} leads" for k, v in detail.items()]
    return "\n".join(
        [
            f"📊 <b>Breadth turned {esc(state)}</b>",
            esc(participation_text(key, state)),
            *rows,
            "",
            asof_line(_session(payload)),
        ]
    )


def participation_text(key: str, state: str | None) -> str:
    """ "Equal weight (RSP) leads cap weight (SPY): broad participation." and the reverse."""
    a, b = legs(key)
    if state == "broad":
        return f"Equal weight ({a}) leads cap weight ({b}): broad participation."
    return f"Cap weight ({b}) leads equal weight ({a}): narrow, a few large stocks carry the index."


def stretch_html(payload: Mapping[str, Any]) -> str:
    """A pair entered (or left) a stretch: |z| of the ratio against its 252-session mean."""
    pair = str(payload["pair"])
    z = esc(signed(payload.get("stretch_z")))
    window = esc(payload.get("window"))
    if payload.get("entered"):
        head = f"📏 <b>{esc(pair)} is stretched</b>"
        body = (
            f"Ratio z-score {z} against its {window}-session mean of log R (limit "
            f"±{esc(payload.get('limit'))}): a crowded trade, prone to snap back."
        )
    else:
        head = f"📏 <b>{esc(pair)} is no longer stretched</b>"
        body = (
            f"Ratio z-score back to {z} against its {window}-session mean of log R (below "
            f"±{esc(payload.get('exit_below'))}): the crowding has eased."
        )
    return "\n".join(
        [
            head,
            esc(payload.get("label", pair)),
            body,
            "",
            asof_line(_session(payload)),
        ]
    )


def threshold_html(payload: Mapping[str, Any]) -> str:
    """A user rule crossed its threshold."""
    unit = str(payload.get("unit", ""))
    rule = f"{payload.get('pair')} {payload.get('metric')} {payload.get('op')}"
    margin = metric(payload.get("hysteresis"), unit).lstrip("+")
    return "\n".join(
        [
            f"🔔 <b>Your alert: {esc(rule)} {esc(metric(payload.get('threshold'), unit))}</b>",
            f"Now {esc(metric(payload.get('value'), unit))}.",
            f"<i>Rule {esc(payload.get('rule_id'))}; it re-arms once the value is back "
            f"past the threshold by {esc(margin)}.</i>",
            "",
            asof_line(_session(payload)),
        ]
    )


def generic_html(kind: str, payload: Mapping[str, Any]) -> str:
    """Spread moves and quadrant changes: the headline numbers."""
    pair = esc(payload.get("pair") or payload.get("key") or "")
    if kind == "spread_move":
        body = f"1-session spread {esc(pp(payload.get('spread_1d_pp')))}"
    else:
        body = f"moved to {esc(payload.get('quadrant'))} (from {esc(payload.get('previous'))})"
    return f"<b>{pair}</b>: {body}\n\n{asof_line(_session(payload))}"


def digest_html(payload: Mapping[str, Any]) -> str:
    """The daily digest of a chat's pairs: leader, since when, spreads, stretch."""
    lines = ["🗞 <b>Daily rotation digest</b>"]
    for row in payload.get("pairs") or []:
        pair = str(row["pair"])
        pending = ""
        if row.get("pending"):
            pending = f", {row['pending']} close(s) toward {_leader(pair, row.get('pending_side'))}"
        stretched = " · stretched" if row.get("stretched") else ""
        lines.append(
            f"<b>{esc(pair)}</b>: {esc(_leader(pair, row.get('state')))} leads "
            f"({esc(row.get('sessions'))} sessions{esc(pending)}){stretched}\n"
            f"  {esc(_spreads(row.get('spreads_pp') or {}))}"
        )
    breadth = payload.get("breadth") or {}
    if breadth.get("state"):
        line = f"Breadth: {esc(breadth['state'])}"
        if breadth.get("confirmation"):
            line += f"; small caps' lead {esc(breadth['confirmation'])} by breadth"
        lines.append(line)
    alerts = len(payload.get("alerts") or [])
    lines.append(f"Alerts today: {alerts}" if alerts else "No alert today.")
    lines += ["", asof_line(_session(payload))]
    return "\n".join(lines)


def alert_html(kind: str, payload: Mapping[str, Any]) -> str:
    """The message for an outbox row of ``kind``."""
    if kind == "flip":
        return flip_html(payload)
    if kind == "breadth":
        return breadth_html(payload)
    if kind == "stretch":
        return stretch_html(payload)
    if kind == "threshold":
        return threshold_html(payload)
    if kind == "digest":
        return digest_html(payload)
    return generic_html(kind, payload)


def alert_line(session: dt.date, pair: str, kind: str, payload: Mapping[str, Any]) -> str:
    """One replay line: "YYYY-MM-DD IWM/SPY flip: SPY now leads (IWM led 47 sessions) ..."."""
    head = f"{session.isoformat()} {pair} {kind}"
    if kind == "flip":
        now = _leader(pair, payload.get("direction"))
        prev = payload.get("prev_sessions")
        lasted = f", previous regime {prev} sessions" if prev else ""
        gap = payload.get("vs_trend")
        window = payload.get("window")
        return f"{head}: {now} now leads (ratio {pct(gap)} vs its {window}-session trend{lasted})"
    if kind == "breadth":
        return f"{head}: breadth turned {payload.get('state')}"
    if kind == "stretch":
        verb = "stretched" if payload.get("entered") else "no longer stretched"
        return f"{head}: {verb}, z {signed(payload.get('stretch_z'))}"
    if kind == "threshold":
        unit = str(payload.get("unit", ""))
        return (
            f"{head}: {payload.get('metric')} {payload.get('op')} "
            f"{metric(payload.get('threshold'), unit)} (now {metric(payload.get('value'), unit)})"
        )
    return head


def why_html(kind: str, payload: Mapping[str, Any], sent_at: dt.datetime | None) -> str:
    """Explain an alert: the rule behind it and the numbers that triggered it."""
    reasons = {
        "flip": (
            "A flip needs {confirm} consecutive closes of the ratio beyond a {band} band "
            "around its {window}-session trend, so a single wiggle never triggers it."
        ),
        "breadth": (
            "Breadth is participation: equal weight leading cap weight is broad, cap weight "
            "leading is narrow. It alerts when that changes."
        ),
        "stretch": "Stretch is the z-score of log R against its 252-session mean; |z| > 2.",
        "threshold": "Your own rule: it fires once when crossed and re-arms after a margin.",
        "digest": "The digest summarises your pairs after each close.",
    }
    rule = reasons.get(kind, "A rule of your subscription fired.").format(
        confirm=payload.get("confirm"),
        band=pct(payload.get("band"), 0).lstrip("+"),
        window=payload.get("window"),
    )
    when = f" (sent {sent_at:%Y-%m-%d %H:%M} UTC)" if sent_at else ""
    return "\n".join(
        [f"<b>Why you got the last alert</b>{esc(when)}", esc(rule), "", alert_html(kind, payload)]
    )


def stale_html(session: dt.date, symbols: list[str] | tuple[str, ...], *, final: bool) -> str:
    """Operator notice: the expected session is missing for some symbols; no alerts sent."""
    names = ", ".join(symbols)
    then = (
        "Gave up for today: no alerts for this session."
        if final
        else "Retrying with backoff until the deadline; no alerts until the data is complete."
    )
    return (
        f"⚠️ <b>Daily run {esc(session.isoformat())}: stale data</b>\n"
        f"No {esc(session.isoformat())} close for {esc(names)}.\n{esc(then)}"
    )
