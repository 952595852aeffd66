"""Two sources for the same symbol and session: more than 0.5 % apart is reported once, and
the stored row is never silently replaced by the other source's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlite_utils

from jobs.refresh import OVERLAP_SESSIONS, refresh_prices
from market.calendar import nyse
from storage.prices import load_bars, recent_disagreements, untold_disagreements
from tests.fake_prices import FakeProvider

NOW = dt.datetime(2026, 4, 2, 12, 0, tzinfo=dt.UTC)
FIRST = dt.date(2026, 3, 27)
LATER = dt.date(2026, 4, 1)
SYMS = ["IWM", "SPY"]


async def test_closes_apart_are_reported_once_and_the_stored_rows_kept(
    db: sqlite_utils.Database, sample_dir: Path
) -> None:
    await refresh_prices(
        db, FakeProvider(sample_dir, asof=FIRST, name="yahoo"), nyse(), SYMS, FIRST, fetched_at=NOW
    )
    before = load_bars(db, "IWM")
    other = FakeProvider(sample_dir, asof=LATER, name="tiingo", scale={"IWM": 1.01})

    report = await refresh_prices(db, other, nyse(), SYMS, LATER, fetched_at=NOW)

    assert report.readjusted == ()  # another source's closes never replace the history
    days = {d for _, d, *_ in report.disagreements}
    assert {r[0] for r in report.disagreements} == {"IWM"}
    assert len(days) == OVERLAP_SESSIONS + 1  # the overlap sessions, the last stored one too
    _, _, stored_source, stored, other_source, fetched = report.disagreements[0]
    assert (stored_source, other_source) == ("yahoo", "tiingo")
    assert abs(fetched / stored - 1.01) < 1e-12
    after = load_bars(db, "IWM")
    assert after.loc[: str(FIRST)].equals(before)  # every stored row as it was
    assert set(after.loc[str(FIRST) :].iloc[1:]["source"]) == {"tiingo"}  # the new sessions
    assert len(untold_disagreements(db)) == OVERLAP_SESSIONS + 1
    assert len(recent_disagreements(db)) == OVERLAP_SESSIONS + 1

    again = await refresh_prices(db, other, nyse(), SYMS, LATER, fetched_at=NOW)
    assert again.disagreements == ()  # told once


async def test_closes_within_half_a_percent_are_no_disagreement_and_still_kept(
    db: sqlite_utils.Database, sample_dir: Path
) -> None:
    await refresh_prices(
        db, FakeProvider(sample_dir, asof=FIRST, name="yahoo"), nyse(), SYMS, FIRST, fetched_at=NOW
    )
    other = FakeProvider(sample_dir, asof=LATER, name="tiingo", scale={"SPY": 1.004})

    report = await refresh_prices(db, other, nyse(), SYMS, LATER, fetched_at=NOW)

    assert report.disagreements == ()
    assert report.readjusted == ()
    spy = load_bars(db, "SPY")
    assert set(spy.loc[: str(FIRST)]["source"]) == {"yahoo"}
    assert set(spy.loc[str(LATER) :]["source"]) == {"tiingo"}
