"""A quiet operator: a stale symbol is reported when it goes stale, at most weekly while it
stays stale, and once when it is back; pairs that wait still get their session's report."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import sqlite_utils

from analytics.types import Universe
from jobs.daily import run_daily
from jobs.stale import REMIND_AFTER, StaleNews, stale_news
from market.calendar import NyseCalendar
from market.universe import load_universe
from storage.stale_symbols import StaleMark, load_marks
from tests.fake_prices import FakeProvider

CAL = NyseCalendar(today=dt.date(2026, 1, 1))
FIRST = dt.date(2025, 9, 2)
#: MDY's source stops after this session (no pair uses MDY).
STOPPED = dt.date(2025, 8, 29)


def sessions(n: int, first: dt.date = FIRST) -> list[dt.date]:
    return CAL.sessions(first, CAL.shift(first, n - 1))


def run_sessions(days: list[dt.date], stale_for: dict[str, dt.date | None]) -> list[StaleNews]:
    marks: dict[str, StaleMark] = {}
    told = []
    for day in days:
        news = stale_news(marks, stale_for, ["IWM", "SPY", "MDY"], day)
        marks = news.marks
        told.append(news)
    return told


def test_fifty_sessions_of_one_stale_symbol_make_at_most_nine_reports() -> None:
    told = [n for n in run_sessions(sessions(50), {"MDY": STOPPED}) if not n.empty]

    assert 2 <= len(told) <= 9
    assert list(told[0].new) == ["MDY"]
    assert all(list(n.still) == ["MDY"] for n in told[1:])
    # never two within a week
    days = [n.session for n in told]
    assert all(b - a > REMIND_AFTER for a, b in itertools.pairwise(days))


def test_a_symbol_back_is_reported_once_and_a_new_stop_is_new_again() -> None:
    days = sessions(12)
    marks: dict[str, StaleMark] = {}
    seen = []
    for n, day in enumerate(days):
        stale: dict[str, dt.date | None] = {"MDY": STOPPED} if n < 4 or n >= 8 else {}
        news = stale_news(marks, stale, ["MDY"], day)
        marks = news.marks
        seen.append((sorted(news.new), sorted(news.still), sorted(news.back)))
    assert seen[0] == (["MDY"], [], [])
    assert seen[1:4] == [([], [], [])] * 3
    assert seen[4] == ([], [], ["MDY"])
    assert seen[5:8] == [([], [], [])] * 3
    assert seen[8] == (["MDY"], [], [])


def test_the_same_session_again_tells_nothing_twice_and_an_old_one_changes_nothing() -> None:
    day, later = dt.date(2025, 9, 2), dt.date(2025, 9, 15)
    first = stale_news({}, {"MDY": STOPPED}, ["MDY"], day)
    again = stale_news(first.marks, {"MDY": STOPPED}, ["MDY"], day)
    reminded = stale_news(first.marks, {"MDY": STOPPED}, ["MDY"], later)
    old = stale_news(reminded.marks, {}, ["MDY"], dt.date(2025, 8, 29))

    assert again.empty
    assert again.marks == first.marks
    assert list(reminded.still) == ["MDY"]
    assert old.empty
    assert old.marks == reminded.marks


def test_a_symbol_no_longer_tracked_is_forgotten_without_a_word() -> None:
    first = stale_news({}, {"MDY": STOPPED}, ["MDY", "IWM"], FIRST)
    later = stale_news(first.marks, {}, ["IWM"], CAL.shift(FIRST, 1))
    assert later.empty
    assert later.marks == {}


@pytest.fixture(scope="module")
def universe() -> Universe:
    return load_universe()


async def test_the_pipeline_keeps_the_marks_and_reports_only_what_is_new(
    db: sqlite_utils.Database, sample_dir: Path, universe: Universe
) -> None:
    """Twelve sessions of the real pipeline with MDY stopped: a report on the first, a
    reminder after a week, nothing else; /status reads the marks."""
    provider = FakeProvider(sample_dir, stopped={"MDY": STOPPED})
    due = []
    for day in sessions(12):
        provider.asof = day
        now = dt.datetime.combine(day, dt.time(22, 0), dt.UTC)
        result = await run_daily(db, provider, CAL, universe, day, now=now)
        assert result.stale == ("MDY",)
        assert result.waiting == {}
        if result.report_due:
            due.append((day, result.news))
    assert [d for d, _ in due] == [dt.date(2025, 9, 2), dt.date(2025, 9, 10)]
    assert [list(n.new) for _, n in due if n] == [["MDY"], []]
    assert [list(n.still) for _, n in due if n] == [[], ["MDY"]]
    assert load_marks(db) == {
        "MDY": StaleMark(since=FIRST, last_close=STOPPED, told=dt.date(2025, 9, 10))
    }


async def test_a_session_whose_pairs_waited_still_gets_its_report(
    db: sqlite_utils.Database, sample_dir: Path, universe: Universe
) -> None:
    provider = FakeProvider(sample_dir, stopped={"KRE": STOPPED})
    for day in sessions(3):
        provider.asof = day
        now = dt.datetime.combine(day, dt.time(22, 0), dt.UTC)
        result = await run_daily(db, provider, CAL, universe, day, now=now)
        assert "KRE/SPY" in result.waiting
        assert result.report_due  # every session: a pair waited
