"""Background fetch of symbols that are not stored yet, outside every reply path.

A command that meets an unstored, valid-looking symbol raises ``NotStored``; the dispatcher
answers "fetching" at once and asks the ``Fetcher`` to get it. One task per symbol, however
many chats ask; when it ends every waiter is called back (answer, or "not found").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jobs.refresh import refresh_prices
from storage.prices import stored_symbols

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MISSING_TTL_SECONDS = 600.0
MAX_PENDING = 20


@dataclass(frozen=True)
class FetchFailure:
    """Why a symbol could not be fetched; ``unreachable``: the source failed, not the symbol."""

    reason: str
    unreachable: bool = False


Done = Callable[[dict[str, FetchFailure]], Awaitable[None]]


class NotStored(Exception):
    """Symbols a command needs that have no stored prices yet (fetch them, then retry)."""

    def __init__(self, symbols: Iterable[str]) -> None:
        self.symbols = tuple(dict.fromkeys(symbols))
        super().__init__(", ".join(self.symbols))


async def fetch_now(
    services: Services, symbols: Sequence[str], *, asof: dt.date | None = None
) -> dict[str, FetchFailure]:
    """Fetch and store ``symbols`` now; return the failures."""
    now = dt.datetime.now(dt.UTC)
    expected = services.expected_session(now, asof)
    try:
        report = await refresh_prices(
            services.db,
            services.provider(asof),
            services.calendar,
            list(symbols),
            expected,
            fetched_at=now,
        )
    except Exception as exc:  # a broken source must not kill the fetcher
        log.warning("fetch of %s failed: %s", ",".join(symbols), exc)
        return {s: FetchFailure("the price source failed", unreachable=True) for s in symbols}
    return {
        s: FetchFailure(report.failures.get(s, "no data at the source"), s in report.unreachable)
        for s in symbols
        if s not in report.latest
    }


def close_matches(services: Services, text: str, limit: int = 4) -> list[str]:
    """Universe symbols, baskets and stored symbols that look like ``text``."""
    names = set(services.universe.all_symbols()) | {b.name for b in services.universe.baskets}
    names |= set(stored_symbols(services.db))
    return difflib.get_close_matches(text.upper(), sorted(names), n=limit, cutoff=0.5)


class Fetcher:
    """Runs symbol fetches as background tasks; remembers recent misses for a while."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._tasks: dict[str, asyncio.Task[dict[str, FetchFailure]]] = {}
        self._missing: dict[str, float] = {}
        self._waiters: set[asyncio.Task[None]] = set()

    def recently_missing(self, symbol: str) -> bool:
        """True when ``symbol`` was not found at the source within MISSING_TTL_SECONDS."""
        seen = self._missing.get(symbol)
        return seen is not None and self.clock() - seen < MISSING_TTL_SECONDS

    def note_missing(self, failures: Mapping[str, FetchFailure]) -> None:
        """Remember symbols the source does not have (answered from memory for a while);
        failures caused by the source being unreachable are not remembered."""
        now = self.clock()
        for symbol, failure in failures.items():
            if not failure.unreachable:
                self._missing[symbol] = now

    def busy(self) -> bool:
        """True when too many fetches are already running (refuse new ones)."""
        return len(self._tasks) >= MAX_PENDING

    def pending(self) -> tuple[str, ...]:
        """Symbols being fetched right now."""
        return tuple(self._tasks)

    def start(
        self, services: Services, symbols: Sequence[str], asof: dt.date | None, done: Done
    ) -> None:
        """Fetch ``symbols`` in the background (sharing running fetches), then call ``done``."""
        tasks = [self._task_for(services, s, asof) for s in symbols]
        waiter = asyncio.get_running_loop().create_task(self._wait(tasks, symbols, done))
        self._waiters.add(waiter)
        waiter.add_done_callback(self._waiters.discard)

    async def drain(self) -> None:
        """Wait for every running fetch and callback (shutdown, tests)."""
        while self._waiters:
            await asyncio.gather(*list(self._waiters), return_exceptions=True)

    def _task_for(
        self, services: Services, symbol: str, asof: dt.date | None
    ) -> asyncio.Task[dict[str, FetchFailure]]:
        task = self._tasks.get(symbol)
        if task is None:
            task = asyncio.get_running_loop().create_task(fetch_now(services, [symbol], asof=asof))
            self._tasks[symbol] = task
            task.add_done_callback(functools.partial(self._forget, symbol))
        return task

    def _forget(self, symbol: str, _task: object) -> None:
        self._tasks.pop(symbol, None)

    async def _wait(
        self, tasks: list[asyncio.Task[dict[str, FetchFailure]]], symbols: Sequence[str], done: Done
    ) -> None:
        failures: dict[str, FetchFailure] = {}
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                log.warning("background fetch crashed: %r", result)
                broke = FetchFailure("the price source failed", unreachable=True)
                failures.update(dict.fromkeys(symbols, broke))
            else:
                failures.update(result)
        self.note_missing(failures)
        try:
            await done(failures)
        except Exception:
            log.exception("delivering the answer after a fetch of %s failed", ",".join(symbols))
