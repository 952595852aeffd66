"""The one backoff formula: a delay that doubles with each attempt, up to a cap.

Every retry in the project uses it: outbox sends (bot.delivery.sender), stale-data re-runs
of the daily job (jobs.schedule) and Yahoo downloads (market.yahoo). It lives in analytics,
the package every other one may import, because it is a pure function of its arguments.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

Delay = TypeVar("Delay", float, dt.timedelta)


def doubling(base: Delay, attempt: int, cap: Delay) -> Delay:
    """``base`` for attempt 1, twice that for attempt 2, ... never more than ``cap``."""
    return min(base * 2 ** max(0, attempt - 1), cap)
