"""Evaluate alert rules against a snapshot and the previous rule state (pure).

``evaluate_rules`` returns the new events and the next state; the caller stores the state.
Evaluating the same snapshot again with the returned state yields no events. State values
are JSON-friendly dicts keyed by rule id (and pair for rules that apply to every pair).
Event bodies are the typed alerts of ``analytics.events``. Flips and stretch changes of the
pairs of one theme on one session are one event naming every pair that moved. Event keys are
``f"{kind}:{rule_id}:{session}"``, with ``:{theme}`` (the theme's head pair) after the rule id
for a rule that applies to every pair.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from analytics.constants import STRETCH_LIMIT, STRETCH_WINDOW
from analytics.events import (
    BreadthAlert,
    Event,
    FlipAlert,
    FlipMove,
    QuadrantAlert,
    SpreadMoveAlert,
    StretchAlert,
    StretchMove,
    ThresholdAlert,
)
from analytics.types import HORIZONS, PairStats, Rule, Snapshot, TrackRecord

#: Metric names usable in ``/alert PAIR METRIC OP VALUE`` and their units.
METRICS: Mapping[str, str] = {
    **{f"spread_{h}": "pp" for h in HORIZONS},
    **{f"ratio_{h}": "fraction" for h in HORIZONS},
    "ratio_vs_trend": "fraction",
    "ratio_vs_trend200": "fraction",
    "spread_change_z": "z",
    "rel20_percentile": "percentile",
    "stretch_z": "z",
    "strength": "index (100 = trend)",
    "momentum": "index (100 = flat)",
    "regime_sessions": "sessions",
}

#: Earlier names of metrics (rules stored under them keep working; new ones use the new name).
METRIC_ALIASES: Mapping[str, str] = {
    "ratio_vs_sma50": "ratio_vs_trend",
    "ratio_vs_sma200": "ratio_vs_trend200",
}


def metric_name(text: str) -> str | None:
    """The metric a user typed (aliases resolved), or None when there is no such metric."""
    name = METRIC_ALIASES.get(text, text)
    return name if name in METRICS else None


_OPS: Mapping[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}
#: Flips go out at once; every other kind is folded into the chat's one message of the session.
URGENT = {"flip": True}
Outcome = tuple[Any | None, Any]
QUADRANT_HOLD = 5  # sessions; daily quadrants wobble, a week of holding is news


def default_rules() -> tuple[Rule, ...]:
    """The system alerts every subscriber gets: flips, breadth, stretch, quadrant changes."""
    return (
        Rule("flip", "flip"),
        Rule("breadth", "breadth"),
        Rule("stretch", "stretch", value=STRETCH_LIMIT, hysteresis=0.5),
        Rule("quadrant", "quadrant", value=float(QUADRANT_HOLD)),
    )


def metric_value(stats: PairStats, metric: str) -> float | None:
    """The value of a named metric for a pair (units in METRICS); KeyError if unknown."""
    metric = METRIC_ALIASES.get(metric, metric)
    if metric not in METRICS:
        raise KeyError(metric)
    if metric.startswith("spread_") and metric[7:] in HORIZONS:
        return stats.spreads_pp[metric[7:]]
    if metric.startswith("ratio_") and metric[6:] in HORIZONS:
        return stats.ratio_returns[metric[6:]]
    if metric == "regime_sessions":
        return float(stats.regime.sessions)
    value = getattr(stats, metric)
    return None if value is None else float(value)


def rules_view(snapshot: Snapshot, rules: Sequence[Rule]) -> tuple[Snapshot, list[Rule]]:
    """The snapshot and rules alerts are computed from: computable pairs only (the daily
    pipeline and replay alike).

    Pairs without a close on the session are left out (their rule state stays as it was),
    and the breadth rule is left out while a pair it reads is stale.
    """
    if not snapshot.stale_pairs:
        return snapshot, list(rules)
    fresh = {k: v for k, v in snapshot.pairs.items() if k not in snapshot.stale_pairs}
    view = replace(snapshot, pairs=fresh)
    blocked = bool(snapshot.breadth.excluded)
    return view, [r for r in rules if not (blocked and r.kind == "breadth")]


def evaluate_rules(
    snapshot: Snapshot, rules: list[Rule] | tuple[Rule, ...], state: Mapping[str, Any]
) -> tuple[list[Event], dict[str, Any]]:
    """Events for the snapshot's session and the next state (the input is not changed)."""
    events: list[Event] = []
    new_state: dict[str, Any] = dict(state)
    for rule in rules:
        moves: dict[str, list[tuple[str, Any]]] = {}
        for pair, slot in _targets(snapshot, rule):
            found, entry = _HANDLERS[rule.kind](snapshot, rule, pair, state.get(slot))
            new_state[slot] = entry
            if found is None:
                continue
            if rule.kind in _THEMED and rule.pair is None:
                theme = snapshot.pairs[str(pair)].theme or str(pair)
                moves.setdefault(theme, []).append((str(pair), found))
            elif rule.kind in _THEMED:  # a rule on one pair: a theme of its own
                body = _THEMED[rule.kind](snapshot, str(pair), [found])
                events.append(_event(snapshot, rule, pair, (str(pair),), body))
            else:
                events.append(_event(snapshot, rule, pair, (pair,) if pair else (), found))
        for theme, found_moves in moves.items():
            pairs = tuple(p for p, _ in found_moves)
            body = _THEMED[rule.kind](snapshot, theme, [m for _, m in found_moves])
            events.append(_event(snapshot, rule, theme, pairs, body, name=f"{rule.id}:{theme}"))
    return events, new_state


