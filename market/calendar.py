"""Exchange sessions, holidays and early closes (exchange-calendars; NYSE's XNYS by default),
for any moment; and a weekdays-only stand-in for an exchange without a calendar."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import warnings
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC
# exchange-calendars built without bounds covers about a year ahead only:
# pass explicit bounds so a long-running process never falls off the end.
_START = "2000-01-03"
_END_YEARS_AHEAD = 3


class NyseCalendar:
    """Session arithmetic over an exchange-calendars calendar (``code``, XNYS unless told).
    All datetimes are timezone-aware.

    The schedule is built on first use: a command that needs no session arithmetic (a text
    ``ask``) never imports exchange-calendars.
    """

    def __init__(self, today: dt.date | None = None, code: str = "XNYS") -> None:
        self._end_year = (today or dt.date.today()).year + _END_YEARS_AHEAD
        self.code = code

    @functools.cached_property
    def _schedule(self) -> tuple[list[dt.date], list[dt.datetime], dict[dt.date, int]]:
        import exchange_calendars as xcals
        import pandas as pd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas deprecation noise from the library
            end = f"{self._end_year}-12-31"
            try:
                cal = xcals.get_calendar(self.code, start=_START, end=end)
            except ValueError:  # a calendar that starts later than _START: its own first day
                cal = xcals.get_calendar(self.code, end=end)
        schedule = cal.schedule
        sessions: list[dt.date] = [ts.date() for ts in pd.DatetimeIndex(schedule.index)]
        closes: list[dt.datetime] = [
            ts.to_pydatetime() for ts in pd.DatetimeIndex(schedule["close"]).tz_convert(UTC)
        ]
        return sessions, closes, {d: i for i, d in enumerate(sessions)}

    @property
    def _sessions(self) -> list[dt.date]:
        return self._schedule[0]

    @property
    def _closes(self) -> list[dt.datetime]:
        return self._schedule[1]

    @property
    def _session_pos(self) -> dict[dt.date, int]:
        return self._schedule[2]

    def is_session(self, day: dt.date) -> bool:
        """True when NYSE trades on ``day``."""
        return day in self._session_pos

    def sessions(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Sessions from ``start`` to ``end`` inclusive."""
        lo = bisect.bisect_left(self._sessions, start)
        hi = bisect.bisect_right(self._sessions, end)
        return self._sessions[lo:hi]

    def close_time(self, session: dt.date) -> dt.datetime:
        """The close of ``session`` (16:00 ET, 13:00 ET on early closes) as an aware datetime."""
        pos = self._session_pos.get(session)
        if pos is None:
            raise ValueError(f"{session} is not a {self.code} session")
        return self._closes[pos]

    def is_early_close(self, session: dt.date) -> bool:
        """True when ``session`` closes before 16:00 ET."""
        return self.close_time(session).astimezone(NEW_YORK).time() < dt.time(16, 0)

    def latest_completed_session(self, now: dt.datetime) -> dt.date:
        """The last session whose close is at or before ``now``."""
        _require_aware(now)
        pos = bisect.bisect_right(self._closes, now) - 1
        if pos < 0:
            raise ValueError(f"{now} is before the calendar starts")
        return self._sessions[pos]

    def latest_session_on_or_before(self, day: dt.date) -> dt.date:
        """The last session on or before ``day`` (a date, no time of day)."""
        pos = bisect.bisect_right(self._sessions, day) - 1
        if pos < 0:
            raise ValueError(f"{day} is before the calendar starts")
        return self._sessions[pos]

    def next_close(self, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
        """The first session whose close is strictly after ``now``, and that close."""
        _require_aware(now)
        pos = bisect.bisect_right(self._closes, now)
        if pos >= len(self._sessions):
            raise ValueError(f"{now} is past the end of the calendar")
        return self._sessions[pos], self._closes[pos]

    def shift(self, session: dt.date, n: int) -> dt.date:
        """The session ``n`` sessions after (n > 0) or before (n < 0) ``session``."""
        base = self.latest_session_on_or_before(session)
        pos = self._session_pos[base] + n
        if not 0 <= pos < len(self._sessions):
            raise ValueError(f"{session} shifted by {n} leaves the calendar")
        return self._sessions[pos]


def _require_aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")


@functools.cache
def nyse() -> NyseCalendar:
    """A process-wide calendar instance (building one takes a moment)."""
    return NyseCalendar()


class WeekdayCalendar:
    """Monday to Friday, no holidays: the stand-in for an exchange without a calendar (the
    session arithmetic a refresh needs: sessions, the last one on a day, shifting)."""

    code = "weekdays"

    def is_session(self, day: dt.date) -> bool:
        return day.weekday() < 5

    def sessions(self, start: dt.date, end: dt.date) -> list[dt.date]:
        days = (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
        return [day for day in days if day.weekday() < 5]

    def latest_session_on_or_before(self, day: dt.date) -> dt.date:
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        return day

    def shift(self, session: dt.date, n: int) -> dt.date:
        day = self.latest_session_on_or_before(session)
        step = 1 if n > 0 else -1
        for _ in range(abs(n)):
            day += dt.timedelta(days=step)
            while day.weekday() >= 5:
                day += dt.timedelta(days=step)
        return day
