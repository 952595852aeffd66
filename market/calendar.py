"""NYSE sessions, holidays and early closes (exchange-calendars XNYS), for any moment."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import warnings
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC
# exchange-calendars built without bounds covers about a year ahead only:
# pass explicit bounds so a long-running process never falls off the end.
_START = "2000-01-03"
_END_YEARS_AHEAD = 3


class NyseCalendar:
    """Session arithmetic over the XNYS calendar. All datetimes are timezone-aware."""

    def __init__(self, today: dt.date | None = None) -> None:
        end_year = (today or dt.date.today()).year + _END_YEARS_AHEAD
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas deprecation noise from the library
            self._cal = xcals.get_calendar("XNYS", start=_START, end=f"{end_year}-12-31")
        schedule = self._cal.schedule
        self._sessions: list[dt.date] = [ts.date() for ts in pd.DatetimeIndex(schedule.index)]
        self._closes: list[dt.datetime] = [
            ts.to_pydatetime() for ts in pd.DatetimeIndex(schedule["close"]).tz_convert(UTC)
        ]
        self._session_pos = {d: i for i, d in enumerate(self._sessions)}

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
            raise ValueError(f"{session} is not an NYSE session")
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
