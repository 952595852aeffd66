"""Incremental refresh: overlap fetches, partial failures, re-adjusted history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlite_utils

from jobs.refresh import OVERLAP_SESSIONS, refresh_prices
from market.calendar import nyse
from storage.prices import last_dates, load_bars, load_closes
from tests.fake_prices import FakeProvider

NOW = dt.datetime(2026, 4, 2, 12, 0, tzinfo=dt.UTC)
SYMS = ["IWM", "SPY", "^RUT"]


async def _refresh(db: sqlite_utils.Database, provider: FakeProvider, day: dt.date):  # type: ignore[no-untyped-def]
    return await refresh_prices(db, provider, nyse(), SYMS, day, fetched_at=NOW)


async def test_first_refresh_stores_history_then_only_new_sessions(
    db: sqlite_utils.Database, sample_dir: Path
) -> None:
    provider = FakeProvider(sample_dir, asof=dt.date(2026, 3, 27))
    first = await _refresh(db, provider, dt.date(2026, 3, 27))
    assert first.ok
    assert first.latest == {s: dt.date(2026, 3, 27) for s in SYMS}
    assert first.added["IWM"] == 561  # 564 sample rows less the 3 after Mar 27

    provider.asof = dt.date(2026, 4, 1)
    provider.calls.clear()
    second = await _refresh(db, provider, dt.date(2026, 4, 1))
    assert second.ok
    assert second.added == {"IWM": 3, "SPY": 3, "^RUT": 3}
    [(symbols, start, end)] = provider.calls
    assert sorted(symbols) == sorted(SYMS)
    assert start == nyse().shift(dt.date(2026, 3, 27), -OVERLAP_SESSIONS)
    assert end == dt.date(2026, 4, 1)


async def test_up_to_date_symbols_are_not_fetched(
    db: sqlite_utils.Database, sample_dir: Path
) -> None:
    provider = FakeProvider(sample_dir, asof=dt.date(2026, 4, 1))
    await _refresh(db, provider, dt.date(2026, 4, 1))
    provider.calls.clear()
    again = await _refresh(db, provider, dt.date(2026, 4, 1))
    assert again.ok
    assert provider.calls == []
    assert again.added == {s: 0 for s in SYMS}


async def test_failed_symbol_is_named_and_its_rows_are_unchanged(
    db: sqlite_utils.Database, sample_dir: Path
) -> None:
    provider = FakeProvider(sample_dir, asof=dt.date(2026, 3, 27))
    await _refresh(db, provider, dt.date(2026, 3, 27))
    before = load_bars(db, "SPY")
    provider.asof = dt.date(2026, 4, 1)
    provider.fail["SPY"] = "no data returned"
    provider.stale.add("^RUT")
    report = await _refresh(db, provider, dt.date(2026, 4, 1))
    assert not report.ok
    assert report.failures["SPY"] == "no data returned"
    assert "^RUT" not in report.failures  # late, not failed: its good rows are stored
    assert report.stale == {"SPY": dt.date(2026, 3, 27), "^RUT": dt.date(2026, 3, 31)}
    assert report.latest["IWM"] == dt.date(2026, 4, 1)
    assert report.latest["SPY"] == dt.date(2026, 3, 27)
    assert report.latest["^RUT"] == dt.date(2026, 3, 31)
    assert report.behind(SYMS) == ["SPY", "^RUT"]
    assert load_bars(db, "SPY").equals(before)


async def test_a_stale_symbol_on_a_fresh_database_keeps_its_valid_rows(
    db: sqlite_utils.Database, sample_dir: Path
) -> None:
    provider = FakeProvider(sample_dir, asof=dt.date(2026, 4, 1), stale={"IWM"})
    report = await _refresh(db, provider, dt.date(2026, 4, 1))
    assert report.ok
    assert report.stale == {"IWM": dt.date(2026, 3, 31)}
    assert report.added["IWM"] == 563
    assert last_dates(db, ["IWM"]) == {"IWM": dt.date(2026, 3, 31)}


async def test_sessions_missing_inside_a_series_are_reported_at_write_time(
    db: sqlite_utils.Database, sample_dir: Path, tmp_path: Path
) -> None:
    lines = (sample_dir / "IWM.csv").read_text().splitlines(keepends=True)
    halt = [i for i, line in enumerate(lines) if line.startswith("2026-03-1")][:3]
    (tmp_path / "IWM.csv").write_text("".join(x for i, x in enumerate(lines) if i not in halt))
    provider = FakeProvider(tmp_path, asof=dt.date(2026, 4, 1))
    report = await refresh_prices(
        db, provider, nyse(), ["IWM"], dt.date(2026, 4, 1), fetched_at=NOW
    )
    assert report.ok
    assert report.gaps == {
        "IWM": (dt.date(2026, 3, 10), dt.date(2026, 3, 11), dt.date(2026, 3, 12))
    }


async def test_rate_limit_is_reported_as_such(db: sqlite_utils.Database, sample_dir: Path) -> None:
    provider = FakeProvider(sample_dir, asof=dt.date(2026, 4, 1), rate_limited=True)
    report = await _refresh(db, provider, dt.date(2026, 4, 1))
    assert report.rate_limited
    assert set(report.failures) == set(SYMS)
    assert report.unreachable == set(SYMS)
    assert last_dates(db) == {}


async def test_readjusted_history_is_fetched_again(
    db: sqlite_utils.Database, sample_dir: Path
) -> None:
    provider = FakeProvider(sample_dir, asof=dt.date(2026, 3, 27))
    await _refresh(db, provider, dt.date(2026, 3, 27))
    old_first = load_closes(db, ["IWM"])["IWM"].iloc[0]
    provider.asof = dt.date(2026, 4, 1)
    provider.scale["IWM"] = 0.99  # a dividend re-adjusted every past close
    report = await _refresh(db, provider, dt.date(2026, 4, 1))
    assert report.ok
    assert report.readjusted == ("IWM",)
    assert report.added["IWM"] == 3
    new_first = load_closes(db, ["IWM"])["IWM"].iloc[0]
    assert new_first == pytest.approx(old_first * 0.99)
    assert load_closes(db, ["SPY"])["SPY"].iloc[0] != pytest.approx(0)
