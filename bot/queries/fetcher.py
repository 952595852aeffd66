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
#: A source outage for a symbol is remembered this long (answered "try later" from memory).
UNREACHABLE_TTL_SECONDS = 60.0
MAX_PENDING = 20
#: Fetches one user may keep running at once: a share of MAX_PENDING, never all of it.
MAX_PENDING_PER_USER = 3


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
    # Off the event loop: with the csv source this may read the folder (once; then cached).
    expected = await asyncio.to_thread(services.expected_session, now, asof)
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
        # symbol -> (failure, clock time): recent misses and outages, answered from memory
        self._missing: dict[str, tuple[FetchFailure, float]] = {}
        self._waiters: set[asyncio.Task[None]] = set()
        # user -> symbols whose fetch that user started and that still run
        self._by_user: dict[int, set[str]] = {}

    def remembered(self, symbol: str) -> FetchFailure | None:
        """The failure of a recent fetch of ``symbol``: "not found" for MISSING_TTL_SECONDS,
        "source unreachable" for UNREACHABLE_TTL_SECONDS (None: worth fetching)."""
        seen = self._missing.get(symbol)
        if seen is None:
            return None
        failure, when = seen
        ttl = UNREACHABLE_TTL_SECONDS if failure.unreachable else MISSING_TTL_SECONDS
        return failure if self.clock() - when < ttl else None

    def recently_missing(self, symbol: str) -> bool:
        """True when ``symbol`` was not found at the source within MISSING_TTL_SECONDS."""
        failure = self.remembered(symbol)
        return failure is not None and not failure.unreachable

    def note_missing(self, failures: Mapping[str, FetchFailure]) -> None:
        """Remember failed symbols: what the source does not have for a while, an outage
        briefly (so a burst of requests does not hammer a source that is down)."""
        now = self.clock()
        for symbol, failure in failures.items():
            self._missing[symbol] = (failure, now)
        if len(self._missing) > 10_000:  # bounded memory: drop the oldest half
            for key in sorted(self._missing, key=lambda k: self._missing[k][1])[:5_000]:
                del self._missing[key]

    def busy(self) -> bool:
        """True when too many fetches are already running (refuse new ones)."""
        return len(self._tasks) >= MAX_PENDING

    def refusal(self, user_id: int | None, symbols: Sequence[str]) -> str | None:
        """Why fetching ``symbols`` for ``user_id`` must wait (None: go ahead). Joining a
        fetch that already runs is free; new ones count against the user's share."""
        new = [s for s in dict.fromkeys(symbols) if s not in self._tasks]
        if not new:
            return None
        if len(self._tasks) + len(new) > MAX_PENDING:
            return "Too many symbols are being fetched; try again in a minute."
        mine = self._by_user.get(user_id, set()) if user_id is not None else set()
        if len(mine) + len(new) > MAX_PENDING_PER_USER:
            return (
                f"You already have {len(mine)} symbol(s) being fetched (at most "
                f"{MAX_PENDING_PER_USER} at once); try again when they are done."
            )
        return None

    def pending(self) -> tuple[str, ...]:
        """Symbols being fetched right now."""
        return tuple(self._tasks)

    def start(
        self,
        services: Services,
        symbols: Sequence[str],
        asof: dt.date | None,
        done: Done,
        *,
        user_id: int | None = None,
    ) -> None:
        """Fetch ``symbols`` in the background (sharing running fetches), then call ``done``;
        fetches this call starts count against ``user_id``'s share until they end."""
        tasks = [self._task_for(services, s, asof, user_id) for s in symbols]
        waiter = asyncio.get_running_loop().create_task(self._wait(tasks, symbols, done))
        self._waiters.add(waiter)
        waiter.add_done_callback(self._waiters.discard)

    async def drain(self) -> None:
        """Wait for every running fetch and callback (shutdown, tests)."""
        while self._waiters:
            await asyncio.gather(*list(self._waiters), return_exceptions=True)

    def _task_for(
        self, services: Services, symbol: str, asof: dt.date | None, user_id: int | None
    ) -> asyncio.Task[dict[str, FetchFailure]]:
        task = self._tasks.get(symbol)
        if task is None:
            task = asyncio.get_running_loop().create_task(fetch_now(services, [symbol], asof=asof))
            self._tasks[symbol] = task
            if user_id is not None:
                self._by_user.setdefault(user_id, set()).add(symbol)
            task.add_done_callback(functools.partial(self._forget, symbol, user_id))
        return task

    def _forget(self, symbol: str, user_id: int | None, _task: object) -> None:
        self._tasks.pop(symbol, None)
        mine = self._by_user.get(user_id) if user_id is not None else None
        if mine is not None:
            mine.discard(symbol)
            if not mine:
                del self._by_user[user_id]  # type: ignore[arg-type]

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
