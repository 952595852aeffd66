"""Replay alert rules over many sessions at once: a vectorised backtest (pure).

The per-session pipeline builds the Snapshot of one session and lets each rule compare it
with the state the rule left the session before. Here the series every snapshot reads are
computed once over the whole history (``pair_history``, the same functions
``build_snapshot`` uses, so a session's numbers are one row of them), what each rule reads
is derived for every session with array operations, and a rule is consulted only on the
sessions where that input changed (and on its first session): its own handler
(``analytics.rules.evaluate_rules``, one rule at a time, in order) then runs on a snapshot of
that session holding the pairs whose input changed and the breadth, with the state the rule
left before. Event keys and payloads are
therefore the rule's own; the handlers are quiet while their input and state are
unchanged, which is what makes skipping the other sessions and pairs exact, and the events
of one session's pairs are grouped per theme exactly as the pipeline groups them. As in the
pipeline (``analytics.rules.rules_view``), a pair without a close on a session gets no
alerts that session and keeps its rule state, and the breadth rule waits while a pair it
reads is stale.

Threshold rules read one metric of a pair (``analytics.rules.metric_value``); its value on
every session is derived from the same arrays ``stats_at`` reads, and the handler is
consulted where the value moves past the threshold (it fires when armed) or back past the
re-arm margin (it re-arms), and on any session whose value lies within rounding of either
edge. Spread-move rules are consulted on every session whose 1-session spread is at least
their size (or within rounding of it).

``tests/analytics/test_backtest.py`` compares this with the per-session pipeline event by
event on the bundled data. Rules whose input is not derived here (quadrant rules on a member
symbol, a rule on a pair the universe does not have, a threshold on a metric or operator
this module does not know) raise ``Unsupported``; callers then replay session by session.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analytics.constants import STRETCH_LIMIT
from analytics.events import Event
from analytics.frames import to_date, upto
from analytics.pairs import PairHistory, pair_history, stats_at
from analytics.quadrant import quadrant_codes, quadrant_trails
from analytics.regime import STATE_A
from analytics.returns import base_values
from analytics.rules import METRIC_ALIASES, QUADRANT_HOLD, evaluate_rules
from analytics.snapshot import breadth_from, fresh_breadth, usable_pairs
from analytics.types import (
    HORIZONS,
    Breadth,
    PairStats,
    QuadrantTrail,
    Rule,
    Scoreboard,
    Side,
    Snapshot,
    Universe,
    UnknownSymbol,
)

SUPPORTED = frozenset({"flip", "breadth", "stretch", "quadrant", "threshold", "spread_move"})
_ABSENT: tuple[Hashable, ...] = ("absent",)
#: Relative distance from a threshold within which a session is always consulted: the
#: derived value is computed as the snapshot computes it, this only guards against rounding.
_EDGE = 1e-9
#: Comparison of a threshold rule (as ``analytics.rules`` applies it), on arrays.
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}
#: Threshold metrics that are one row of a ``PairHistory.metrics`` array (as in ``stats_at``).
_METRIC_ARRAYS = {
    "ratio_vs_trend": "vs_trend",
    "ratio_vs_trend200": "vs_trend200",
    "spread_change_z": "spread_z",
    "rel20_percentile": "rel_pct",
    "stretch_z": "stretch",
    "strength": "strength",
    "momentum": "momentum",
}
_EMPTY_SCOREBOARD = Scoreboard(0, 0, 0, 0, {}, {}, None, None, None, ())


class Unsupported(ValueError):
    """A rule this backtest cannot evaluate over all sessions at once."""


@dataclass(frozen=True)
class Step:
    """One replayed session: the requested date, the snapshot's session and its events."""

    session: dt.date
    snapshot_session: dt.date
    events: tuple[Event, ...]


