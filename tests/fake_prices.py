"""A PriceProvider for tests: the bundled sample behind a clock, with faults on demand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from market.csv_provider import CsvProvider
from market.provider import FetchResult


@dataclass
class FakeProvider:
    """Serves the csv sample up to ``asof``; ``fail``/``stale``/``scale`` inject faults.

    - ``fail[symbol] = reason``: the symbol fails with that reason.
    - ``stale``: these symbols stop one session before ``asof`` (as Yahoo does when late);
      their older rows are served and the symbol is named in ``FetchResult.stale``.
    - ``scale[symbol] = factor``: closes multiplied (a re-adjusted history).
    - ``rate_limited``: every symbol fails as rate limited.
    - ``stopped[symbol] = day``: the symbol's source stopped after ``day`` (rows up to it).
    ``calls`` records (symbols, start, end) of each fetch.
    """

    folder: Path
    asof: dt.date | None = None
    fail: dict[str, str] = field(default_factory=dict)
    stale: set[str] = field(default_factory=set)
    scale: dict[str, float] = field(default_factory=dict)
    rate_limited: bool = False
    stopped: dict[str, dt.date] = field(default_factory=dict)
    calls: list[tuple[tuple[str, ...], dt.date, dt.date]] = field(default_factory=list)
    name: str = "fake"

    async def fetch(
        self,
        symbols: Sequence[str],
        start: dt.date,
        end: dt.date,
        *,
        expected_last: dt.date | None = None,
    ) -> FetchResult:
        self.calls.append((tuple(symbols), start, end))
        if self.rate_limited:
            return FetchResult(
                bars={},
                failures={s: "rate limited by Yahoo" for s in symbols},
                source=self.name,
                rate_limited=True,
                unreachable=frozenset(symbols),
            )
        inner = CsvProvider(self.folder, asof=self.asof)
        result = await inner.fetch(symbols, start, end)
        bars = dict(result.bars)
        failures = dict(result.failures)
        late: dict[str, dt.date] = {}
        for symbol in list(bars):
            frame = bars[symbol]
            if symbol in self.fail:
                failures[symbol] = self.fail[symbol]
                del bars[symbol]
                continue
            if symbol in self.stale:
                frame = frame.iloc[:-1]
            if symbol in self.stopped:
                frame = frame.loc[: str(self.stopped[symbol])]
            if symbol in self.scale:
                frame = frame.copy()
                frame["close"] = frame["close"] * self.scale[symbol]
            last = frame.index[-1].date() if len(frame) else None
            if last is None:
                failures[symbol] = "no rows"
                del bars[symbol]
                continue
            if expected_last is not None and last < expected_last:
                late[symbol] = last
            bars[symbol] = frame
        return FetchResult(
            bars=bars, failures=failures, source=self.name, stale=late, warnings=result.warnings
        )
