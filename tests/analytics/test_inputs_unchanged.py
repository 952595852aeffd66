"""Every public analytics function leaves its input frames (and state) unchanged."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pandas as pd

from analytics.baskets import basket_index
from analytics.pairs import compute_pairs, pair_series, pair_stats
from analytics.returns import all_symbol_stats, horizon_returns, symbol_stats
from analytics.rules import evaluate_rules
from analytics.snapshot import build_snapshot, quadrant_tails
from analytics.types import Rule, Universe

ASOF = dt.date(2026, 3, 20)


def test_public_functions_do_not_mutate_inputs(
    bundled_closes: pd.DataFrame, universe: Universe
) -> None:
    closes = bundled_closes.copy()
    closes.iloc[100, 3] = np.nan  # a gap, so the gap-handling paths run too
    reference = closes.copy(deep=True)
    calls = [
        lambda c: symbol_stats(c, "IWM", ASOF),
        lambda c: all_symbol_stats(c, c.columns, ASOF),
        lambda c: horizon_returns(c, ASOF),
        lambda c: basket_index(c, universe.baskets[0], ASOF),
        lambda c: pair_stats(c, universe.pairs[0], universe, ASOF),
        lambda c: pair_series(c, universe.pairs[0], ASOF, universe),
        lambda c: compute_pairs(c, universe.pairs, universe, ASOF),
        lambda c: quadrant_tails(c, universe.members, "SPY", ASOF),
        lambda c: build_snapshot(c, universe, ASOF),
    ]
    for call in calls:
        call(closes)
        pd.testing.assert_frame_equal(closes, reference, check_exact=True)
        assert closes.index.name == "date"
    snap = build_snapshot(closes, universe, ASOF)
    state = {"flips:IWM/SPY": {"state": "A", "since": "2025-01-02"}}
    before = copy.deepcopy(state)
    evaluate_rules(snap, [Rule("flips", "flip")], state)
    assert state == before
