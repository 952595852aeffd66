"""/ticker and /pair as HTML: returns, spreads, ranges, regime and rotation role."""

from __future__ import annotations

import datetime as dt

from analytics.constants import YEAR_SESSIONS
from analytics.types import HORIZONS, PairStats
from bot.render.format import asof_line, esc, ordinal, own_date, pct, pp, price, ratio, signed
from bot.render.rotation import (
    HORIZON_LABELS,
    band_text,
    gap_mark,
    leader,
    pair_gap_note,
    regime_line,
    spreads_line,
    tags,
)
from bot.render.table import pre_table
from bot.views import PairView, TickerView

ROLE_NAMES = {"A": "challenger", "B": "benchmark"}


def _returns_table(view: TickerView) -> str:
    refs = list(view.relative)
    header = ["", "return", *(f"vs {r}" for r in refs)]
    gaps = view.stats.gaps
    rows = [
        [
            HORIZON_LABELS[h],
            pct(view.stats.returns.get(h)) + ("*" if gaps.get(h) else ""),
            *(pp(view.relative[r].spreads_pp.get(h)) + gap_mark(view.relative[r], h) for r in refs),
        ]
        for h in HORIZONS
    ]
    return pre_table(header, rows, "l" + "r" * (1 + len(refs)))


def _gap_note(view: TickerView) -> str | None:
    """Says which returns span sessions without a close (a halt, a dropped row)."""
    gaps = view.stats.gaps
    if not gaps:
        return None
    most = max(gaps.values())
    marked = ", ".join(HORIZON_LABELS[h] for h in HORIZONS if gaps.get(h))
    return (
        f"* {marked}: the window spans {most} session(s) with no {view.stats.symbol} close "
        "(measured from the last close before them)"
    )


def _reference_gap_notes(view: TickerView) -> list[str]:
    """Notes for the spreads against a reference whose own closes have gaps (the symbol's
    own gaps are explained by ``_gap_note``)."""
    notes = []
    for ref, rel in view.relative.items():
        note = pair_gap_note(rel)
        if note is not None and set(rel.gap_legs) - {view.stats.symbol}:
            notes.append(note.replace("* ", f"* vs {ref} ", 1))
    return notes


def _role_line(stats: PairStats, side: str, name: str, session: dt.date) -> str:
    who = leader(stats)
    leg = stats.a if side == "A" else stats.b
    via = f" via {esc(leg)}" if leg != name else ""
    if who is None:
        return (
            f"• <code>{esc(stats.key)}</code>{esc(own_date(stats.last_date, session))}: "
            f"{ROLE_NAMES[side]}{via} — {regime_line(stats)}"
        )
    state = "on the leading side" if who == leg else "on the lagging side"
    key = f"<code>{esc(stats.key)}</code>{esc(own_date(stats.last_date, session))}"
    return f"• {key}: {ROLE_NAMES[side]}{via}, {state} — {regime_line(stats)}"


def ticker_html(view: TickerView) -> str:
    """Everything /ticker says about one symbol or basket."""
    s = view.stats
    title = f"<b>{esc(s.symbol)}</b>" + (f" · {esc(view.label)}" if view.label else "")
    lines = [title, f"Last close {price(s.last_close)} ({esc(s.last_date)})"]
    if s.last_date < view.session:
        lines[-1] += f": no newer close; every figure below is as of {esc(s.last_date)}"
    if s.kind == "yield":
        changes = " · ".join(f"{HORIZON_LABELS[h]} {pp_bp(s.changes_bp.get(h))}" for h in HORIZONS)
        lines.append(f"Yield changes: {esc(changes)}")
    elif s.kind == "volatility":
        changes = " · ".join(
            f"{HORIZON_LABELS[h]} {points(s.changes_pts.get(h))}" for h in HORIZONS
        )
        lines.append(f"Level changes: {esc(changes)}")
    else:
        lines.append(_returns_table(view))
        note = _gap_note(view)
        if note is not None:
            lines.append(f"<i>{esc(note)}</i>")
        lines += [f"<i>{esc(n)}</i>" for n in _reference_gap_notes(view)]
        for ref, rel in view.relative.items():
            if rel.last_date < s.last_date:  # the reference stopped first
                lines.append(f"<i>vs {esc(ref)}{esc(own_date(rel.last_date, view.session))}</i>")
    stored = len(view.series)
    span = "52-week range" if stored >= YEAR_SESSIONS else f"Range of the {stored} stored sessions"
    if s.is_level:
        lines.append(f"{span} {price(s.low_52w)} – {price(s.high_52w)}")
        what = "a yield in percent" if s.kind == "yield" else "a volatility index"
        lines.append(
            f"<i>{esc(s.symbol)} is {what}: a level, not a price. Changes are in "
            f"{'basis points' if s.kind == 'yield' else 'index points'}; no returns, "
            "drawdown or spreads against equities.</i>"
        )
    else:
        lines.append(
            f"{span} {price(s.low_52w)} – {price(s.high_52w)} · "
            f"{pct(s.off_high)} from the high · max drawdown {pct(s.max_drawdown_1y)}"
        )
    if not s.total_return and not s.is_level:
        lines.append("<i>Price level only (no dividends).</i>")
    if view.basket is not None:
        b = view.basket
        missing = f"; no close: {', '.join(b.missing)}" if b.missing else ""
        lines.append(
            f"Equal-weight basket of {b.size}: {esc(', '.join(b.members))} "
            f"({b.coverage}/{b.size} closed on {esc(view.session)}{esc(missing)})"
        )
        if b.last_date is not None and b.last_date < view.session:
            lines.append(
                f"<i>Level as of {esc(b.last_date)}: it needs {b.min_members} of {b.size} "
                "members with a close, and fewer closed since.</i>"
            )
    if view.in_baskets:
        lines.append("Member of " + esc(", ".join(view.in_baskets)))
    if view.roles:
        lines.append("<b>In the rotation</b>")
        lines += [_role_line(stats, side, s.symbol, view.session) for stats, side in view.roles]
    mixed = [r for r, p in view.relative.items() if p.mixed_basis]
    if mixed:
        against = esc(", ".join(mixed))
        lines.append(f"<i>Against {against}: mixed basis (price vs total return).</i>")
    lines.append(asof_line(view.session))
    return "\n".join(lines)


