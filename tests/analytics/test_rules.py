"""Rule evaluation: flips, thresholds with re-arming, quadrant, stretch, moves, idempotency."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.events import FlipAlert, decode
from analytics.rules import METRICS, evaluate_rules, metric_value
from analytics.snapshot import build_snapshot
from analytics.types import PairSpec, QuadrantParams, RegimeParams, Rule, Snapshot, Universe

from .conftest import frame, sessions
from .test_regime import A_CLOSES

UNI = Universe(
    pairs=(PairSpec("A", "B", "test pair", RegimeParams(band=0.01, window=20)),),
    members=("A",),
    benchmark="B",
    lead_pair="A/B",
    breadth_pairs=(),
    quadrant=QuadrantParams(ema=5, momentum_shift=2, tail_weeks=3),
)
ALL_KINDS = (
    Rule("flips", "flip"),
    Rule("breadth", "breadth"),
    Rule("ytd5", "threshold", "A/B", "spread_1w", ">", 1.0, 0.5),
    Rule("quad", "quadrant"),
    Rule("stretch", "stretch"),
    Rule("move", "spread_move", None, None, None, 1.0),
)


def scenario() -> pd.DataFrame:
    return frame(sessions("2025-01-06", len(A_CLOSES)), A=A_CLOSES, B=[50.0] * len(A_CLOSES))


def replay(closes: pd.DataFrame, rules: tuple[Rule, ...]) -> list:
    """Evaluate every session in order, carrying the state through JSON like a job would."""
    state: dict = {}
    events = []
    for ts in closes.index[20:]:
        snap = build_snapshot(closes, UNI, ts.date())
        new, state = evaluate_rules(snap, rules, state)
        state = json.loads(json.dumps(state))
        events.extend(new)
    return events


def test_flip_event_on_the_confirming_close_only() -> None:
    closes = scenario()
    events = replay(closes, (Rule("f", "flip", "A/B"),))
    assert [(e.key, e.session) for e in events] == [
        (f"flip:f:{closes.index[32].date()}", closes.index[32].date())
    ]
    body = events[0].body
    assert isinstance(body, FlipAlert)
    (move,) = body.moves
    assert (move.direction, move.leader, move.former) == ("A", "A", "B")
    assert move.ratio == pytest.approx(101.5 / 50)
    assert move.vs_trend == pytest.approx(move.ratio / move.trend - 1)
    assert (move.band, move.confirm, move.window) == (0.01, 3, 20)
    assert move.prev_sessions == 10
    assert events[0].urgent
    assert events[0].pairs == ("A/B",)
    # the stored form decodes back to the same typed body
    assert decode("flip", json.loads(json.dumps(events[0].payload))) == body


def test_wildcard_rule_keys_name_the_pair() -> None:
    closes = scenario()
    events = replay(closes, (Rule("every", "flip"),))
    assert [e.key for e in events] == [f"flip:every:A/B:{closes.index[32].date()}"]


def test_first_evaluation_without_state_reports_a_flip_of_that_session() -> None:
    closes = scenario()
    snap = build_snapshot(closes, UNI, closes.index[32].date())
    events, _ = evaluate_rules(snap, (Rule("f", "flip", "A/B"),), {})
    assert len(events) == 1
    later = build_snapshot(closes, UNI, closes.index[33].date())
    assert evaluate_rules(later, (Rule("f", "flip", "A/B"),), {})[0] == []


def with_metric(snap: Snapshot, **changes: object) -> Snapshot:
    pair = replace(snap.pairs["A/B"], **changes)  # type: ignore[arg-type]
    return replace(snap, pairs={"A/B": pair})


def test_threshold_is_edge_triggered_and_rearms_past_the_hysteresis() -> None:
    closes = scenario()
    base = build_snapshot(closes, UNI, closes.index[-1].date())
    rule = Rule("t", "threshold", "A/B", "ratio_vs_trend", ">", 0.02, 0.005)
    values = [0.01, 0.021, 0.03, 0.018, 0.016, 0.022, 0.014, 0.025]
    # fires at 0.021; 0.018 is not back past 0.02 - 0.005; 0.014 re-arms; 0.025 fires again
    fired = []
    state: dict = {}
    for i, value in enumerate(values):
        snap = with_metric(base, ratio_vs_trend=value)
        snap = replace(snap, session=base.session.replace(day=1 + i))
        events, state = evaluate_rules(snap, (rule,), state)
        fired.extend((e.body.value, e.key) for e in events)
    assert [v for v, _ in fired] == [0.021, 0.025]
    assert len({k for _, k in fired}) == 2


def test_stretch_entered_and_left() -> None:
    closes = scenario()
    base = build_snapshot(closes, UNI, closes.index[-1].date())
    rule = Rule("s", "stretch", "A/B")
    state: dict = {}
    seen = []
    for z in (1.0, 2.5, 2.7, 1.5):
        snap = with_metric(base, stretch_z=z, stretched=abs(z) > 2, stretched_prev=None)
        events, state = evaluate_rules(snap, (rule,), state)
        seen.extend(e.body.moves[0].entered for e in events)
    assert seen == [True, False]


def test_stretch_leaves_only_past_the_hysteresis() -> None:
    closes = scenario()
    base = build_snapshot(closes, UNI, closes.index[-1].date())
    rule = Rule("s", "stretch", "A/B", value=2.0, hysteresis=0.5)
    state: dict = {"s": {"stretched": False}}
    seen = []
    for z in (2.5, 1.8, 2.1, -1.6, -1.4, -2.2):
        snap = with_metric(base, stretch_z=z)
        events, state = evaluate_rules(snap, (rule,), state)
        seen.extend((z, e.body.moves[0].entered) for e in events)
    assert seen == [(2.5, True), (-1.4, False), (-2.2, True)]


def test_spread_move_fires_once_per_session() -> None:
    closes = scenario()
    base = build_snapshot(closes, UNI, closes.index[-1].date())
    rule = Rule("m", "spread_move", "A/B", value=1.5)
    big = with_metric(base, spread_change_1d_pp=-1.6)
    events, state = evaluate_rules(big, (rule,), {})
    assert [e.body.spread_1d_pp for e in events] == [-1.6]
    assert evaluate_rules(big, (rule,), state)[0] == []
    small = with_metric(base, spread_change_1d_pp=1.4)
    assert evaluate_rules(small, (rule,), {})[0] == []


def test_quadrant_transition_reported_once_it_has_held() -> None:
    # daily labels from row 20 (strength = 100 R / EMA5, momentum vs 2 sessions back):
    # lagging x2, improving, leading x2, weakening x2, leading x2, lagging, weakening,
    # leading, weakening x4
    closes = scenario()
    events = replay(closes, (Rule("q", "quadrant", "A/B", value=2),))
    got = [(e.session, e.body.quadrant, e.body.previous) for e in events]
    dates = closes.index
    assert got == [
        (dates[21].date(), "lagging", "leading"),
        (dates[24].date(), "leading", "lagging"),
        (dates[26].date(), "weakening", "leading"),
        (dates[28].date(), "leading", "weakening"),
        (dates[33].date(), "weakening", "leading"),
    ]
    assert all(e.body.ema == 5 and e.body.sessions == 2 for e in events)
    # the default hold of 5 sessions filters every one of these wobbles
    assert replay(closes, (Rule("q", "quadrant", "A/B"),)) == []


def test_metrics_are_all_readable(bundled_closes: pd.DataFrame, universe: Universe) -> None:
    snap = build_snapshot(bundled_closes, universe, pd.Timestamp("2026-03-31").date())
    pair = snap.pairs["IWM/SPY"]
    for metric in METRICS:
        value = metric_value(pair, metric)
        assert value is None or np.isfinite(value)
    assert metric_value(pair, "spread_ytd") == pair.spreads_pp["ytd"]
    with pytest.raises(KeyError):
        metric_value(pair, "nonsense")


steps = st.lists(st.floats(-0.03, 0.03, allow_nan=False), min_size=60, max_size=60)


@settings(max_examples=25, deadline=None)
@given(steps, st.integers(21, 59))
def test_same_snapshot_twice_gives_no_new_events(a_steps: list[float], at: int) -> None:
    dates = sessions("2025-01-06", 60)
    closes = frame(dates, A=list(100 * np.exp(np.cumsum(a_steps))), B=[50.0] * 60)
    state: dict = {}
    for ts in dates[20 : at + 1]:
        snap = build_snapshot(closes, UNI, ts.date())
        _, state = evaluate_rules(snap, ALL_KINDS, state)
    frozen = json.dumps(state, sort_keys=True)
    again, state2 = evaluate_rules(snap, ALL_KINDS, json.loads(frozen))
    assert again == []
    assert json.dumps(state2, sort_keys=True) == frozen
    assert json.dumps(state, sort_keys=True) == frozen  # the input state is not mutated
