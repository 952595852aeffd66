"""The vectorised backtest raises exactly the events of evaluating each session's snapshot.

The reference is the per-session pipeline's evaluation: ``build_snapshot`` of every session,
``evaluate_rules`` on its computable pairs (``rules_view``: a pair without a close on the
session gets no alerts) with the state carried through JSON as a job stores it. Both are compared
event by event (key, kind, rule, pair, session, urgency and payload). If a rule change makes
them differ, this is the test that says so.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from analytics.backtest import Unsupported, backtest
from analytics.events import Event
from analytics.rules import evaluate_rules, rules_view
from analytics.snapshot import build_snapshot
from analytics.types import Rule, Snapshot, Universe
from jobs.fanout import DEFAULT_RULES
from jobs.replay import replay_dry, replay_per_session

from .conftest import frame, sessions
from .test_regime import A_CLOSES
from .test_rules import UNI

SUPPORTED_KINDS = (
    Rule("flips", "flip"),
    Rule("breadth", "breadth"),
    Rule("quad", "quadrant"),
    Rule("quad2", "quadrant", value=2.0),
    Rule("stretch", "stretch", value=2.0, hysteresis=0.5),
    Rule("tight", "stretch", value=1.2, hysteresis=0.3),
)
# User alerts on the bundled pairs: every metric, both directions, on every pair or on one,
# with the re-arm margins /alert gives them (jobs.fanout), and one without a margin.
THRESHOLDS = (
    Rule("s1d", "threshold", None, "spread_1d", "<=", -1.0, 0.5),
    Rule("s1w", "threshold", None, "spread_1w", ">", 2.0, 0.5),
    Rule("s1m", "threshold", "IWM/SPY", "spread_1m", "<", 0.0, 0.5),
    Rule("s3m", "threshold", "KRE/XLF", "spread_3m", ">=", 4.0, 0.5),
    Rule("sytd", "threshold", None, "spread_ytd", "<", 0.0, 0.5),
    Rule("s1y", "threshold", None, "spread_1y", ">", 4.0, 0.5),
    Rule("r1d", "threshold", "RSP/SPY", "ratio_1d", "<", -0.005, 0.005),
    Rule("r1w", "threshold", None, "ratio_1w", ">=", 0.02, 0.005),
    Rule("r1m", "threshold", None, "ratio_1m", ">", 0.04, 0.005),
    Rule("r3m", "threshold", None, "ratio_3m", "<=", 0.0, 0.005),
    Rule("rytd", "threshold", "IWM/MAG7", "ratio_ytd", ">", 0.05, 0.005),
    Rule("r1y", "threshold", None, "ratio_1y", "<", -0.05, 0.005),
    Rule("trend", "threshold", None, "ratio_vs_sma50", ">", 0.03, 0.005),  # an earlier name
    Rule("t200", "threshold", None, "ratio_vs_trend200", "<", 0.02, 0.005),
    Rule("z", "threshold", None, "spread_change_z", ">=", 1.5, 0.25),
    Rule("pct", "threshold", None, "rel20_percentile", ">", 90.0, 5.0),
    Rule("pctlo", "threshold", "IWM/SPY", "rel20_percentile", "<", 30.0, 5.0),
    Rule("stz", "threshold", None, "stretch_z", ">", 1.5, 0.25),
    Rule("str", "threshold", None, "strength", "<", 100.0, 0.5),
    Rule("mom", "threshold", None, "momentum", ">", 102.0, 0.5),
    Rule("age", "threshold", None, "regime_sessions", ">=", 20.0, 0.0),
    Rule("bare", "threshold", "IJR/SPY", "spread_1w", ">", 1.0, 0.0),
)
SPREAD_MOVES = (
    Rule("move", "spread_move", None, None, None, 1.0),
    Rule("iwm", "spread_move", "IWM/SPY", None, None, 0.5),
    Rule("big", "spread_move", None, None, None, 2.5),
)
# The synthetic scenario's alerts: its spreads are tiny and A rises by 0.3 a session.
SCENARIO_ALERTS = (
    Rule("w_up", "threshold", None, "spread_1w", ">", 1.45, 0.05),
    Rule("w_down", "threshold", "A/B", "spread_1w", "<", 1.0, 0.2),
    Rule("d_flat", "threshold", None, "spread_1d", "<=", 0.0, 0.1),
    Rule("r_up", "threshold", "A/B", "ratio_1d", ">=", 0.0029, 0.0001),
    Rule("age", "threshold", None, "regime_sessions", ">=", 10.0, 0.0),
    Rule("move", "spread_move", None, None, None, 0.29),
    Rule("every", "spread_move", "A/B", None, None, 0.0),
)


def per_session(
    closes: pd.DataFrame,
    universe: Universe,
    days: list[dt.date],
    rules: tuple[Rule, ...],
    snapshots: list[Snapshot] | None = None,
) -> list[tuple[dt.date, Event]]:
    state: dict = {}
    out = []
    for k, day in enumerate(days):
        snapshot = snapshots[k] if snapshots is not None else build_snapshot(closes, universe, day)
        view, active = rules_view(snapshot, rules)
        events, state = evaluate_rules(view, active, state)
        state = json.loads(json.dumps(state))
        out.extend((day, e) for e in events)
    return out


@pytest.fixture(scope="module")
def december(
    bundled_closes: pd.DataFrame, universe: Universe
) -> tuple[list[dt.date], list[Snapshot]]:
    """The bundled sessions from 2025-12-01 and their snapshots (built once for the module)."""
    days = days_from(bundled_closes, "2025-12-01")
    return days, [build_snapshot(bundled_closes, universe, day) for day in days]


def vectorised(
    closes: pd.DataFrame, universe: Universe, days: list[dt.date], rules: tuple[Rule, ...]
) -> list[tuple[dt.date, Event]]:
    return [(s.session, e) for s in backtest(closes, universe, days, rules) for e in s.events]


def days_from(closes: pd.DataFrame, first: str) -> list[dt.date]:
    return [ts.date() for ts in closes.index if ts >= pd.Timestamp(first)]


def test_default_replay_is_identical_on_the_bundled_data(
    bundled_closes: pd.DataFrame, universe: Universe
) -> None:
    days = days_from(bundled_closes, "2025-09-02")
    expected = [(s.session, e) for s in replay_per_session(days, bundled_closes, universe)
                for e in s.events]  # fmt: skip
    got = [(s.session, e) for s in replay_dry(days, bundled_closes, universe) for e in s.events]
    assert got == expected
    kinds = {e.kind for _d, e in expected}
    assert kinds == {"flip", "breadth", "stretch"}  # every default rule fires in this range
    entered = {m.entered for _d, e in expected if e.kind == "stretch" for m in e.body.moves}
    assert entered == {True, False}


def test_every_supported_kind_is_identical_on_the_bundled_data(
    bundled_closes: pd.DataFrame,
    universe: Universe,
    december: tuple[list[dt.date], list[Snapshot]],
) -> None:
    days, snapshots = december
    rules = (*SUPPORTED_KINDS, Rule("one", "flip", "IWM/SPY"), Rule("oneq", "quadrant", "RSP/SPY"))
    expected = per_session(bundled_closes, universe, days, rules, snapshots)
    assert vectorised(bundled_closes, universe, days, rules) == expected
    assert {e.kind for _d, e in expected} >= {"flip", "quadrant", "stretch"}


def test_thresholds_and_spread_moves_are_identical_on_the_bundled_data(
    bundled_closes: pd.DataFrame,
    universe: Universe,
    december: tuple[list[dt.date], list[Snapshot]],
) -> None:
    days, snapshots = december
    rules = (*DEFAULT_RULES, *THRESHOLDS, *SPREAD_MOVES)
    expected = per_session(bundled_closes, universe, days, rules, snapshots)
    assert vectorised(bundled_closes, universe, days, rules) == expected
    thresholds = [e for _d, e in expected if e.kind == "threshold"]
    # every threshold rule fires in this range, in both directions
    assert {e.rule_id for e in thresholds} == {r.id for r in THRESHOLDS}
    assert {e.body.op for e in thresholds} == {">", "<", ">=", "<="}
    fired = [(e.rule_id, e.pair) for e in thresholds]
    assert len(fired) > len(set(fired))  # some rule re-armed and fired again on the same pair
    assert len({e.pair for e in thresholds if e.rule_id == "s1w"}) > 1  # a rule on every pair
    moves = [e for _d, e in expected if e.kind == "spread_move"]
    assert {e.rule_id for e in moves} == {r.id for r in SPREAD_MOVES}
    assert {e.pair for e in moves if e.rule_id == "iwm"} == {"IWM/SPY"}


def test_first_session_rules_and_gaps_match_on_a_scenario() -> None:
    """A flip on the first replayed session, a leg without a close, a session without a row."""
    a = list(A_CLOSES) + [101.5 + 0.3 * k for k in range(30)]
    closes = frame(sessions("2025-01-06", len(a)), A=a, B=[50.0] * len(a))
    closes.iloc[40, 0] = np.nan  # A misses a session: the pair is stale that session
    days = [ts.date() for ts in closes.index[32:]]
    friday = next(d for d in days if d.weekday() == 4)
    days.insert(days.index(friday) + 1, friday + dt.timedelta(days=1))  # a Saturday: no row
    rules = (*SUPPORTED_KINDS, *SCENARIO_ALERTS)
    expected = per_session(closes, UNI, days, rules)
    assert expected  # the scenario raises events
    assert expected[0][1].kind == "flip"
    assert expected[0][0] == days[0]
    assert vectorised(closes, UNI, days, rules) == expected
    fired = [e.rule_id for _d, e in expected if e.kind == "threshold"]
    assert set(fired) == {r.id for r in SCENARIO_ALERTS if r.kind == "threshold"}
    assert fired.count("w_up") == 2  # re-armed once the 1-week spread fell back
    # A's missing close: no alert of any rule on the pair that session (never on stale data);
    # the next session the pair closes again and its rules carry on from the state they had
    stale = closes.index[40].date()
    assert [e for d, e in expected if d == stale] == []
    after = closes.index[41].date()
    assert ("every", after) in {(e.rule_id, d) for d, e in expected}
    # the Saturday has the Friday's snapshot: a move alerts once per session
    weekdays = [d for d in days if d.weekday() < 5 and d != stale]
    assert [d for d, e in expected if e.rule_id == "every"] == weekdays


def test_pairs_without_a_close_get_no_alerts_as_in_the_pipeline(
    bundled_closes: pd.DataFrame, universe: Universe
) -> None:
    """Ragged data from the bundled sample: IWM has no close on three sessions (a halt) and
    RSP (the participation pair's leg) on one. Those sessions raise nothing for the pairs
    using them, the breadth rule waits while RSP/SPY is stale, the pairs carry on after,
    and the backtest raises exactly the pipeline's events."""
    closes = bundled_closes.copy()
    days = days_from(closes, "2025-11-03")
    halt, rsp_gap = days[20:23], days[40]
    closes.loc[pd.DatetimeIndex(pd.to_datetime(halt)), "IWM"] = np.nan
    closes.loc[pd.Timestamp(rsp_gap), "RSP"] = np.nan
    rules = (*SUPPORTED_KINDS, *THRESHOLDS[:6], *SPREAD_MOVES)
    expected = per_session(closes, universe, days, rules)
    assert vectorised(closes, universe, days, rules) == expected
    iwm_pairs = {p.key for p in universe.pairs if "IWM" in (p.a, p.b)}
    for day, event in expected:
        if day in halt:
            assert not iwm_pairs & set(event.pairs), (day, event.key)
        if day == rsp_gap:
            assert "RSP/SPY" not in event.pairs, (day, event.key)
            assert event.kind != "breadth", (day, event.key)
    # the same rules on intact data do alert IWM pairs on those sessions: the test can fail
    intact = per_session(bundled_closes, universe, days, rules)
    assert any(iwm_pairs & set(e.pairs) for d, e in intact if d in halt)
    # and after the halt the IWM pairs alert again
    assert any(iwm_pairs & set(e.pairs) for d, e in expected if d > halt[-1])


@pytest.mark.parametrize(
    "rule",
    [
        Rule("t", "threshold", "IWM/SPY", "no_such_metric", ">", 1.0, 0.5),
        Rule("n", "threshold", "IWM/SPY", None, ">", 1.0, 0.5),
        Rule("x", "threshold", "XLE/SPY", "spread_1w", ">", 1.0, 0.5),
        Rule("q", "quadrant", "IWM"),
    ],
)
def test_rules_it_does_not_evaluate_are_refused(
    bundled_closes: pd.DataFrame, universe: Universe, rule: Rule
) -> None:
    with pytest.raises(Unsupported):
        backtest(bundled_closes, universe, days_from(bundled_closes, "2026-03-02"), (rule,))


def test_a_rule_it_does_not_evaluate_is_replayed_one_snapshot_at_a_time(
    bundled_closes: pd.DataFrame,
    universe: Universe,
    december: tuple[list[dt.date], list[Snapshot]],
) -> None:
    days, snapshots = december
    rules = (*DEFAULT_RULES, Rule("q", "quadrant", "IWM", value=2.0), THRESHOLDS[1])
    steps = replay_dry(days, bundled_closes, universe, rules)
    expected = per_session(bundled_closes, universe, days, rules, snapshots)
    assert [(s.session, e) for s in steps for e in s.events] == expected
    assert {e.kind for _d, e in expected} >= {"quadrant", "threshold"}
    assert all(s.snapshot is not None for s in steps)  # the per-session path ran


def test_inputs_are_not_changed(bundled_closes: pd.DataFrame, universe: Universe) -> None:
    closes = bundled_closes.copy()
    backtest(closes, universe, days_from(closes, "2026-03-02"), DEFAULT_RULES)
    pd.testing.assert_frame_equal(closes, bundled_closes)


@pytest.mark.slow
def test_default_replay_is_identical_over_the_whole_bundled_range(
    bundled_closes: pd.DataFrame, universe: Universe
) -> None:
    days = days_from(bundled_closes, "2024-06-03")
    expected = [(s.session, e) for s in replay_per_session(days, bundled_closes, universe)
                for e in s.events]  # fmt: skip
    got = [(s.session, e) for s in replay_dry(days, bundled_closes, universe) for e in s.events]
    assert got == expected
