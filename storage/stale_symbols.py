"""The stale_symbols table: what the operators were last told about each stale symbol."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import sqlite_utils

from storage.db import transaction


@dataclass(frozen=True)
class StaleMark:
    """What the operators were last told about one stale symbol.

    ``since``: the first session it had no close for; ``last_close``: its last close then
    (None: it never had one); ``told``: the session of the last report about it.
    """

    since: dt.date
    last_close: dt.date | None
    told: dt.date


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def load_marks(db: sqlite_utils.Database) -> dict[str, StaleMark]:
    """Every stale symbol's mark."""
    rows = db.execute("SELECT symbol, since, last_close, told FROM stale_symbols").fetchall()
    return {
        str(symbol): StaleMark(
            since=dt.date.fromisoformat(since),
            last_close=_date(last_close),
            told=dt.date.fromisoformat(told),
        )
        for symbol, since, last_close, told in rows
    }


def save_marks(db: sqlite_utils.Database, marks: Mapping[str, StaleMark]) -> None:
    """Replace every mark with ``marks`` in one transaction."""
    with transaction(db) as conn:
        conn.execute("DELETE FROM stale_symbols")
        conn.executemany(
            "INSERT INTO stale_symbols (symbol, since, last_close, told) VALUES (?, ?, ?, ?)",
            [
                (
                    symbol,
                    mark.since.isoformat(),
                    None if mark.last_close is None else mark.last_close.isoformat(),
                    mark.told.isoformat(),
                )
                for symbol, mark in sorted(marks.items())
            ],
        )