def _targets(snapshot: Snapshot, rule: Rule) -> list[tuple[str | None, str]]:
    """(pair, state slot) pairs a rule applies to."""
    if rule.kind == "breadth":
        return [(None, rule.id)]
    if rule.pair is not None:
        known = rule.pair in snapshot.pairs or (
            rule.kind == "quadrant" and rule.pair in snapshot.quadrants
        )
        return [(rule.pair, rule.id)] if known else []
    return [(key, f"{rule.id}:{key}") for key in snapshot.pairs]


def _event(
    snapshot: Snapshot,
    rule: Rule,
    pair: str | None,
    pairs: tuple[str, ...],
    body: Any,
    name: str | None = None,
) -> Event:
    if name is None:
        name = rule.id if rule.pair is not None or pair is None else f"{rule.id}:{pair}"
    return Event(
        key=f"{rule.kind}:{name}:{snapshot.session.isoformat()}",
        kind=rule.kind,
        rule_id=rule.id,
        pair=pairs[0] if pairs else None,
        session=snapshot.session,
        urgent=URGENT.get(rule.kind, False),
        body=body,
        pairs=pairs,
    )


def _theme_flips(snapshot: Snapshot, theme: str, moves: list[FlipMove]) -> FlipAlert:
    # the head pair first, then the others in universe order
    ordered = sorted(moves, key=lambda m: m.pair != theme)
    return FlipAlert(session=snapshot.session, theme=theme, moves=tuple(ordered))


def _theme_stretches(snapshot: Snapshot, theme: str, moves: list[StretchMove]) -> StretchAlert:
    ordered = sorted(moves, key=lambda m: m.pair != theme)
    return StretchAlert(session=snapshot.session, theme=theme, moves=tuple(ordered))


