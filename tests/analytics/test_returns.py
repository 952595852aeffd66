"""Returns, YTD base, holiday weeks, yields in bp, 52-week range, cross-checked with empyrical."""

from __future__ import annotations

import datetime as dt

import empyrical
import numpy as np
import pandas as pd
import pytest

from analytics.quadrant import week_end_rows
from analytics.returns import all_symbol_stats, horizon_returns, symbol_stats
from analytics.types import UnknownSymbol

from .conftest import day, frame, sessions

# NYSE sessions around Good Friday 2025 (2025-04-18 closed): a four-session week.
GOOD_FRIDAY_WEEKS = [
    "2025-04-07", "2025-04-08", "2025-04-09", "2025-04-10", "2025-04-11",
    "2025-04-14", "2025-04-15", "2025-04-16", "2025-04-17",
    "2025-04-21", "2025-04-22",
]  # fmt: skip


def test_first_session_of_a_year_measures_ytd_from_last_close_of_previous_year() -> None:
    closes = frame(["2024-12-30", "2024-12-31", "2025-01-02"], X=[100.0, 110.0, 121.0])
    stats = symbol_stats(closes, "X", day("2025-01-02"))
    assert stats.returns["ytd"] == pytest.approx(0.1, rel=1e-12)
    assert stats.returns["1d"] == pytest.approx(0.1, rel=1e-12)
    # in the first year of the data there is no previous-year close: unknown, not zero
    assert symbol_stats(closes, "X", day("2024-12-31")).returns["ytd"] is None


def test_ytd_is_not_from_the_first_close_of_the_year() -> None:
    closes = frame(["2024-12-31", "2025-01-02", "2025-01-03"], X=[80.0, 100.0, 120.0])
    assert symbol_stats(closes, "X", day("2025-01-03")).returns["ytd"] == pytest.approx(0.5)


def test_holiday_shortened_week_counts_sessions_not_days() -> None:
    values = [float(2**i) for i in range(len(GOOD_FRIDAY_WEEKS))]
    closes = frame(GOOD_FRIDAY_WEEKS, X=values)
    stats = symbol_stats(closes, "X", day("2025-04-19"))  # Saturday after Good Friday
    assert stats.last_date == day("2025-04-17")
    # five sessions back from Thursday 04-17 is Thursday 04-10 (row 3), not Friday 04-11
    assert stats.returns["1w"] == pytest.approx(2**8 / 2**3 - 1, rel=1e-15)
    assert stats.returns["1d"] == pytest.approx(1.0, rel=1e-15)
    assert stats.returns["1m"] is None
    # weekly anchors are real sessions: Friday 04-11, Thursday 04-17, then the last row
    rows = week_end_rows(closes.index)
    assert [closes.index[r].date() for r in rows] == [
        day("2025-04-11"),
        day("2025-04-17"),
        day("2025-04-22"),
    ]


def test_stale_symbol_is_measured_at_its_own_last_close() -> None:
    dates = sessions("2025-06-02", 7)
    closes = frame(dates, X=[1, 2, 3, 4, 5, 6, 7], Y=[1, 2, 3, 4, 5, 6, np.nan])
    stats = all_symbol_stats(closes, ["X", "Y"], dates[-1].date())
    assert stats["Y"].last_date == dates[5].date()
    assert stats["Y"].returns["1w"] == pytest.approx(6 / 1 - 1)
    assert stats["X"].returns["1w"] == pytest.approx(7 / 2 - 1)


def test_yields_report_basis_points_and_indexes_are_price_return() -> None:
    dates = sessions("2025-06-02", 3)
    closes = frame(dates, _caret_TNX=[4.25, 4.30, 4.19], _caret_RUT=[2000.0, 2010.0, 2020.0],
                   IWM=[200.0, 201.0, 202.0])  # fmt: skip
    stats = all_symbol_stats(closes, ["^TNX", "^RUT", "IWM"], dates[-1].date())
    tnx = stats["^TNX"]
    assert tnx.is_yield
    assert not tnx.total_return
    assert tnx.changes_bp["1d"] == pytest.approx(-11.0, abs=1e-9)
    assert all(v is None for v in tnx.returns.values())
    assert not stats["^RUT"].total_return
    assert stats["IWM"].total_return
    assert stats["IWM"].changes_bp == {}
    assert (tnx.kind, tnx.max_drawdown_1y, tnx.off_high) == ("yield", None, None)
    assert stats["IWM"].kind == "price"


