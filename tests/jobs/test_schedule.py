"""The daily run's timing: close + offset, early closes, holidays, catch-up, retries."""

from __future__ import annotations

import datetime as dt

import pytest

from jobs.schedule import PlannedRun, missed_session, next_run, retry_at, run_time
from market.calendar import NEW_YORK, NyseCalendar

OFFSET = dt.timedelta(minutes=30)


@pytest.fixture(scope="module")
def cal() -> NyseCalendar:
    return NyseCalendar(today=dt.date(2026, 1, 1))


def et(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


def test_after_wednesday_close_before_thanksgiving_next_is_friday_early_close(cal):
    after_run = run_time(cal, dt.date(2026, 11, 25), OFFSET)
    planned = next_run(cal, after_run, OFFSET)
    assert planned == PlannedRun(dt.date(2026, 11, 27), et(2026, 11, 27, 13, 0) + OFFSET)
    assert planned.at.astimezone(NEW_YORK).time() == dt.time(13, 30)


def test_mlk_day_is_skipped(cal):
    friday_run = run_time(cal, dt.date(2026, 1, 16), OFFSET)
    planned = next_run(cal, friday_run, OFFSET)
    assert planned.session == dt.date(2026, 1, 20)
    assert planned.at == et(2026, 1, 20, 16, 0) + OFFSET


def test_before_the_run_time_the_same_session_is_next(cal):
    planned = next_run(cal, et(2026, 3, 3, 16, 10), OFFSET)
    assert planned == PlannedRun(dt.date(2026, 3, 3), et(2026, 3, 3, 16, 30))


def test_catch_up_finds_the_missed_session_once(cal):
    now = et(2026, 3, 4, 9, 0)
    assert missed_session(cal, now, OFFSET, dt.date(2026, 3, 2)) == dt.date(2026, 3, 3)
    assert missed_session(cal, now, OFFSET, dt.date(2026, 3, 3)) is None
    assert missed_session(cal, now, OFFSET, None) == dt.date(2026, 3, 3)
    # 16:10 ET: the close has passed but not the offset: yesterday is the one due.
    early = et(2026, 3, 4, 16, 10)
    assert missed_session(cal, early, OFFSET, dt.date(2026, 3, 3)) is None


def test_retry_backs_off_and_stops_at_the_deadline(cal):
    session = dt.date(2026, 3, 3)
    close = cal.close_time(session)
    deadline = dt.timedelta(hours=4)
    first = retry_at(cal, session, close + OFFSET, 1, deadline)
    second = retry_at(cal, session, close + OFFSET, 2, deadline)
    assert first == close + OFFSET + dt.timedelta(minutes=5)
    assert second == close + OFFSET + dt.timedelta(minutes=10)
    near_end = close + deadline - dt.timedelta(minutes=1)
    assert retry_at(cal, session, near_end, 5, deadline) == close + deadline
    assert retry_at(cal, session, close + deadline, 1, deadline) is None
