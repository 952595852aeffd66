"""The /rotation scoreboard as HTML: headline indexes, every preset pair, breadth, score."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.types import HORIZON_SESSIONS, HORIZONS, PairStats, Regime, Snapshot
from bot.render.format import asof_line, esc, gap_note, own_date, pct, pp, signed
from bot.render.table import pre_table

HORIZON_LABELS = {"1d": "1D", "1w": "1W", "1m": "1M", "3m": "3M", "ytd": "YTD", "1y": "1Y"}
HEADLINE_NAMES = {"^RUT": "Russell 2000", "^GSPC": "S&P 500", "^IXIC": "Nasdaq Comp."}


def leader(stats: PairStats) -> str | None:
    """The symbol that leads the pair now (None before the first regime)."""
    state = stats.regime.state
    return None if state is None else (stats.a if state == "A" else stats.b)


def regime_line(stats: PairStats) -> str:
    """The regime as "IWM leads since 2026-03-10 (16 sessions)", or pending/none wording."""
    who = leader(stats)
    if who is None:
        return "no regime yet (not enough history)"
    since = stats.regime.since.isoformat() if stats.regime.since else "?"
    text = f"<b>{esc(who)}</b> leads since {esc(since)} ({stats.regime.sessions} sessions)"
    if stats.regime.pending and stats.regime.pending_side is not None:
        other = stats.a if stats.regime.pending_side == "A" else stats.b
        text += f", {stats.regime.pending}/{stats.regime.confirm} closes toward {esc(other)}"
    return text


def band_text(regime: Regime) -> str:
    """The band in force: "1 % band" or "1.47 % band (scaled to the pair's volatility)"."""
    if regime.band is None:
        return "band (not enough history yet)"
    digits = 0 if not regime.scaled and round(regime.band * 100, 0) == regime.band * 100 else 2
    size = pct(regime.band, digits).lstrip("+")
    return f"{size} band" + (" (scaled to the pair's volatility)" if regime.scaled else "")


def ratio_subtitle(stats: PairStats) -> str:
    """Chart subtitle: "ratio, 50-session trend and ±1 % band"."""
    regime = stats.regime
    size = "" if regime.band is None else "±" + pct(regime.band, 2).lstrip("+") + " "
    return f"ratio, {regime.window}-session trend and {size}band"


def tags(stats: PairStats) -> list[str]:
    """Short tags: stretched, mixed basis."""
    out = []
    if stats.stretched and stats.stretch_z is not None:
        out.append(f"stretched z {signed(stats.stretch_z)}")
    if stats.mixed_basis:
        out.append("mixed basis: price vs total return")
    return out


def gap_mark(stats: PairStats, horizon: str) -> str:
    """ "*" when the pair's spread over ``horizon`` spans sessions without a close of a leg."""
    return "*" if stats.gaps.get(horizon) else ""


def pair_gap_note(stats: PairStats) -> str | None:
    """Says which spreads span sessions without a close of a leg (a halt, a dropped row);
    plain text, None when none does."""
    return gap_note(stats.gaps, stats.gap_legs or (stats.a, stats.b), HORIZON_LABELS)


def spreads_line(stats: PairStats, selected: str) -> str:
    """Every horizon's spread (pp): the selected one first and bold, then the others in order;
    "*" marks a spread whose window spans sessions without a close of a leg."""
    order = [selected, *(h for h in HORIZONS if h != selected)]
    parts = []
    for h in order:
        value = pp(stats.spreads_pp.get(h)) + gap_mark(stats, h)
        label = HORIZON_LABELS[h]
        parts.append(f"<b>{label} {value}</b>" if h == selected else f"{label} {value}")
    return " · ".join(parts)


