"""The vectorised backtest raises exactly the events of evaluating each session's snapshot.

The reference is the per-session pipeline's evaluation: ``build_snapshot`` of every session,
``evaluate_rules`` with the state carried through JSON as a job stores it. Both are compared
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
from analytics.rules import evaluate_rules
from analytics.snapshot import build_snapshot
from analytics.types import Event, Rule, Universe
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


def per_session(
    closes: pd.DataFrame, universe: Universe, days: list[dt.date], rules: tuple[Rule, ...]
) -> list[tuple[dt.date, Event]]:
    state: dict = {}
    out = []
    for day in days:
        events, state = evaluate_rules(build_snapshot(closes, universe, day), rules, state)
        state = json.loads(json.dumps(state))
        out.extend((day, e) for e in events)
    return out


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
    bundled_closes: pd.DataFrame, universe: Universe
) -> None:
    days = days_from(bundled_closes, "2025-12-01")
    rules = (*SUPPORTED_KINDS, Rule("one", "flip", "IWM/SPY"), Rule("oneq", "quadrant", "RSP/SPY"))
    expected = per_session(bundled_closes, universe, days, rules)
    assert vectorised(bundled_closes, universe, days, rules) == expected
    assert {e.kind for _d, e in expected} >= {"flip", "quadrant", "stretch"}


def test_first_session_rules_and_gaps_match_on_a_scenario() -> None:
    """A flip on the first replayed session, a leg without a close, a session without a row."""
    a = list(A_CLOSES) + [101.5 + 0.3 * k for k in range(30)]
    closes = frame(sessions("2025-01-06", len(a)), A=a, B=[50.0] * len(a))
    closes.iloc[40, 0] = np.nan  # A misses a session: the pair keeps its last row
    days = [ts.date() for ts in closes.index[32:]]
    friday = next(d for d in days if d.weekday() == 4)
    days.insert(days.index(friday) + 1, friday + dt.timedelta(days=1))  # a Saturday: no row
    expected = per_session(closes, UNI, days, SUPPORTED_KINDS)
    assert expected  # the scenario raises events
    assert expected[0][1].kind == "flip"
    assert expected[0][0] == days[0]
    assert vectorised(closes, UNI, days, SUPPORTED_KINDS) == expected


@pytest.mark.parametrize(
    "rule",
    [
        Rule("t", "threshold", "IWM/SPY", "spread_1w", ">", 1.0, 0.5),
        Rule("m", "spread_move", None, None, None, 1.0),
        Rule("q", "quadrant", "IWM"),
    ],
)
def test_rules_it_does_not_evaluate_are_refused(
    bundled_closes: pd.DataFrame, universe: Universe, rule: Rule
) -> None:
    with pytest.raises(Unsupported):
        backtest(bundled_closes, universe, days_from(bundled_closes, "2026-03-02"), (rule,))


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
