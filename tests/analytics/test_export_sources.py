"""Exports name where each close came from and what another source said."""

from __future__ import annotations

import pandas as pd

from analytics.export import with_sources


def test_a_symbol_gets_its_source_and_the_disagreements() -> None:
    table = pd.DataFrame({"date": ["2026-03-30", "2026-03-31"], "close": [1.0, 2.0]})
    sources = {"IWM": {"2026-03-30": "yahoo", "2026-03-31": "tiingo"}}
    found = [
        ("IWM", "2026-03-30", "yahoo", 1.0, "tiingo", 1.02),
        ("SPY", "2026-03-31", "a", 1.0, "b", 2.0),
    ]

    out = with_sources(table, ["IWM"], sources, found)

    assert out["source"].tolist() == ["yahoo", "tiingo"]
    assert out["disagreement"].tolist() == ["IWM tiingo 1.02", ""]
    assert list(table.columns) == ["date", "close"]  # the input is left as it was


def test_a_pair_gets_one_source_column_per_leg() -> None:
    table = pd.DataFrame({"date": ["2026-03-31"], "IWM": [1.0], "MAG7": [2.0]})
    out = with_sources(table, ["IWM", "MAG7"], {"IWM": {"2026-03-31": "fred:DGS10"}})
    assert out["source_IWM"].tolist() == ["fred:DGS10"]
    assert out["source_MAG7"].tolist() == [""]  # a basket is computed
    assert out["disagreement"].tolist() == [""]
