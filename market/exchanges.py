"""Which exchange's sessions judge a symbol: its Yahoo suffix (or the answer's timezone) ->
an exchange-calendars calendar. A Xetra listing (GS2C.DE) is expected on Xetra's sessions,
not NYSE's; a symbol whose exchange has no calendar here is judged by weekdays, and named.

US listings and indexes (no suffix) keep NYSE's calendar, as before.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Protocol

from market.calendar import NyseCalendar, WeekdayCalendar

NYSE = "XNYS"
#: Yahoo's exchange suffixes -> exchange-calendars codes.
SUFFIXES = {
    ".DE": "XETR", ".F": "XFRA", ".L": "XLON", ".IL": "XLON", ".TO": "XTSE", ".PA": "XPAR",
    ".AS": "XAMS", ".BR": "XBRU", ".LS": "XLIS", ".MI": "XMIL", ".MC": "XMAD", ".SW": "XSWX",
    ".ST": "XSTO", ".CO": "XCSE", ".OL": "XOSL", ".HE": "XHEL", ".VI": "XWBO", ".IR": "XDUB",
    ".WA": "XWAR", ".IS": "XIST", ".TA": "XTAE", ".HK": "XHKG", ".T": "XTKS", ".KS": "XKRX",
    ".TW": "XTAI", ".SI": "XSES", ".AX": "XASX", ".NZ": "XNZE", ".BO": "XBOM", ".JO": "XJSE",
    ".MX": "XMEX", ".SA": "BVMF", ".SS": "XSHG",
}  # fmt: skip
#: An exchange's timezone (Yahoo's ``exchangeTimezoneName``) -> its calendar, for a suffix
#: not listed above.
TIMEZONES = {
    "America/New_York": NYSE, "Europe/Berlin": "XETR", "Europe/London": "XLON",
    "America/Toronto": "XTSE", "Europe/Paris": "XPAR", "Europe/Amsterdam": "XAMS",
    "Europe/Zurich": "XSWX", "Asia/Hong_Kong": "XHKG", "Asia/Tokyo": "XTKS",
    "Australia/Sydney": "XASX",
}  # fmt: skip


class Sessions(Protocol):
    """The session arithmetic a refresh needs (NyseCalendar, WeekdayCalendar)."""

    code: str

    def is_session(self, day: dt.date) -> bool: ...
    def sessions(self, start: dt.date, end: dt.date) -> list[dt.date]: ...
    def latest_session_on_or_before(self, day: dt.date) -> dt.date: ...
    def shift(self, session: dt.date, n: int) -> dt.date: ...


def exchange_of(symbol: str, timezone: str | None = None) -> str | None:
    """The calendar code for ``symbol`` (None: no calendar here, judged by weekdays)."""
    if "=" in symbol:  # currencies and futures trade around the clock on weekdays
        return None
    dot = symbol.rfind(".")
    if dot <= 0:
        return NYSE
    code = SUFFIXES.get(symbol[dot:])
    if code is None and timezone:
        code = TIMEZONES.get(timezone)
    return code


@functools.cache
def _calendar(code: str, end_year: int) -> NyseCalendar:
    return NyseCalendar(dt.date(end_year, 1, 1), code=code)


class Exchanges:
    """Each symbol's calendar, NYSE's being the one given (shared with the caller)."""

    def __init__(self, nyse: NyseCalendar) -> None:
        self.nyse = nyse
        self._weekdays = WeekdayCalendar()

    def calendar(self, symbol: str) -> Sessions:
        code = exchange_of(symbol)
        if code is None:
            return self._weekdays
        if code == NYSE:
            return self.nyse
        return _calendar(code, dt.date.today().year)

    def by_weekdays(self, symbol: str) -> bool:
        """True when no calendar judges ``symbol`` (weekdays stand in)."""
        return exchange_of(symbol) is None

    def expected(self, symbol: str, session: dt.date) -> dt.date:
        """The session ``symbol`` should have a close for when the run is for ``session``
        (an NYSE session): its exchange's last session on or before that day."""
        return self.calendar(symbol).latest_session_on_or_before(session)