def check_supported(rules: Sequence[Rule], pair_keys: Sequence[str]) -> None:
    """Raise Unsupported for a rule the backtest does not evaluate."""
    for rule in rules:
        if rule.kind not in SUPPORTED:
            raise Unsupported(f"rule kind {rule.kind!r} ({rule.id})")
        if rule.pair is not None and rule.kind != "breadth" and rule.pair not in pair_keys:
            raise Unsupported(f"rule {rule.id} on {rule.pair}, which is not a pair")
        if rule.kind == "threshold":
            if not _known_metric(rule.metric):
                raise Unsupported(f"rule {rule.id}: metric {rule.metric!r}")
            if rule.op is not None and rule.op not in _OPS:
                raise Unsupported(f"rule {rule.id}: operator {rule.op!r}")


def _known_metric(metric: str | None) -> bool:
    if metric is None:
        return False
    name = METRIC_ALIASES.get(metric, metric)
    horizon = name.split("_", 1)[1] if "_" in name else ""
    return (
        name in _METRIC_ARRAYS
        or name == "regime_sessions"
        or (name.startswith(("spread_", "ratio_")) and horizon in HORIZONS)
    )


def backtest(
    closes: pd.DataFrame, universe: Universe, sessions: Sequence[dt.date], rules: Sequence[Rule]
) -> list[Step]:
    """The events of ``rules`` on each of ``sessions`` (ascending), starting from no state,
    exactly as evaluating each session's snapshot in turn would raise them."""
    if not sessions:
        return []
    cut = upto(closes, sessions[-1])
    index = pd.DatetimeIndex(cut.index)
    positions = index.searchsorted(pd.DatetimeIndex(pd.to_datetime(list(sessions))), "right") - 1
    if len(positions) and positions[0] < 0:
        raise UnknownSymbol("*")
    specs = usable_pairs(cut, universe, to_date(index[-1]))
    check_supported(rules, [s.key for s in specs])
    history = pair_history(cut, specs, universe, to_date(index[-1]), universe.quadrant)
    view = _View(history, universe, index, positions)
    calls: dict[int, dict[int, list[int | None]]] = {}
    for r, rule in enumerate(rules):
        for j in _columns(rule, history):
            signature = _signature(view, rule, j)
            for p in _changes(signature, _QUIET.get(rule.kind, ())):
                calls.setdefault(p, {}).setdefault(r, []).append(j)
    state: dict[str, Any] = {}
    steps = []
    for p, session in enumerate(sessions):
        events: list[Event] = []
        todo = calls.get(p, {})
        breadth: Breadth | None = None
        # Rule by rule, in order, as evaluate_rules does: each call sees a snapshot holding
        # the pairs whose input for that rule changed (and the breadth), so theme grouping,
        # keys and payloads are the pipeline's own.
        for r in sorted(todo):
            rule = rules[r]
            breadth = breadth or view.breadth(p)
            columns = [j for j in todo[r] if j is not None]
            trails = columns if rule.kind == "quadrant" else []
            snapshot = view.snapshot(p, session, columns, trails, breadth)
            slots = [_slot(rule, key) for key in _targets(rule, snapshot)]
            found, entries = evaluate_rules(
                snapshot, [rule], {s: state[s] for s in slots if s in state}
            )
            state.update(entries)
            events.extend(found)
        steps.append(Step(session, to_date(index[positions[p]]), tuple(events)))
    return steps


def _targets(rule: Rule, snapshot: Snapshot) -> list[str | None]:
    """The targets evaluate_rules visits for the rule on the snapshot."""
    if rule.kind == "breadth":
        return [None]
    if rule.pair is not None:
        return [rule.pair] if rule.pair in snapshot.pairs or rule.pair in snapshot.quadrants else []
    return list(snapshot.pairs)


def _slot(rule: Rule, key: str | None) -> str:
    """The state slot evaluate_rules keeps for the rule on a target."""
    return rule.id if key is None or rule.pair is not None else f"{rule.id}:{key}"


def _columns(rule: Rule, history: PairHistory) -> list[int | None]:
    if rule.kind == "breadth":
        return [None]
    keys = [s.key for s in history.specs]
    return [keys.index(rule.pair)] if rule.pair is not None else list(range(len(keys)))


