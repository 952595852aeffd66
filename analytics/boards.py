"""Boards: symbols on the strength quadrant against one benchmark (the sector board), and
the confirmed zone behind their alerts. Pure: closes and ``asof`` in, values out.

A member's numbers are those of /quadrant: ``analytics.snapshot.quadrant_tails`` (the same
function), so a board and the quadrant never disagree.

Zones (the alert rule): on each session a member is in the *leading zone* when strength and
momentum are both >= 100 + band, in the *lagging zone* when both are <= 100 - band, and in
neither otherwise (a dead band around the 100 lines). Its confirmed zone becomes leading
(lagging) after ``confirm`` sessions in a row in that zone, and stays so until the other
zone is confirmed: a member hovering on a line, or hooking back towards the zone it came
from, alerts nothing. One alert per confirmation, on the session it happens. Computed over
the history given (the daily job's bounded window): the first confirmation in the window
sets the zone, and every later one is the same whatever the window's start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analytics.frames import to_date, upto
from analytics.quadrant import QUADRANTS, strength_momentum
from analytics.types import (
    HORIZON_SESSIONS,
    BoardRow,
    BoardSpec,
    BoardStats,
    QuadrantParams,
    QuadrantTrail,
)

#: Horizons of a board's spreads (and of /sectors).
BOARD_HORIZONS: tuple[str, ...] = ("1w", "1m", "3m")
ZONES: tuple[str, ...] = ("leading", "lagging")
#: Leaders first: quadrant rank, then strength (descending).
_RANK = {"leading": 0, "weakening": 1, "improving": 2, "lagging": 3}


def zone_codes(strength: np.ndarray, momentum: np.ndarray, band: float) -> np.ndarray:
    """Per cell: 1 in the leading zone, -1 in the lagging zone, 0 otherwise (NaN: 0)."""
    with np.errstate(invalid="ignore"):
        lead = (strength >= 100.0 + band) & (momentum >= 100.0 + band)
        lag = (strength <= 100.0 - band) & (momentum <= 100.0 - band)
    return np.where(lead, 1, np.where(lag, -1, 0)).astype("int8")


def confirmed_zones(codes: np.ndarray, confirm: int) -> tuple[np.ndarray, np.ndarray]:
    """(zone, changed) per cell: the confirmed zone (1, -1, 0 = none yet) and whether it was
    confirmed on that row. Vectorised across columns (one pass over the rows)."""
    rows, cols = codes.shape
    zone = np.zeros((rows, cols), dtype="int8")
    changed = np.zeros((rows, cols), dtype=bool)
    run = np.zeros(cols, dtype="int64")
    prev_code = np.zeros(cols, dtype="int8")
    state = np.zeros(cols, dtype="int8")
    for i in range(rows):
        code = codes[i]
        run = np.where((code != 0) & (code == prev_code), run + 1, np.where(code != 0, 1, 0))
        flip = (run >= confirm) & (code != state) & (code != 0)
        state = np.where(flip, code, state)
        zone[i] = state
        changed[i] = flip
        prev_code = code
    return zone, changed


def _name(code: int) -> str | None:
    return {1: "leading", -1: "lagging"}.get(int(code))


def board_ratio(closes: pd.DataFrame, symbols: Sequence[str], benchmark: str) -> pd.DataFrame:
    """Each symbol over the benchmark (columns present in ``closes`` only)."""
    present = [s for s in symbols if s in closes.columns and bool(closes[s].notna().any())]
    if benchmark not in closes.columns:
        return pd.DataFrame(index=closes.index)
    return closes[present].div(closes[benchmark], axis=0)


def spread_pp(closes: pd.DataFrame, symbol: str, benchmark: str, sessions: int) -> float | None:
    """ret(symbol) - ret(benchmark) over ``sessions`` common closes, in pp (None: too short)."""
    both = closes[[symbol, benchmark]].dropna()
    if len(both) <= sessions:
        return None
    now, then = both.iloc[-1], both.iloc[-1 - sessions]
    return float(100.0 * ((now[symbol] / then[symbol]) - (now[benchmark] / then[benchmark])))


def order_rows(rows: Sequence[BoardRow]) -> tuple[BoardRow, ...]:
    """Leaders first: leading, weakening, improving, lagging; then by strength, highest
    first; members without a quadrant last, in board order."""

    def key(row: BoardRow) -> tuple[int, float]:
        current = row.trail.current if row.trail is not None else None
        if current is None:
            return (len(_RANK), 0.0)
        return (_RANK[current.quadrant], -current.strength)

    return tuple(sorted(rows, key=key))


def board_stats(
    closes: pd.DataFrame,
    board: BoardSpec,
    asof: dt.date,
    trails: Mapping[str, QuadrantTrail],
    params: QuadrantParams,
) -> BoardStats:
    """The board as of the last session <= asof; ``trails`` are the members' quadrant trails
    (``quadrant_tails`` of the same closes), the zones come from the same strength series."""
    cut = upto(closes, asof)
    session = to_date(cut.index[-1])
    ratio = board_ratio(cut, board.symbols, board.benchmark)
    zones = member_zones(ratio, board, params)
    rows = []
    for symbol, name in board.members:
        trail = trails.get(symbol)
        spreads: dict[str, float | None] = {h: None for h in BOARD_HORIZONS}
        last = None
        if symbol in cut.columns and board.benchmark in cut.columns:
            valid = cut[symbol].dropna()
            last = to_date(valid.index[-1]) if len(valid) else None
            for h in BOARD_HORIZONS:
                span = HORIZON_SESSIONS[h]
                assert span is not None
                spreads[h] = spread_pp(cut, symbol, board.benchmark, span)
        zone, since, entered, previous = zones.get(symbol, (None, None, False, None))
        rows.append(
            BoardRow(
                symbol=symbol,
                name=name,
                trail=trail,
                spreads_pp=spreads,
                zone=zone,
                zone_since=since,
                entered=entered and last == session,
                previous_zone=previous,
                last_date=last,
            )
        )
    return BoardStats(
        name=board.name,
        label=board.label,
        benchmark=board.benchmark,
        session=session,
        rows=order_rows(rows),
        band=board.band,
        confirm=board.confirm,
    )


def member_zones(
    ratio: pd.DataFrame, board: BoardSpec, params: QuadrantParams
) -> dict[str, tuple[str | None, dt.date | None, bool, str | None]]:
    """Per member: (confirmed zone, session it was confirmed, confirmed on the last row,
    the zone before it)."""
    if ratio.empty or len(ratio.columns) == 0:
        return {}
    strength, momentum = strength_momentum(ratio, params)
    codes = zone_codes(strength.to_numpy(), momentum.to_numpy(), board.band)
    zone, changed = confirmed_zones(codes, board.confirm)
    out: dict[str, tuple[str | None, dt.date | None, bool, str | None]] = {}
    dates = [to_date(ts) for ts in pd.DatetimeIndex(ratio.index)]
    for j, symbol in enumerate(ratio.columns):
        flips = np.flatnonzero(changed[:, j])
        if not len(flips):
            out[str(symbol)] = (None, None, False, None)
            continue
        at = int(flips[-1])
        previous = _name(zone[at - 1, j]) if at > 0 else None
        out[str(symbol)] = (_name(zone[-1, j]), dates[at], at == len(dates) - 1, previous)
    return out


def zone_changes(
    closes: pd.DataFrame, board: BoardSpec, params: QuadrantParams
) -> list[tuple[dt.date, str, str]]:
    """Every confirmed zone change over the whole frame: (session, symbol, zone), in date
    order (what the daily alerts would have sent, replayed at once)."""
    ratio = board_ratio(closes, board.symbols, board.benchmark)
    if ratio.empty or len(ratio.columns) == 0:
        return []
    strength, momentum = strength_momentum(ratio, params)
    codes = zone_codes(strength.to_numpy(), momentum.to_numpy(), board.band)
    zone, changed = confirmed_zones(codes, board.confirm)
    dates = [to_date(ts) for ts in pd.DatetimeIndex(ratio.index)]
    rows, cols = np.nonzero(changed)
    found = [
        (dates[r], str(ratio.columns[c]), str(_name(zone[r, c])))
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
    ]
    return sorted(found)


__all__ = [
    "BOARD_HORIZONS",
    "QUADRANTS",
    "ZONES",
    "board_stats",
    "confirmed_zones",
    "member_zones",
    "order_rows",
    "zone_changes",
    "zone_codes",
]
