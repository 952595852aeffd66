"""Chats' own baskets and watchlists, every chat in one vectorised pass (pure).

Baskets: equal weight, rebalanced daily, exactly as ``analytics.baskets.basket_index`` (the
bundled baskets' function) defines them; here all baskets of all chats at once, gathering
the members' daily returns by index (chunks of baskets, never a loop per basket).
Watchlists: each chat's symbols (or its own baskets) against its benchmark on the strength
quadrant, with the confirmed zones of the sector board (``analytics.boards``); every
distinct (symbol, benchmark) column is computed once, however many chats watch it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.baskets import BASE_LEVEL
from analytics.boards import board_stats, confirmed_zones, zone_codes
from analytics.frames import to_date, upto
from analytics.quadrant import QUADRANTS, quadrant_codes, strength_momentum
from analytics.snapshot import quadrant_tails
from analytics.types import BasketSpec, BoardSpec, BoardStats, QuadrantParams

#: Sessions of history the custom pass works on: the quadrant's 50-session trend, its
#: 10-session momentum and a year of confirmations.
CUSTOM_SESSIONS = 320
#: Dead band and confirmation of watchlist alerts (the sector board's defaults).
WATCH_BAND = 0.5
WATCH_CONFIRM = 4
#: Baskets gathered at once (bounds the temporary sessions x baskets x members array).
_CHUNK = 1024


def basket_levels(
    closes: pd.DataFrame, baskets: Sequence[BasketSpec], asof: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(levels, coverage), one column per basket (named by position "0", "1", ...), rows the
    sessions <= asof: what ``basket_index`` gives for each basket, computed all at once."""
    cut = upto(closes, asof)
    names = [str(i) for i in range(len(baskets))]
    if not baskets:
        empty = pd.DataFrame(index=cut.index)
        return empty, empty
    have = set(cut.columns)
    symbols = list(dict.fromkeys(m for b in baskets for m in b.members if m in have))
    where = {s: i for i, s in enumerate(symbols)}
    # symbols x sessions, one zero row more: the padding of baskets shorter than the longest
    values = cut[symbols].to_numpy(dtype="float64").T if symbols else np.empty((0, len(cut)))
    rows = len(cut)
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = np.full((len(symbols) + 1, rows), np.nan)
        daily[:-1, 1:] = values[:, 1:] / values[:, :-1] - 1.0
    counted = ~np.isnan(daily)
    filled = np.where(counted, daily, 0.0)
    closed = np.zeros((len(symbols) + 1, rows))
    closed[:-1] = ~np.isnan(values)
    counted_f = counted.astype("float64")
    members = [[where[m] for m in dict.fromkeys(b.members) if m in where] for b in baskets]
    width = max((len(m) for m in members), default=0)
    index = np.full((len(baskets), max(width, 1)), len(symbols), dtype="int64")
    for j, found in enumerate(members):
        index[j, : len(found)] = found
    sums = np.empty((len(baskets), rows))
    counts = np.empty_like(sums)
    coverage = np.empty_like(sums)
    for lo in range(0, len(baskets), _CHUNK):  # row gathers of bounded size, never one basket
        part = index[lo : lo + _CHUNK]  # at a time
        sums[lo : lo + _CHUNK] = filled[part].sum(axis=1)
        counts[lo : lo + _CHUNK] = counted_f[part].sum(axis=1)
        coverage[lo : lo + _CHUNK] = closed[part].sum(axis=1)
    mean = np.where(counts > 0, sums / np.maximum(counts, 1.0), 0.0)
    steps = np.arange(rows)[None, :]
    any_close = coverage > 0
    first = np.where(any_close.any(axis=1), np.argmax(any_close, axis=1), rows)[:, None]
    mean[steps <= first] = 0.0
    level = BASE_LEVEL * np.cumprod(1.0 + mean, axis=1)
    minimum = np.array([b.min_members for b in baskets])[:, None]
    level[(coverage < minimum) | (coverage == 0) | (steps < first)] = np.nan
    level, coverage = level.T, coverage.T.astype("int64")
    return (
        pd.DataFrame(level, index=cut.index, columns=names),
        pd.DataFrame(coverage, index=cut.index, columns=names),
    )