#: Per kind, the inputs its handler keeps its state on and raises nothing for, once it has
#: seen an input: the stretch zone between the exit level and the limit; a threshold metric
#: without a value or between the re-arm margin and the threshold; a spread move without a
#: value or smaller than the rule's size.
_QUIET: dict[str, frozenset[Hashable]] = {
    "stretch": frozenset({1}),
    "threshold": frozenset({0, 1}),
    "spread_move": frozenset({0, 1}),
}


def _changes(signature: list[Hashable], quiet: Collection[Hashable] = ()) -> list[int]:
    """Positions where the rule must be consulted: its first session with input, and every
    session whose input differs from the session before, unless it changed to one in
    ``quiet`` (an input the handler keeps its state on, once it has one)."""
    out: list[int] = []
    settled = False  # the handler has seen an input (not None) and holds a state
    for p, sig in enumerate(signature):
        if sig == _ABSENT:
            continue
        if not out or (sig != signature[p - 1] and not (settled and sig in quiet)):
            out.append(p)
            settled = settled or sig is not None
    return out


class _View:
    """What the rules read on each replayed session, from the full-history series."""

    def __init__(
        self, history: PairHistory, universe: Universe, index: pd.DatetimeIndex, pos: np.ndarray
    ) -> None:
        self.history = history
        self.universe = universe
        self.index = index
        self.pos = pos
        ratio = history.frames.ratio.to_numpy(dtype="float64")
        valid = ~np.isnan(ratio)
        rows = np.where(valid, np.arange(len(index))[:, None], -1)
        # Per session and pair: the pair's last row with a close on or before the session.
        self.last_row = np.maximum.accumulate(rows, axis=0)[pos] if len(index) else rows
        # Per session and pair: both legs closed on the session (the snapshot's row). Alerts
        # are computed for these pairs only (``analytics.rules.rules_view``).
        self.fresh = self.last_row == np.asarray(pos)[:, None]
        specs = {spec.key for spec in history.specs}
        #: Universe pairs without usable data at all: stale on every session.
        self.unusable = tuple(spec.key for spec in universe.pairs if spec.key not in specs)
        self.codes = quadrant_codes(history.metrics["strength"], history.metrics["momentum"])
        state = history.run.state.astype("int64")
        change = np.diff(state, axis=0, prepend=0) != 0
        # Per row and pair: the row where the regime in force began (as current_regime).
        self.regime_start = np.maximum.accumulate(
            np.where(change, np.arange(len(index))[:, None], -1), axis=0
        )
        self.state = state

    def row(self, p: int, j: int) -> int:
        return int(self.last_row[p, j])

    def regime(self, p: int, j: int) -> tuple[Side | None, int]:
        """(state, first row of the current regime) of pair j on session p."""
        row = self.row(p, j)
        code = int(self.state[row, j]) if row >= 0 else 0
        if code == 0:
            return None, -1
        side: Side = "A" if code == STATE_A else "B"
        return side, int(self.regime_start[row, j])

    def states(self, p: int) -> dict[str, Side | None]:
        """Regime state of every pair that closed on session p."""
        return {
            spec.key: self.regime(p, j)[0]
            for j, spec in enumerate(self.history.specs)
            if self.fresh[p, j]
        }

    def stale(self, p: int) -> list[str]:
        """The universe pairs without a close on session p (the snapshot's stale pairs)."""
        keys = [s.key for j, s in enumerate(self.history.specs) if not self.fresh[p, j]]
        return [*keys, *self.unusable]

    def breadth(self, p: int) -> Breadth:
        """The breadth of session p, read from the pairs that closed on it (as the snapshot
        reads it)."""
        return fresh_breadth(breadth_from(self.states(p), self.universe), self.stale(p))

    def snapshot(
        self, p: int, session: dt.date, columns: list[int], trails: list[int], breadth: Breadth
    ) -> Snapshot:
        """The snapshot of session p with what the rules read: the stats of ``columns``, the
        quadrant trails of ``trails`` and the breadth."""
        cols = sorted(set(columns))
        rows = np.array([self.row(p, j) for j in cols], dtype="int64")
        pairs: dict[str, PairStats] = stats_at(self.history, cols, rows) if cols else {}
        quadrants = {}
        for j in sorted(set(trails)):
            trail = self.trail(p, j)
            if trail is not None:
                quadrants[self.history.specs[j].key] = trail
        u = self.universe
        return Snapshot(
            asof=session, session=to_date(self.index[self.pos[p]]), symbols={}, pairs=pairs,
            baskets={}, breadth=breadth, scoreboard=_EMPTY_SCOREBOARD,
            quadrants=quadrants, quadrant_params=u.quadrant,
            presets=u.scoreboard_presets(), lead_pair=u.lead_pair,
            stale=(), missing=(),
        )  # fmt: skip

    def trail(self, p: int, j: int) -> QuadrantTrail | None:
        """The pair's quadrant trail on session p, as the snapshot computes it."""
        spec = self.history.specs[j]
        ratio = self.history.frames.ratio.iloc[: int(self.pos[p]) + 1, [j]]
        trail = quadrant_trails(ratio, [spec.b], self.universe.quadrant).get(spec.key)
        return trail if trail is not None and trail.current is not None else None


