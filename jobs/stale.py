"""When operators hear about a stale symbol: once when it goes stale, weekly, once when back.

A symbol whose source stopped (MDY, used by no pair, for 51 sessions) must not cost the
operators one message a session. The decision is a pure function of what they were last
told (a ``StaleMark`` per symbol, kept in storage.stale_symbols) and of the session's stale
symbols; the daily job stores the new marks and the bot sends the news. Pairs that wait for
a late leg are reported by the session's own late-data report, whatever this says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from storage.stale_symbols import StaleMark

#: A symbol still stale is reported again only after more than this since the last report:
#: at most once a week, and at most 9 messages (gone stale, 8 reminders) in 50 sessions.
REMIND_AFTER = dt.timedelta(days=7)


@dataclass(frozen=True)
class StaleNews:
    """What one session changes for the operators, and the marks to keep after it.

    ``new``: symbols gone stale (-> last close); ``still``: symbols still stale and due a
    reminder (-> their mark); ``back``: symbols that have a close again (-> the mark they had).
    """

    session: dt.date
    new: dict[str, dt.date | None] = field(default_factory=dict)
    still: dict[str, StaleMark] = field(default_factory=dict)
    back: dict[str, StaleMark] = field(default_factory=dict)
    marks: dict[str, StaleMark] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when there is nothing to tell the operators."""
        return not (self.new or self.still or self.back)

    def symbols(self) -> list[str]:
        """Every symbol this news is about, sorted."""
        return sorted({*self.new, *self.still, *self.back})


def stale_news(
    marks: Mapping[str, StaleMark],
    stale: Mapping[str, dt.date | None],
    checked: Iterable[str],
    session: dt.date,
) -> StaleNews:
    """The news for ``session`` given the ``marks`` so far.

    ``stale`` maps each symbol without a close on ``session`` to its last close (None: none);
    ``checked`` names every symbol the session looked at (a mark for a symbol no longer
    checked is dropped without a word). A session older than a symbol's last report changes
    nothing for it (a catch-up run), and running the same session again tells nothing twice.
    """
    checked = set(checked) | set(stale)
    new: dict[str, dt.date | None] = {}
    still: dict[str, StaleMark] = {}
    back: dict[str, StaleMark] = {}
    kept: dict[str, StaleMark] = {}
    for symbol, last_close in sorted(stale.items()):
        mark = marks.get(symbol)
        if mark is None:
            new[symbol] = last_close
            kept[symbol] = StaleMark(since=session, last_close=last_close, told=session)
        elif session - mark.told > REMIND_AFTER:
            still[symbol] = StaleMark(mark.since, last_close, mark.told)
            kept[symbol] = StaleMark(since=mark.since, last_close=last_close, told=session)
        elif session > mark.told:
            kept[symbol] = StaleMark(mark.since, last_close, mark.told)
        else:
            kept[symbol] = mark  # the same session again, or an older one run late
    for symbol, mark in sorted(marks.items()):
        if symbol in stale or symbol not in checked:
            continue
        if session < mark.since:
            kept[symbol] = mark  # an older session run late: it says nothing of today
        else:
            back[symbol] = mark
    return StaleNews(session=session, new=new, still=still, back=back, marks=kept)
