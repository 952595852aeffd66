"""Validating what users type, before anything is looked up or written: ids, clock times and
time zones. Each parser raises UserError naming what was wrong and what to type."""

from __future__ import annotations

import functools
import re
import zoneinfo

from bot.commands.registry import UserError

#: Ids are SQLite rowids: plain ASCII digits (``isdigit`` also accepts "²" and "٣"), at most
#: this many, which keeps them far inside SQLite's 64-bit integers.
MAX_ID_DIGITS = 12
_ID_RE = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}")
_HM_RE = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
MAX_ZONE_CHARS = 64


def parse_id(text: str, usage: str, what: str = "The id") -> int:
    """A positive id typed as ASCII digits (at most MAX_ID_DIGITS), or UserError."""
    if not _ID_RE.fullmatch(text) or int(text) == 0:
        raise UserError(f"{what} is a number like 12; see /alerts.", usage)
    return int(text)


def parse_hm(text: str, usage: str) -> str:
    """A clock time "H:MM" or "HH:MM" (ASCII digits, 00:00..23:59) as "HH:MM", or UserError."""
    match = _HM_RE.fullmatch(text)
    if match is None:
        shown = text if len(text) <= 12 else text[:12] + "…"
        raise UserError(f"“{shown}” is not a time; use HH:MM, e.g. 07:30.", usage)
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_window(text: str, usage: str) -> tuple[str, str]:
    """Quiet hours "HH:MM-HH:MM" (may span midnight, must not be empty), or UserError."""
    start, sep, end = text.partition("-")
    if not sep:
        raise UserError("Quiet hours are two times, e.g. 22:00-07:00.", usage)
    first, last = parse_hm(start.strip(), usage), parse_hm(end.strip(), usage)
    if first == last:
        raise UserError(f"Quiet hours {first}-{last} would last no time; e.g. 22:00-07:00.", usage)
    return first, last


@functools.cache
def _zones() -> dict[str, str]:
    """Every IANA time zone name, keyed by its lower-case spelling."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_timezone(text: str, usage: str) -> str:
    """An IANA time zone name from ``zoneinfo.available_timezones()`` (any letter case), or
    UserError. Only listed names reach ZoneInfo: "America" (a folder) or 300 letters never do."""
    found = _zones().get(text.lower()) if len(text) <= MAX_ZONE_CHARS else None
    if found is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise UserError(f"Unknown time zone “{shown}”; use Area/City, e.g. Europe/Berlin.", usage)
    return found
