"""NYSE calendar: holidays, early closes, DST, latest completed session, next close."""

from __future__ import annotations

import datetime as dt

import pytest

from market.calendar import NEW_YORK, nyse


def et(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


def test_mlk_day_2026_is_closed() -> None:
    assert not nyse().is_session(dt.date(2026, 1, 19))
    assert nyse().is_session(dt.date(2026, 1, 20))


def test_thanksgiving_friday_closes_at_one() -> None:
    cal = nyse()
    assert not cal.is_session(dt.date(2026, 11, 26))
    assert cal.close_time(dt.date(2026, 11, 27)) == et(2026, 11, 27, 13, 0)
    assert cal.is_early_close(dt.date(2026, 11, 27))
    assert not cal.is_early_close(dt.date(2026, 11, 25))


def test_close_is_16_et_on_both_sides_of_a_dst_change() -> None:
    cal = nyse()
    before, after = cal.close_time(dt.date(2026, 3, 6)), cal.close_time(dt.date(2026, 3, 9))
    assert before.astimezone(NEW_YORK).hour == 16 == after.astimezone(NEW_YORK).hour
    assert before.astimezone(dt.UTC).hour == 21
    assert after.astimezone(dt.UTC).hour == 20


def test_latest_completed_session() -> None:
    cal = nyse()
    assert cal.latest_completed_session(et(2026, 11, 25, 15, 59)) == dt.date(2026, 11, 24)
    assert cal.latest_completed_session(et(2026, 11, 25, 16, 0)) == dt.date(2026, 11, 25)
    assert cal.latest_completed_session(et(2026, 11, 26, 12, 0)) == dt.date(2026, 11, 25)
    assert cal.latest_completed_session(et(2026, 11, 27, 13, 1)) == dt.date(2026, 11, 27)
    assert cal.latest_completed_session(et(2026, 1, 19, 17, 0)) == dt.date(2026, 1, 16)


def test_next_close_after_the_thanksgiving_gap() -> None:
    session, close = nyse().next_close(et(2026, 11, 25, 16, 30))
    assert session == dt.date(2026, 11, 27)
    assert close == et(2026, 11, 27, 13, 0)


def test_sessions_and_shift() -> None:
    cal = nyse()
    assert len(cal.sessions(dt.date(2026, 1, 1), dt.date(2026, 12, 31))) == 251
    assert cal.shift(dt.date(2026, 1, 20), -1) == dt.date(2026, 1, 16)
    assert cal.shift(dt.date(2026, 1, 19), 0) == dt.date(2026, 1, 16)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        nyse().latest_completed_session(dt.datetime(2026, 1, 5, 12, 0))