def _flip(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    stats = snapshot.pairs[str(pair)]
    regime = stats.regime
    since = regime.since.isoformat() if regime.since else None
    entry = {"state": regime.state, "since": since}
    last = stats.flips[-1] if stats.flips else None
    if prev is None:
        changed = last is not None and last.date == snapshot.session
    else:
        changed = prev.get("state") is not None and prev != entry and regime.state is not None
    if not changed or last is None:
        return None, entry
    track = stats.track
    move = FlipMove(
        pair=stats.key,
        label=stats.label,
        a=stats.a,
        b=stats.b,
        direction=last.direction,
        ratio=last.ratio,
        trend=last.trend,
        vs_trend=last.vs_trend,
        band=last.band,
        scaled=regime.scaled,
        confirm=regime.confirm,
        window=regime.window,
        prev_sessions=last.prev_sessions,
        a_total_return=stats.a_total_return,
        b_total_return=stats.b_total_return,
        spreads_pp=dict(stats.spreads_pp),
        track=TrackRecord(
            track.horizons, (), track.counts, track.hits, track.means, track.overlapping
        ),
        flips_total=len(stats.flips),
        raw_crosses=stats.raw_crosses,
        breadth=snapshot.breadth.confirms(last.direction)
        if _small_cap(snapshot, stats.key)
        else None,
        gaps=dict(stats.gaps),
        gap_legs=stats.gap_legs,
    )
    return move, entry


def _small_cap(snapshot: Snapshot, key: str) -> bool:
    """A pair of the lead pair's preset (small caps): its flips say whether breadth confirms."""
    return key == snapshot.lead_pair or any(
        key in keys and snapshot.lead_pair in keys for keys in snapshot.presets.values()
    )


def _breadth(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    """Participation (broad / narrow) changed; nothing else about breadth alerts."""
    breadth = snapshot.breadth
    entry = {"state": breadth.state}
    if prev is None or prev.get("state") is None or breadth.state is None or prev == entry:
        return None, entry
    assert breadth.participation_pair is not None  # a state comes from that pair
    body = BreadthAlert(
        session=snapshot.session,
        state=breadth.state,
        previous=prev.get("state"),
        participation_pair=breadth.participation_pair,
        lead_pair=breadth.lead_pair,
        lead_state=breadth.lead_state,
        confirmation=breadth.confirmation,
        detail=dict(breadth.detail),
    )
    return body, entry


def _threshold(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    stats = snapshot.pairs[str(pair)]
    metric = str(rule.metric)
    value = metric_value(stats, metric)
    armed = True if prev is None else bool(prev.get("armed", True))
    if value is None or rule.op is None or rule.value is None:
        return None, {"armed": armed, "value": value}
    hit = _OPS[rule.op](value, rule.value)
    if armed and hit:
        name = METRIC_ALIASES.get(metric, metric)
        body = ThresholdAlert(
            session=snapshot.session,
            rule_id=rule.id,
            pair=stats.key,
            label=stats.label,
            metric=name,
            op=rule.op,
            threshold=rule.value,
            value=value,
            hysteresis=rule.hysteresis,
            unit=METRICS[name],
        )
        return body, {"armed": False, "value": value}
    if not armed:
        below = rule.op in (">", ">=")
        margin = rule.value - rule.hysteresis if below else rule.value + rule.hysteresis
        armed = value < margin if below else value > margin
    return None, {"armed": armed, "value": value}


def _quadrant(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    """A new quadrant is reported once it has held ``value`` sessions (default 5)."""
    trail = snapshot.quadrants.get(str(pair))
    if trail is None or trail.current is None:
        return None, prev
    hold = int(rule.value) if rule.value is not None else QUADRANT_HOLD
    now = trail.current.quadrant
    confirmed = trail.sessions >= hold
    if prev is None:
        fresh = confirmed and trail.sessions == hold and trail.previous is not None
        entry = {"quadrant": now if confirmed else None}
        return (_quadrant_body(snapshot, pair, trail.previous, hold) if fresh else None), entry
    if not confirmed or prev.get("quadrant") == now:
        return None, prev
    before = prev.get("quadrant") or trail.previous
    return _quadrant_body(snapshot, pair, before, hold), {"quadrant": now}


def _quadrant_body(
    snapshot: Snapshot, pair: str | None, previous: str | None, hold: int
) -> QuadrantAlert:
    trail = snapshot.quadrants[str(pair)]
    assert trail.current is not None
    return QuadrantAlert(
        session=snapshot.session,
        key=trail.key,
        benchmark=trail.benchmark,
        quadrant=trail.current.quadrant,
        previous=previous,
        since=trail.since,
        sessions=trail.sessions,
        hold=hold,
        strength=trail.current.strength,
        momentum=trail.current.momentum,
        ema=snapshot.quadrant_params.ema,
        momentum_shift=snapshot.quadrant_params.momentum_shift,
    )


def _stretch(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    """Entered when |Z| > value (default 2); left when |Z| < value - hysteresis."""
    stats = snapshot.pairs[str(pair)]
    z = stats.stretch_z
    if z is None:
        return None, prev
    limit = rule.value if rule.value is not None else STRETCH_LIMIT
    if prev is None:
        now = abs(z) > limit
        fresh = now and stats.stretched_prev is False
        return (_stretch_move(stats, rule, True, limit) if fresh else None), {"stretched": now}
    was = bool(prev.get("stretched"))
    if not was and abs(z) > limit:
        return _stretch_move(stats, rule, True, limit), {"stretched": True}
    if was and abs(z) < limit - rule.hysteresis:
        return _stretch_move(stats, rule, False, limit), {"stretched": False}
    return None, prev


def _stretch_move(stats: PairStats, rule: Rule, entered: bool, limit: float) -> StretchMove:
    assert stats.stretch_z is not None
    return StretchMove(
        pair=stats.key,
        label=stats.label,
        entered=entered,
        stretch_z=stats.stretch_z,
        limit=limit,
        exit_below=limit - rule.hysteresis,
        window=STRETCH_WINDOW,
    )


def _spread_move(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    stats = snapshot.pairs[str(pair)]
    session = snapshot.session.isoformat()
    move = stats.spread_change_1d_pp
    already = prev is not None and prev.get("session") == session
    if move is None or rule.value is None or already or abs(move) < rule.value:
        return None, prev
    body = SpreadMoveAlert(
        session=snapshot.session,
        pair=stats.key,
        label=stats.label,
        spread_1d_pp=move,
        threshold_pp=rule.value,
        z=stats.spread_change_z,
    )
    return body, {"session": session}


_HANDLERS: Mapping[str, Callable[..., Outcome]] = {
    "flip": _flip,
    "breadth": _breadth,
    "threshold": _threshold,
    "quadrant": _quadrant,
    "stretch": _stretch,
    "spread_move": _spread_move,
}
#: Kinds whose per-pair findings of one theme become one event, and how they are combined.
_THEMED: Mapping[str, Callable[..., Any]] = {"flip": _theme_flips, "stretch": _theme_stretches}
