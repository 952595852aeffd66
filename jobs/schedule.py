"""When the daily pipeline runs: NYSE close + offset, holidays skipped, retries, catch-up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from analytics.backoff import doubling
from market.calendar import NyseCalendar

#: First retry delay when data is incomplete, doubling up to RETRY_CAP.
RETRY_BASE = dt.timedelta(minutes=5)
RETRY_CAP = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class PlannedRun:
    """A pipeline run: the session it covers and when it starts (timezone-aware, UTC)."""

    session: dt.date
    at: dt.datetime


def run_time(calendar: NyseCalendar, session: dt.date, offset: dt.timedelta) -> dt.datetime:
    """The session's close (13:00 ET on early closes) plus ``offset``."""
    return calendar.close_time(session) + offset


def next_run(calendar: NyseCalendar, now: dt.datetime, offset: dt.timedelta) -> PlannedRun:
    """The first run strictly after ``now``: the next session's close + offset.

    Holidays have no session and are skipped; early closes move the run to 13:00 ET + offset.
    """
    session, _close = calendar.next_close(now - offset)
    return PlannedRun(session=session, at=run_time(calendar, session, offset))


def missed_session(
    calendar: NyseCalendar,
    now: dt.datetime,
    offset: dt.timedelta,
    last_done: dt.date | None,
) -> dt.date | None:
    """The session to catch up on at start: the latest whose run time has passed, when the
    pipeline has not finished it (None when everything due is done)."""
    due = calendar.latest_completed_session(now - offset)
    if last_done is not None and last_done >= due:
        return None
    return due


def retry_delay(attempt: int) -> dt.timedelta:
    """Delay before retry number ``attempt`` (1, 2, ...): 5, 10, 20, 30, 30 ... minutes."""
    return doubling(RETRY_BASE, attempt, RETRY_CAP)


def retry_at(
    calendar: NyseCalendar,
    session: dt.date,
    now: dt.datetime,
    attempt: int,
    deadline: dt.timedelta,
    *,
    base: dt.timedelta | None = None,
) -> dt.datetime | None:
    """When to retry an incomplete run, or None once past the deadline (close + deadline).

    ``base`` overrides the first delay (tests and operators use shorter ones).
    """
    delay = retry_delay(attempt)
    if base is not None:
        delay = doubling(base, attempt, max(base, RETRY_CAP))
    moment = now + delay
    limit = calendar.close_time(session) + deadline
    if now >= limit:
        return None
    return min(moment, limit)
