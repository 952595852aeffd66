"""Evaluate alert rules against a snapshot and the previous rule state (pure).

``evaluate_rules`` returns the new events and the next state; the caller stores the state.
Evaluating the same snapshot again with the returned state yields no events. State values
are JSON-friendly dicts keyed by rule id (and pair for rules that apply to every pair).
Event keys are ``f"{kind}:{rule_id}:{session}"``, with ``:{pair}`` after the rule id for a
rule that applies to every pair.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from analytics.constants import STRETCH_LIMIT, STRETCH_WINDOW
from analytics.serde import to_jsonable
from analytics.types import (
    HORIZONS,
    Event,
    PairStats,
    Rule,
    Snapshot,
)

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
URGENT = {"flip": True, "threshold": True, "spread_move": True}
Outcome = tuple[Event | None, Any]
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


def evaluate_rules(
    snapshot: Snapshot, rules: list[Rule] | tuple[Rule, ...], state: Mapping[str, Any]
) -> tuple[list[Event], dict[str, Any]]:
    """Events for the snapshot's session and the next state (the input is not changed)."""
    events: list[Event] = []
    new_state: dict[str, Any] = dict(state)
    for rule in rules:
        for pair, slot in _targets(snapshot, rule):
            event, entry = _evaluate(snapshot, rule, pair, state.get(slot))
            new_state[slot] = entry
            if event is not None:
                events.append(event)
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


def _event(snapshot: Snapshot, rule: Rule, pair: str | None, payload: dict[str, Any]) -> Event:
    name = rule.id if rule.pair is not None or pair is None else f"{rule.id}:{pair}"
    return Event(
        key=f"{rule.kind}:{name}:{snapshot.session.isoformat()}",
        kind=rule.kind,
        rule_id=rule.id,
        pair=pair,
        session=snapshot.session,
        urgent=URGENT.get(rule.kind, False),
        payload=to_jsonable({"session": snapshot.session, **payload}),
    )


def _evaluate(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    handler = _HANDLERS[rule.kind]
    return handler(snapshot, rule, pair, prev)


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
    payload = {
        "pair": stats.key, "label": stats.label, "direction": last.direction,
        "ratio": last.ratio, "trend": last.trend, "vs_trend": last.vs_trend,
        "band": last.band, "confirm": regime.confirm,
        "window": regime.window, "prev_sessions": last.prev_sessions, "since": regime.since,
        "previous_state": prev.get("state") if prev else None,
        "a_total_return": stats.a_total_return, "b_total_return": stats.b_total_return,
        "spreads_pp": stats.spreads_pp, "track_counts": stats.track.counts,
        "track_hits": stats.track.hits, "track_means": stats.track.means,
        "track_overlapping": stats.track.overlapping,
        "flips_total": len(stats.flips), "raw_crosses": stats.raw_crosses,
        "breadth": snapshot.breadth.confirms(last.direction) if _small_cap(snapshot, stats.key)
        else None,
    }  # fmt: skip
    return _event(snapshot, rule, pair, payload), entry


def _small_cap(snapshot: Snapshot, key: str) -> bool:
    """A pair of the lead pair's preset (small caps): its flips say whether breadth confirms."""
    return (
        any(key in keys and snapshot.lead_pair in keys for keys in snapshot.presets.values())
        or key == snapshot.lead_pair
    )


def _breadth(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    breadth = snapshot.breadth
    entry = {"state": breadth.state}
    if prev is None or prev.get("state") is None or breadth.state is None or prev == entry:
        return None, entry
    payload = {
        "state": breadth.state, "previous": prev.get("state"),
        "participation_pair": breadth.participation_pair, "lead_pair": breadth.lead_pair,
        "lead_state": breadth.lead_state, "confirmation": breadth.confirmation,
        "detail": breadth.detail,
    }  # fmt: skip
    return _event(snapshot, rule, None, payload), entry


def _threshold(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    stats = snapshot.pairs[str(pair)]
    value = metric_value(stats, str(rule.metric))
    armed = True if prev is None else bool(prev.get("armed", True))
    if value is None or rule.op is None or rule.value is None:
        return None, {"armed": armed, "value": value}
    hit = _OPS[rule.op](value, rule.value)
    if armed and hit:
        payload = {
            "pair": stats.key, "label": stats.label, "metric": rule.metric, "op": rule.op,
            "threshold": rule.value, "value": value, "hysteresis": rule.hysteresis,
            "unit": METRICS[str(rule.metric)],
        }  # fmt: skip
        return _event(snapshot, rule, pair, payload), {"armed": False, "value": value}
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
        return (
            _quadrant_event(snapshot, rule, pair, trail.previous, hold) if fresh else None
        ), entry
    if not confirmed or prev.get("quadrant") == now:
        return None, prev
    before = prev.get("quadrant") or trail.previous
    return _quadrant_event(snapshot, rule, pair, before, hold), {"quadrant": now}


def _quadrant_event(
    snapshot: Snapshot, rule: Rule, pair: str | None, previous: str | None, hold: int
) -> Event:
    trail = snapshot.quadrants[str(pair)]
    assert trail.current is not None
    payload = {
        "key": trail.key, "benchmark": trail.benchmark, "quadrant": trail.current.quadrant,
        "previous": previous, "since": trail.since, "sessions": trail.sessions, "hold": hold,
        "strength": trail.current.strength, "momentum": trail.current.momentum,
        "ema": snapshot.quadrant_params.ema,
        "momentum_shift": snapshot.quadrant_params.momentum_shift,
    }  # fmt: skip
    return _event(snapshot, rule, pair, payload)


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
        return (_stretch_event(snapshot, rule, pair, True, limit) if fresh else None), {
            "stretched": now
        }
    was = bool(prev.get("stretched"))
    if not was and abs(z) > limit:
        return _stretch_event(snapshot, rule, pair, True, limit), {"stretched": True}
    if was and abs(z) < limit - rule.hysteresis:
        return _stretch_event(snapshot, rule, pair, False, limit), {"stretched": False}
    return None, prev


def _stretch_event(
    snapshot: Snapshot, rule: Rule, pair: str | None, entered: bool, limit: float
) -> Event:
    stats = snapshot.pairs[str(pair)]
    payload = {
        "pair": stats.key, "label": stats.label, "entered": entered,
        "stretch_z": stats.stretch_z, "limit": limit, "exit_below": limit - rule.hysteresis,
        "window": STRETCH_WINDOW,
    }  # fmt: skip
    return _event(snapshot, rule, pair, payload)


def _spread_move(snapshot: Snapshot, rule: Rule, pair: str | None, prev: Any) -> Outcome:
    stats = snapshot.pairs[str(pair)]
    session = snapshot.session.isoformat()
    move = stats.spread_change_1d_pp
    already = prev is not None and prev.get("session") == session
    if move is None or rule.value is None or already or abs(move) < rule.value:
        return None, prev
    payload = {
        "pair": stats.key, "label": stats.label, "spread_1d_pp": move,
        "threshold_pp": rule.value, "z": stats.spread_change_z,
    }  # fmt: skip
    return _event(snapshot, rule, pair, payload), {"session": session}


_HANDLERS: Mapping[str, Callable[..., Outcome]] = {
    "flip": _flip,
    "breadth": _breadth,
    "threshold": _threshold,
    "quadrant": _quadrant,
    "stretch": _stretch,
    "spread_move": _spread_move,
}
