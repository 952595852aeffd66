"""The one backoff formula and the retries built on it."""

from __future__ import annotations

import datetime as dt
import random

from analytics.backoff import doubling
from bot.delivery.sender import backoff
from jobs.schedule import retry_delay
from market.yahoo import RetryPolicy


def test_doubling_doubles_from_the_base_up_to_the_cap() -> None:
    assert [doubling(2.0, n, 60.0) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert doubling(2.0, 0, 60.0) == 2.0  # attempt numbers start at 1; 0 is the first too
    minute = dt.timedelta(minutes=1)
    assert doubling(minute, 3, 10 * minute) == 4 * minute


def test_every_retry_uses_it() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 9)] == [2.0, 4.0, 300.0]
    assert [retry_delay(n) for n in (1, 3, 4)] == [
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=20),
        dt.timedelta(minutes=30),
    ]
    policy = RetryPolicy(base_delay=2.0, max_delay=60.0, rate_limit_factor=4.0, jitter=0.0)
    rng = random.Random(1)
    assert policy.delay(2, rate_limited=False, rng=rng) == 4.0
    assert policy.delay(2, rate_limited=True, rng=rng) == 16.0
    assert policy.delay(9, rate_limited=True, rng=rng) == 60.0