def _signature(view: _View, rule: Rule, j: int | None) -> list[Hashable]:
    """Per replayed session, the input the rule's handler reads (``_ABSENT`` when the rule
    has no target that session)."""
    sessions = range(len(view.pos))
    if rule.kind == "breadth":
        # Left out while a pair it reads has no close on the session (rules_view).
        breadths = [view.breadth(p) for p in sessions]
        return [_ABSENT if b.excluded else b.state for b in breadths]
    assert j is not None
    if rule.kind == "quadrant" and rule.pair is not None:
        # Read from the pair's quadrant trail, which the snapshot keeps while the pair is
        # stale (evaluate_rules finds the pair there).
        present = [view.row(p, j) >= 0 for p in sessions]
    else:
        # A pair without a close on the session gets no alerts and keeps its state
        # (rules_view leaves it out of the snapshot's pairs).
        present = [bool(view.fresh[p, j]) for p in sessions]
    read: Callable[[int], Hashable] = _READERS[rule.kind](view, rule, j)
    return [read(p) if present[p] else _ABSENT for p in sessions]


def _flip_reader(view: _View, rule: Rule, j: int) -> Callable[[int], Hashable]:
    return lambda p: view.regime(p, j)


def _stretch_reader(view: _View, rule: Rule, j: int) -> Callable[[int], Hashable]:
    """The zone of the stretch Z: beyond the limit, inside the exit level, or between."""
    limit = rule.value if rule.value is not None else STRETCH_LIMIT
    z = view.history.metrics["stretch"][:, j]

    def read(p: int) -> Hashable:
        value = z[view.row(p, j)]
        if np.isnan(value):
            return None
        size = abs(float(value))
        return 2 if size > limit else 0 if size < limit - rule.hysteresis else 1

    return read


def _quadrant_reader(view: _View, rule: Rule, j: int) -> Callable[[int], Hashable]:
    """The current quadrant and whether it has held ``hold`` sessions (the first session
    a trail appears the handler is consulted anyway)."""
    hold = int(rule.value) if rule.value is not None else QUADRANT_HOLD
    codes = view.codes[:, j]
    valid = np.flatnonzero(codes >= 0)
    held = np.zeros(len(valid), dtype="int64")
    for k in range(len(valid)):  # run length of the quadrant over valid rows
        same = k > 0 and codes[valid[k]] == codes[valid[k - 1]]
        held[k] = held[k - 1] + 1 if same else 1

    def read(p: int) -> Hashable:
        k = int(np.searchsorted(valid, view.pos[p], side="right")) - 1
        if k < 0:
            return None
        return int(codes[valid[k]]), bool(held[k] >= hold)

    return read