def points(value: float | None) -> str:
    """A change of a volatility level in index points (signed), n/a when unknown."""
    return "n/a" if value is None else signed(value, 2) + " pts"


def pp_bp(value: float | None) -> str:
    """A yield change in basis points (signed), n/a when unknown."""
    return "n/a" if value is None else signed(value, 0) + " bp"


def horizon_lead(stats: PairStats, horizon: str) -> str:
    """The chosen horizon in words: "3M: IWM ahead of SPY by 5.16 pp (ratio +5.40 %)"."""
    label = HORIZON_LABELS[horizon]
    spread = stats.spreads_pp.get(horizon)
    if spread is None or pp(spread) == pp(None):
        return f"<b>{label}</b>: not enough history for this horizon yet."
    ratio_move = pct(stats.ratio_returns.get(horizon))
    shown = pp(abs(spread)).lstrip("+")
    mark = gap_mark(stats, horizon)
    if shown == pp(0.0):
        return f"<b>{label}</b>: {esc(stats.a)} and {esc(stats.b)} level{mark} (ratio {ratio_move})"
    ahead, behind = (stats.a, stats.b) if spread > 0 else (stats.b, stats.a)
    return (
        f"<b>{label}</b>: <b>{esc(ahead)}</b> ahead of {esc(behind)} by {shown}{mark} "
        f"(ratio {ratio_move})"
    )


def pair_html(view: PairView, horizon: str | None = None) -> str:
    """Everything /pair says about A/B."""
    p = view.stats
    lines = [f"<b>{esc(p.a)} / {esc(p.b)}</b> · {esc(p.label)}"]
    if p.last_date < view.session:
        lines.append(
            f"<i>As of {esc(p.last_date)}: no newer close of both legs; every figure below "
            "is as of that date.</i>"
        )
    if horizon is not None:
        lines.append(horizon_lead(p, horizon))
    lines.append(regime_line(p))
    lines.append(spreads_line(p, horizon or "ytd"))
    rows = [
        [
            HORIZON_LABELS[h],
            pp(p.spreads_pp.get(h)) + gap_mark(p, h),
            pct(p.ratio_returns.get(h)) + gap_mark(p, h),
        ]
        for h in HORIZONS
    ]
    lines.append(pre_table(["", "spread", "ratio"], rows, "lrr"))
    note = pair_gap_note(p)
    if note is not None:
        lines.append(f"<i>{esc(note)}</i>")
    lines.append(
        f"Ratio {ratio(p.ratio)} · {pct(p.ratio_vs_trend)} vs its {p.regime.window}-session "
        f"trend · {pct(p.ratio_vs_trend200)} vs its 200-session trend"
    )
    extra = []
    if p.stretch_z is not None:
        extra.append(f"stretch z {signed(p.stretch_z)}")
    if p.quadrant is not None:
        extra.append(f"quadrant {p.quadrant}")
    if p.rel20_percentile is not None:
        extra.append(
            f"20-session move at the {ordinal(round(p.rel20_percentile))} percentile of a year"
        )
    if extra:
        lines.append(esc(" · ".join(extra)))
    lines += [f"<i>{esc(t.capitalize())}.</i>" for t in tags(p) if t.startswith("mixed")]
    if not view.in_universe:
        regime = p.regime
        lines.append(
            f"<i>Ad-hoc pair: default regime settings ({esc(band_text(regime))}, "
            f"{regime.confirm} closes, {regime.window}-session trend).</i>"
        )
    lines.append(asof_line(view.session))
    return "\n".join(lines)