def _headline(snap: Snapshot, headline: tuple[str, ...], horizon: str) -> list[str]:
    columns = ["ytd"] if horizon == "ytd" else [horizon, "ytd"]
    rows = []
    notes: list[str] = []
    for symbol in headline:
        stats = snap.symbols.get(symbol)
        name = HEADLINE_NAMES.get(symbol, symbol)
        mark = own_date(stats.last_date if stats else None, snap.session)
        if mark:
            name += "*" * (len(notes) + 1)
            notes.append(f"{'*' * (len(notes) + 1)} {HEADLINE_NAMES.get(symbol, symbol)}{mark}")
        rows.append([name, *(pct(stats.returns.get(h) if stats else None) for h in columns)])
    if len(headline) >= 2:
        a, b = (snap.symbols.get(s) for s in headline[:2])
        cells = []
        for h in columns:
            ra = a.returns.get(h) if a else None
            rb = b.returns.get(h) if b else None
            cells.append(pp(None if ra is None or rb is None else 100.0 * (ra - rb)))
        rows.append(["Small − large", *cells])
    header = ["", *(HORIZON_LABELS[h] for h in columns)]
    return [pre_table(header, rows, "l" + "r" * len(columns)), *(esc(n) for n in notes)]


def _pair_block(stats: PairStats, horizon: str, session: dt.date) -> list[str]:
    mark = own_date(stats.last_date, session)
    lines = ["", f"<b>{esc(stats.label)}</b> <code>{esc(stats.key)}</code>{esc(mark)}"]
    lines.append(f"  {regime_line(stats)}")
    lines.append(f"  {spreads_line(stats, horizon)}")
    extra = f"  ratio {pct(stats.ratio_vs_trend)} vs its {stats.regime.window}-session trend"
    extra += "".join(f" · {esc(t)}" for t in tags(stats))
    lines.append(extra)
    note = pair_gap_note(stats)
    if note is not None:
        lines.append(f"  <i>{esc(note)}</i>")
    return lines


def _side_name(key: str, state: str | None) -> str:
    """The leading leg of pair ``key`` for regime ``state`` ("no regime" when None)."""
    a, _, b = key.partition("/")
    return {"A": a, "B": b}.get(state or "", "no regime") + ("" if state is None else " leads")


def _preset_keys(snap: Snapshot) -> list[str]:
    return list(dict.fromkeys(k for ks in snap.presets.values() for k in ks)) or list(snap.pairs)


def _verdict(snap: Snapshot) -> list[str]:
    board = snap.scoreboard
    if board.themes_total:
        score = (
            f"{board.themes_favouring_challenger} of {board.themes_total} themes led by the "
            "challenger (the first symbol of each pair above)."
        )
    else:
        score = "no pair has a regime yet (not enough history)."
    lines = ["", f"<b>Score</b>: {score}"]
    context = [
        k
        for k in snap.pairs
        if snap.pairs[k].theme != k and k in _preset_keys(snap)
        and k not in board.themes and k not in snap.stale_pairs
    ]  # fmt: skip
    if context:
        lines.append(
            "Counted once with their theme: "
            + esc(", ".join(f"{k} (with {snap.pairs[k].theme})" for k in context))
            + "."
        )
    if board.excluded:
        lines.append(f"Left out of the score: {esc(_no_close(snap, board.excluded))}.")
    if board.horizons_total:
        favoured = [
            HORIZON_LABELS[h]
            for h in HORIZONS
            if board.per_horizon_total.get(h, 0) > 0
            and board.per_horizon.get(h, 0) * 2 > board.per_horizon_total[h]
        ]
        which = f" ({', '.join(favoured)})" if favoured else ""
        lines.append(
            f"Spreads: the challenger is ahead in most of these pairs over "
            f"{board.horizons_favouring} of {board.horizons_total} horizons{which}."
        )
    if board.prev_themes_favouring_challenger is not None:
        delta = board.themes_favouring_challenger - board.prev_themes_favouring_challenger
        if delta:
            lines.append(f"Changed since {esc(board.prev_session)}: {signed(delta, 0)} themes.")
    if board.changed_pairs:
        lines.append("Flipped today: " + esc(", ".join(board.changed_pairs)))
    breadth = snap.breadth
    if breadth.state is not None and breadth.participation_pair is not None:
        key = breadth.participation_pair
        lines.append(
            f"<b>Breadth</b>: {esc(breadth.state)} ({esc(key)}: "
            f"{esc(_side_name(key, breadth.detail.get(key)))})"
        )
    if breadth.excluded:
        lines.append(f"Left out of breadth: {esc(_no_close(snap, breadth.excluded))}.")
    if breadth.confirmation is not None and breadth.lead_state is not None:
        others = [k for k in breadth.confirm_pairs if k != breadth.lead_pair]
        detail = ", ".join(f"{k}: {_side_name(k, breadth.detail.get(k))}" for k in others)
        lead = _side_name(breadth.lead_pair, breadth.lead_state).removesuffix(" leads")
        lines.append(
            f"{esc(lead)}'s lead in {esc(breadth.lead_pair)} is "
            f"{esc(breadth.confirmation)} by breadth ({esc(detail)})"
        )
    return lines