def test_volatility_is_a_level_in_points() -> None:
    dates = sessions("2025-06-02", 3)
    closes = frame(dates, _caret_VIX=[16.5, 18.0, 17.25])
    vix = all_symbol_stats(closes, ["^VIX"], dates[-1].date())["^VIX"]
    assert vix.kind == "volatility"
    assert vix.changes_pts["1d"] == pytest.approx(-0.75, abs=1e-12)
    assert all(v is None for v in vix.returns.values())
    assert (vix.max_drawdown_1y, vix.off_high, vix.off_low, vix.total_return) == (
        None, None, None, False,
    )  # fmt: skip
    assert vix.changes_bp == {}


def test_52_week_range_and_distances() -> None:
    dates = sessions("2024-01-01", 300)
    values = np.full(300, 100.0)
    values[10] = 500.0  # older than 252 sessions: outside the range
    values[100] = 150.0
    values[200] = 80.0
    values[-1] = 120.0
    stats = symbol_stats(frame(dates, X=list(values)), "X", dates[-1].date())
    assert (stats.high_52w, stats.low_52w) == (150.0, 80.0)
    assert stats.off_high == pytest.approx(120 / 150 - 1)
    assert stats.off_low == pytest.approx(120 / 80 - 1)
    assert stats.max_drawdown_1y == pytest.approx(80 / 150 - 1)


def test_unknown_symbol_raises() -> None:
    closes = frame(["2025-01-02"], X=[1.0], Y=[np.nan])
    with pytest.raises(UnknownSymbol):
        symbol_stats(closes, "Z", day("2025-01-02"))
    with pytest.raises(UnknownSymbol):
        symbol_stats(closes, "Y", day("2025-01-02"))


# --- cross-check against empyrical-reloaded on the bundled real data -------------------

ASOFS = [day("2025-12-31"), day("2026-03-31"), day("2025-06-30")]


@pytest.mark.parametrize("asof", ASOFS)
def test_ytd_matches_empyrical_yearly_aggregation(
    bundled_closes: pd.DataFrame, asof: dt.date
) -> None:
    cut = bundled_closes.loc[: pd.Timestamp(asof)]
    ours = horizon_returns(bundled_closes, asof)["ytd"]
    for symbol in [c for c in cut.columns if c not in ("^TNX", "^IRX")]:
        daily = cut[symbol].pct_change().dropna()
        yearly = empyrical.aggregate_returns(daily, "yearly")
        assert ours[symbol] == pytest.approx(yearly.loc[asof.year], rel=1e-9), symbol


def test_total_return_over_one_year_matches_empyrical(bundled_closes: pd.DataFrame) -> None:
    asof = day("2026-03-31")
    cut = bundled_closes.loc[: pd.Timestamp(asof)]
    ours = horizon_returns(bundled_closes, asof)["1y"]
    for symbol in cut.columns:
        daily = cut[symbol].pct_change().iloc[-252:]
        assert ours[symbol] == pytest.approx(empyrical.cum_returns_final(daily), rel=1e-9)


def test_max_drawdown_matches_empyrical(bundled_closes: pd.DataFrame) -> None:
    asof = day("2026-03-31")
    cut = bundled_closes.loc[: pd.Timestamp(asof)]
    stats = all_symbol_stats(bundled_closes, cut.columns, asof)
    for symbol in cut.columns:
        daily = cut[symbol].pct_change()
        one_year = empyrical.max_drawdown(daily.iloc[-252:])
        if stats[symbol].is_level:  # yields and volatility are levels: no drawdown shown
            assert stats[symbol].max_drawdown_1y is None
            assert stats[symbol].returns["1y"] is None
            continue
        assert stats[symbol].max_drawdown_1y == pytest.approx(one_year, rel=1e-9)


def test_headline_ytd_on_bundled_data_matches_plain_pandas(bundled_closes: pd.DataFrame) -> None:
    stats = all_symbol_stats(bundled_closes, ["^RUT", "^GSPC", "^IXIC"], day("2026-03-31"))
    for symbol, st in stats.items():
        series = bundled_closes[symbol]
        base = series.loc[:"2025-12-31"].iloc[-1]
        assert st.returns["ytd"] == pytest.approx(series.loc["2026-03-31"] / base - 1, rel=1e-12)
        assert st.last_date == day("2026-03-31")