def _threshold_reader(view: _View, rule: Rule, j: int) -> Callable[[int], Hashable]:
    """Where the metric stands against the rule: 0 no value, 1 between the re-arm margin and
    the threshold, 2 past the threshold (fires when armed), 3 back past the margin (re-arms).
    A session where both hold (a negative hysteresis) or the value is within rounding of
    either edge reads as itself, so the handler is consulted there."""
    values = _metric_values(view, str(rule.metric), j)
    if rule.op is None or rule.value is None:
        return lambda p: 0  # the handler raises nothing and keeps its state
    threshold = rule.value
    below = rule.op in (">", ">=")  # re-armed below the margin (else above it)
    margin = threshold - rule.hysteresis if below else threshold + rule.hysteresis
    finite = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        hit = _OPS[rule.op](values, threshold) & finite
        rearm = (values < margin if below else values > margin) & finite
        tol = _EDGE * max(1.0, abs(threshold), abs(margin))
        near = finite & (
            (np.abs(values - threshold) <= tol) | (np.abs(values - margin) <= tol) | (hit & rearm)
        )
    code = np.where(finite, 1 + hit.astype("int64") + 2 * rearm.astype("int64"), 0)

    def read(p: int) -> Hashable:
        return ("edge", p) if near[p] else int(code[p])

    return read


def _spread_move_reader(view: _View, rule: Rule, j: int) -> Callable[[int], Hashable]:
    """0 no move, 1 a move smaller than the rule's size, else the snapshot's row: the handler
    raises an alert on each session with such a move (once per session)."""
    move = _at_rows(view, view.history.metrics["spread"], j)
    if rule.value is None:
        return lambda p: 0
    finite = ~np.isnan(move)
    with np.errstate(invalid="ignore"):
        size = np.abs(move)
        tol = _EDGE * max(1.0, abs(rule.value))
        fire = finite & (~(size < rule.value) | (np.abs(size - rule.value) <= tol))
    code = finite.astype("int64")

    def read(p: int) -> Hashable:
        return ("move", int(view.pos[p])) if fire[p] else int(code[p])

    return read


def _at_rows(view: _View, values: np.ndarray, j: int) -> np.ndarray:
    """Column j of a T x P array on each session's row of pair j (NaN where the pair has no
    row yet or the value is not finite, as ``opt`` turns it into None)."""
    rows = view.last_row[:, j]
    out = np.asarray(values[np.clip(rows, 0, None), j], dtype="float64").copy()
    out[(rows < 0) | ~np.isfinite(out)] = np.nan
    return out


def _metric_values(view: _View, metric: str, j: int) -> np.ndarray:
    """The value ``analytics.rules.metric_value`` reads for pair j on every session, computed
    as ``stats_at`` computes it (NaN where it is None)."""
    name = METRIC_ALIASES.get(metric, metric)
    history = view.history
    if name in _METRIC_ARRAYS:
        return _at_rows(view, history.metrics[_METRIC_ARRAYS[name]], j)
    rows = view.last_row[:, j]
    safe = np.clip(rows, 0, None)
    if name == "regime_sessions":
        counted = np.cumsum(~np.isnan(history.run.log_ratio[:, j]))
        start = np.clip(view.regime_start[safe, j], 0, None)
        sessions = np.where(view.state[safe, j] != 0, counted[safe] - counted[start] + 1, 0)
        return np.where(rows >= 0, sessions.astype("float64"), np.nan)
    frames = history.frames
    horizon = name.split("_", 1)[1]
    a_last = frames.a.to_numpy(dtype="float64")[safe, j]
    b_last = frames.b.to_numpy(dtype="float64")[safe, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        if name.startswith("spread_"):
            # base_values with one column and one measurement row per session
            a_base = base_values(frames.a.iloc[:, [j]], rows)[horizon]
            b_base = base_values(frames.b.iloc[:, [j]], rows)[horizon]
            values = 100.0 * (a_last / a_base - b_last / b_base)
        else:
            r_base = base_values(frames.ratio.iloc[:, [j]], rows)[horizon]
            values = (a_last / b_last) / r_base - 1.0
    values = np.where(np.isfinite(values) & (rows >= 0), values, np.nan)
    return np.asarray(values, dtype="float64")


_READERS: dict[str, Callable[[_View, Rule, int], Callable[[int], Hashable]]] = {
    "flip": _flip_reader,
    "stretch": _stretch_reader,
    "quadrant": _quadrant_reader,
    "threshold": _threshold_reader,
    "spread_move": _spread_move_reader,
}