@dataclass(frozen=True)
class WatchRow:
    """One watched name against the chat's benchmark on the session: its quadrant numbers
    (None before enough history), its confirmed zone and whether it was confirmed today."""

    symbol: str
    benchmark: str
    strength: float | None
    momentum: float | None
    quadrant: str | None
    zone: str | None
    entered: bool
    previous: str | None


def watch_rows(
    levels: pd.DataFrame,
    wanted: Mapping[int, tuple[Sequence[str], str]],
    asof: dt.date,
    params: QuadrantParams,
    band: float = WATCH_BAND,
    confirm: int = WATCH_CONFIRM,
) -> dict[int, list[WatchRow]]:
    """Per chat id: its watched names (columns of ``levels``: symbols and baskets' levels)
    against its benchmark. Each distinct (name, benchmark) is computed once for all chats."""
    cut = upto(levels, asof)
    have = set(cut.columns)
    columns: dict[tuple[str, str], int] = {}
    for names, bench in wanted.values():
        if bench not in have:
            continue
        for name in names:
            if name != bench and name in have:
                columns.setdefault((name, bench), len(columns))
    if not columns or cut.empty:
        return {chat: [] for chat in wanted}
    keys = list(columns)
    num = cut[[n for n, _ in keys]].to_numpy(dtype="float64")
    den = cut[[b for _, b in keys]].to_numpy(dtype="float64")
    ratio = pd.DataFrame(num / den, index=cut.index, columns=[f"{n}/{b}" for n, b in keys])
    strength, momentum = strength_momentum(ratio, params)
    s_arr, m_arr = strength.to_numpy(), momentum.to_numpy()
    zone, changed = confirmed_zones(zone_codes(s_arr, m_arr, band), confirm)
    quads = quadrant_codes(s_arr[-1:], m_arr[-1:])[0]
    last = len(cut) - 1
    names_of = {1: "leading", -1: "lagging"}
    flips = [np.flatnonzero(changed[:, j]) for j in range(len(keys))]
    rows: list[WatchRow] = []
    for j, (name, bench) in enumerate(keys):
        at = flips[j]
        previous = names_of.get(int(zone[at[-1] - 1, j])) if len(at) and at[-1] > 0 else None
        s, m = s_arr[last, j], m_arr[last, j]
        rows.append(
            WatchRow(
                symbol=name, benchmark=bench,
                strength=None if np.isnan(s) else float(s),
                momentum=None if np.isnan(m) else float(m),
                quadrant=QUADRANTS[int(quads[j])] if quads[j] >= 0 else None,
                zone=names_of.get(int(zone[last, j])), entered=bool(changed[last, j]),
                previous=previous,
            )
        )  # fmt: skip
    out: dict[int, list[WatchRow]] = {}
    for chat, (names, bench) in wanted.items():
        found = (columns.get((n, bench)) for n in names)
        out[chat] = [rows[j] for j in found if j is not None]
    return out


#: The board name of a chat's watchlist (its alerts' ``board`` and subscription target).
WATCH_BOARD = "watch"


def watch_board(
    closes: pd.DataFrame,
    symbols: Sequence[str],
    benchmark: str,
    asof: dt.date,
    params: QuadrantParams,
) -> BoardStats:
    """A chat's watchlist as a board against its benchmark: the sector board's function on
    the watched symbols (the /quadrant numbers, the same columns and order as /sectors) and
    the dead band and confirmation of the watchlist alerts."""
    spec = BoardSpec(
        name=WATCH_BOARD,
        label="Your watchlist",
        benchmark=benchmark,
        members=tuple((s, s) for s in dict.fromkeys(symbols) if s != benchmark),
        band=WATCH_BAND,
        confirm=WATCH_CONFIRM,
    )
    trails = quadrant_tails(closes, spec.symbols, benchmark, asof, params)
    return board_stats(closes, spec, asof, trails, params)


def session_of(frame: pd.DataFrame) -> dt.date | None:
    """The frame's last session (None when empty)."""
    return to_date(frame.index[-1]) if len(frame.index) else None
