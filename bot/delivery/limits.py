"""Telegram's send limits, for every bot of the project (``bot.app.builder.configured``).

Telegram allows a bot about 30 messages a second overall and 20 a minute per group. A message
sent with ``allow_paid_broadcast`` (only the outbox sender sets it, and only with
ALLOW_PAID_BROADCAST) is outside the free limit: up to 1000 a second, paid in Stars. So:

* sends without the flag (replies, free broadcasts): PTB's ``AIORateLimiter`` with a smooth
  overall bucket (``OVERALL_BURST`` refilled ``OVERALL_RATE`` times a second) and Telegram's
  per-group limit;
* sends with the flag: their own bucket (``PAID_BURST`` refilled ``PAID_RATE`` times a
  second), so a paid broadcast neither waits behind nor speeds up the free limit, and the
  replies users wait for keep their own 28 a second meanwhile.

PTB's AIORateLimiter has a paid bucket of its own, but it holds a whole second's worth (1000):
the first second of a broadcast can then go well past 1000, which Telegram answers with 429s.
Paid sends are paced by ``Pacer`` instead of aiolimiter's leaky bucket: with 32 sends waiting
that bucket let through only 92 % of its rate (a broadcast paced at 940 a second went out at
867; BENCHMARKS.md, fan-out).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any

from telegram.ext import AIORateLimiter, BaseRateLimiter

#: Overall sends per second without the paid flag, and how many may go at once. AIORateLimiter's
#: default bucket (30, refilled at 30/s) lets ~60 through in the first second of a broadcast,
#: which Telegram answers with 429s. A bucket of 2 refilled 28 times a second never exceeds 30
#: in any second, and still sends a reply's chart and text back to back.
OVERALL_RATE = 28
OVERALL_BURST = 2

#: Per group: Telegram allows 20 messages a minute. AIORateLimiter's default bucket (20,
#: refilled at 20 a minute) lets 40 through in a group's first minute (the full bucket, then
#: its refill), which Telegram answers with 429s. A bucket of 2 refilled 18 times a minute
#: never exceeds 20 in any 60 seconds, and still sends a reply's chart and text together.
GROUP_RATE = 18 / 60
GROUP_BURST = 2
#: Paid sends: a bucket of 10 refilled 950 times a second: at most 960 start in any second,
#: which leaves room under Telegram's 1000 for the free 30 beside them and for sends
#: bunched by a pause in the network (the sender keeps at most ``bot.delivery.sender.PAID_PARALLEL``
#: in flight).
PAID_RATE = 950
PAID_BURST = 10

Callback = Callable[..., Coroutine[Any, Any, Any]]


class Pacer:
    """A token bucket: ``burst`` tokens, refilled ``rate`` times a second, counted on the
    clock when a sender asks (so at most ``burst + rate * T`` starts in any T seconds, however
    late the event loop wakes anyone). Senders queue in order behind one lock and only its
    holder sleeps, until its token is due: a late wake-up leaves the time it overslept as
    tokens for the next in line, so the rate holds."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._stamp: float | None = None  # event-loop time of the last refill
        self._lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        if self._stamp is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def __aenter__(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            self._refill(loop.time())
            if self._tokens < 1.0:
                await asyncio.sleep((1.0 - self._tokens) / self.rate)
                self._refill(loop.time())
            self._tokens -= 1.0

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class BotRateLimiter(BaseRateLimiter[int]):
    """Free sends through ``free`` (an AIORateLimiter), paid sends through ``paid``."""

    def __init__(self) -> None:
        self.free = AIORateLimiter(
            overall_max_rate=OVERALL_BURST,
            overall_time_period=OVERALL_BURST / OVERALL_RATE,
            group_max_rate=GROUP_BURST,
            group_time_period=GROUP_BURST / GROUP_RATE,
        )
        self.paid = Pacer(PAID_RATE, PAID_BURST)

    async def initialize(self) -> None:
        """See :meth:`BaseRateLimiter.initialize`."""
        await self.free.initialize()

    async def shutdown(self) -> None:
        """See :meth:`BaseRateLimiter.shutdown`."""
        await self.free.shutdown()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """See :meth:`BaseRateLimiter.process_request`. A 429 is raised to the caller (the
        sender defers that chat), as AIORateLimiter does without retries."""
        if data.get("allow_paid_broadcast"):
            async with self.paid:
                return await callback(*args, **kwargs)
        return await self.free.process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def rate_limiter() -> BotRateLimiter:
    """A fresh limiter for one bot."""
    return BotRateLimiter()
