"""The /rotation scoreboard as HTML: headline indexes, every preset pair, breadth, score."""

from __future__ import annotations

from analytics.types import HORIZONS, PairStats, Regime, Snapshot
from bot.render.format import asof_line, esc, pct, pp, signed
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


def spreads_line(stats: PairStats, selected: str) -> str:
    """Every horizon's spread (pp): the selected one first and bold, then the others in order."""
    order = [selected, *(h for h in HORIZONS if h != selected)]
    parts = []
    for h in order:
        value = pp(stats.spreads_pp.get(h))
        label = HORIZON_LABELS[h]
        parts.append(f"<b>{label} {value}</b>" if h == selected else f"{label} {value}")
    return " · ".join(parts)


def _headline(snap: Snapshot, headline: tuple[str, ...], horizon: str) -> list[str]:
    columns = ["ytd"] if horizon == "ytd" else [horizon, "ytd"]
    rows = []
    for symbol in headline:
        stats = snap.symbols.get(symbol)
        name = HEADLINE_NAMES.get(symbol, symbol)
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
    return [pre_table(header, rows, "l" + "r" * len(columns))]


def _pair_block(stats: PairStats, horizon: str) -> list[str]:
    lines = ["", f"<b>{esc(stats.label)}</b> <code>{esc(stats.key)}</code>"]
    lines.append(f"  {regime_line(stats)}")
    lines.append(f"  {spreads_line(stats, horizon)}")
    extra = f"  ratio {pct(stats.ratio_vs_trend)} vs its {stats.regime.window}-session trend"
    extra += "".join(f" · {esc(t)}" for t in tags(stats))
    lines.append(extra)
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
    context = [k for k in snap.pairs if snap.pairs[k].theme != k and k in _preset_keys(snap)]
    if context:
        lines.append(
            "Counted once with their theme: "
            + esc(", ".join(f"{k} (with {snap.pairs[k].theme})" for k in context))
            + "."
        )
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
    if breadth.confirmation is not None and breadth.lead_state is not None:
        others = [k for k in breadth.confirm_pairs if k != breadth.lead_pair]
        detail = ", ".join(f"{k}: {_side_name(k, breadth.detail.get(k))}" for k in others)
        lead = _side_name(breadth.lead_pair, breadth.lead_state).removesuffix(" leads")
        lines.append(
            f"{esc(lead)}'s lead in {esc(breadth.lead_pair)} is "
            f"{esc(breadth.confirmation)} by breadth ({esc(detail)})"
        )
    return lines


def rotation_html(snap: Snapshot, headline: tuple[str, ...], horizon: str) -> str:
    """The full scoreboard for ``horizon`` (one of HORIZONS)."""
    lead = snap.pairs.get(snap.lead_pair)
    title = f"<b>Rotation</b> · {HORIZON_LABELS[horizon]}"
    lines = [title]
    if lead is not None:
        lines.append(f"{esc(lead.label)}: {regime_line(lead)}")
    lines += _headline(snap, headline, horizon)
    keys = list(dict.fromkeys(k for ks in snap.presets.values() for k in ks)) or list(snap.pairs)
    for key in keys:
        stats = snap.pairs.get(key)
        if stats is not None:
            lines += _pair_block(stats, horizon)
    lines += _verdict(snap)
    if snap.stale:
        lines.append("Stale: " + esc(", ".join(snap.stale)))
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