def _no_close(snap: Snapshot, keys: tuple[str, ...]) -> str:
    """ "RSP/SPY (no close since 2026-03-20), ..." for pairs without a close on the session."""
    parts = []
    for key in keys:
        last = snap.stale_pairs.get(key)
        parts.append(f"{key} (no close since {last})" if last else f"{key} (no close yet)")
    return f"{', '.join(parts)}: no {snap.session} close"


def stale_lines(snap: Snapshot) -> list[str]:
    """Symbols without a close on the session, each with its own last close."""
    if not snap.stale and not snap.missing:
        return []
    parts = [f"{s} (last close {snap.symbols[s].last_date})" for s in snap.stale]
    parts += [f"{s} (none stored)" for s in snap.missing]
    return [f"No {snap.session} close: " + esc(", ".join(parts))]


def rotation_html(snap: Snapshot, headline: tuple[str, ...], horizon: str) -> str:
    """The full scoreboard for ``horizon`` (one of HORIZONS)."""
    lead = snap.pairs.get(snap.lead_pair)
    title = f"<b>Rotation</b> · {HORIZON_LABELS[horizon]}"
    lines = [title]
    if lead is not None:
        mark = esc(own_date(lead.last_date, snap.session))
        lines.append(f"{esc(lead.label)}: {regime_line(lead)}{mark}")
    lines += _headline(snap, headline, horizon)
    keys = list(dict.fromkeys(k for ks in snap.presets.values() for k in ks)) or list(snap.pairs)
    for key in keys:
        stats = snap.pairs.get(key)
        if stats is not None:
            lines += _pair_block(stats, horizon, snap.session)
        elif key in snap.stale_pairs:
            lines += ["", f"<code>{esc(key)}</code>{esc(own_date(None, snap.session))}"]
    lines += _verdict(snap)
    lines += stale_lines(snap)
    lines.append(asof_line(snap.session))
    return "\n".join(lines)


def rotation_caption(snap: Snapshot) -> str:
    """Short caption for the lead-pair chart."""
    lead = snap.pairs.get(snap.lead_pair)
    if lead is None:
        return asof_line(snap.session)
    return (
        f"<b>{esc(lead.key)}</b> ratio, {lead.regime.window}-session trend and regimes\n"
        f"{regime_line(lead)}\n{asof_line(snap.session)}"
    )


def horizon_window(index: pd.Index, horizon: str, label: str) -> tuple[pd.Timestamp, str] | None:
    """(first close of ``horizon`` on a chart of ``index``, label), None when it is not shown:
    the close the horizon's return is measured from (YTD: the previous year's last close)."""
    dates = pd.DatetimeIndex(index)
    if len(dates) < 2:
        return None
    sessions = HORIZON_SESSIONS[horizon]
    if sessions is None:
        before = dates[dates.year < dates[-1].year]
        return (before[-1], label) if len(before) else None
    return (dates[-1 - sessions], label) if len(dates) > sessions else None
