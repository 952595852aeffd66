"""Several price sources in order (``MARKET_DATA_SOURCE=yahoo,tiingo,fred``), per symbol.

The first source is asked for every symbol; each next one only for the symbols the sources
before it could not bring up to date: failed (an error, an empty or refused answer, a rate
limit) or stale (its last close older than the expected session). A symbol keeps the bars of
the first source that had it current; when none did, the freshest stale bars any source gave
(ties: the earlier source), and it stays named stale. A symbol no source could give keeps every
source's cause, in order (``yahoo: ...; tiingo: ...``). Every symbol's bars carry their source
(``FetchResult.sources``), stored with each row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import pandas as pd

from market.provider import FetchResult, PriceProvider, outages_of

log = logging.getLogger(__name__)


class SourceChain:
    """A PriceProvider asking ``providers`` in turn for what the ones before could not give."""

    def __init__(self, providers: Sequence[PriceProvider]) -> None:
        if not providers:
            raise ValueError("at least one source is required")
        self.providers = list(providers)
        self.name = ",".join(p.name for p in self.providers)

    async def fetch(
        self,
        symbols: Sequence[str],
        start: dt.date,
        end: dt.date,
        *,
        expected_last: dt.date | None = None,
    ) -> FetchResult:
        """Daily bars for ``symbols``; see PriceProvider and the module docstring."""
        pending = list(dict.fromkeys(symbols))
        bars: dict[str, pd.DataFrame] = {}
        sources: dict[str, str] = {}
        stale: dict[str, dt.date] = {}
        causes: dict[str, list[str]] = {}
        unreachable: dict[str, bool] = {}
        warnings: dict[str, tuple[str, ...]] = {}
        outages: dict[str, str] = {}
        rate_limited = False
        for position, provider in enumerate(self.providers):
            if not pending:
                break
            result = await provider.fetch(pending, start, end, expected_last=expected_last)
            rate_limited |= result.rate_limited
            following = self.providers[position + 1 :]
            outages.update(
                outages_of(result, provider.name, then=following[0].name if following else None)
            )
            for symbol, cause in result.failures.items():
                causes.setdefault(symbol, []).append(f"{provider.name}: {cause}")
                unreachable[symbol] = unreachable.get(symbol, True) and (
                    symbol in result.unreachable
                )
            for symbol, frame in result.bars.items():
                if result.warnings.get(symbol):
                    warnings[symbol] = result.warnings[symbol]
                last = result.stale.get(symbol)
                if last is None:
                    bars[symbol], sources[symbol] = frame, result.source_of(symbol)
                    stale.pop(symbol, None)
                    continue
                causes.setdefault(symbol, []).append(f"{provider.name}: stale: last close {last}")
                if symbol not in stale or last > stale[symbol]:
                    bars[symbol], sources[symbol] = frame, result.source_of(symbol)
                    stale[symbol] = last
            for symbol, notes in result.warnings.items():
                if symbol not in result.bars and notes:
                    warnings[symbol] = notes
            done = {s for s in result.bars if s not in result.stale}
            asked_next = [s for s in pending if s not in done]
            if asked_next and provider is not self.providers[-1]:
                log.info(
                    "%s could not bring %d symbol(s) up to date; asking the next source",
                    provider.name,
                    len(asked_next),
                )
            pending = asked_next
        failures = {s: "; ".join(causes[s]) for s in pending if s not in bars and s in causes}
        return FetchResult(
            bars=bars,
            failures=failures,
            source=self.name,
            rate_limited=rate_limited,
            unreachable=frozenset(s for s in failures if unreachable.get(s, False)),
            stale=stale,
            warnings=warnings,
            sources=sources,
            outages=outages,
        )
