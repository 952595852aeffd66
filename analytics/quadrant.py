"""Strength quadrants (our documented formula, not "RRG"), vectorised across ratios.

strength = 100 * R / G where G = exp(EMA_n(log R)) is the ratio's exponential trend taken
in log space, and momentum = 100 * strength / strength k sessions earlier, both on daily
sessions (valid closes only), EMA with span n (alpha = 2 / (n + 1), no bias adjustment,
first n values required). Both are indexes around 100 (100 = in line with the trend,
100 = unchanged over k sessions). The log form makes swapping A and B give exactly
100^2 / strength and 100^2 / momentum, so every point lands in the mirrored quadrant
(leading <-> lagging, weakening <-> improving). Quadrants: leading (strength >= 100, momentum
>= 100), weakening (strength >= 100, momentum < 100), lagging (both < 100), improving
(strength < 100, momentum >= 100). Weekly tails take the last real session of each
Monday-Sunday week, so a holiday Friday anchors on the Thursday, never on a future date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.frames import shift_valid, to_date
from analytics.types import QuadrantParams, QuadrantPoint, QuadrantTrail

QUADRANTS: tuple[str, ...] = ("leading", "weakening", "lagging", "improving")


def strength_momentum(ratio: pd.DataFrame, params: QuadrantParams) -> tuple[pd.DataFrame, ...]:
    """(strength, momentum) frames of ratio columns, both around 100, NaN where undefined."""
    logs = pd.DataFrame(np.log(ratio.to_numpy(dtype="float64")), ratio.index, ratio.columns)
    ema = logs.ewm(span=params.ema, adjust=False, ignore_na=True, min_periods=params.ema).mean()
    strength = pd.DataFrame(
        100.0 * np.exp((logs - ema).to_numpy()), ratio.index, ratio.columns
    ).where(ratio.notna())
    momentum = 100.0 * strength / shift_valid(strength, params.momentum_shift)
    return strength, momentum


def quadrant_codes(strength: np.ndarray, momentum: np.ndarray) -> np.ndarray:
    """Index into QUADRANTS per cell, -1 where strength or momentum is NaN."""
    strong = strength >= 100.0
    rising = momentum >= 100.0
    codes = np.where(strong, np.where(rising, 0, 1), np.where(rising, 3, 2))
    return np.where(np.isnan(strength) | np.isnan(momentum), -1, codes)


def week_end_rows(index: pd.Index) -> np.ndarray:
    """Rows that are the last session of their Monday-Sunday week (the last row included)."""
    if len(index) == 0:
        return np.array([], dtype="int64")
    weeks = pd.DatetimeIndex(index).to_period("W-SUN").asi8
    is_end = np.append(weeks[1:] != weeks[:-1], True)
    return np.flatnonzero(is_end)


def quadrant_trails(
    ratio: pd.DataFrame, benchmarks: list[str], params: QuadrantParams
) -> dict[str, QuadrantTrail]:
    """A QuadrantTrail per ratio column (keyed by column), at each column's last close."""
    strength, momentum = strength_momentum(ratio, params)
    s_arr = strength.to_numpy(dtype="float64")
    m_arr = momentum.to_numpy(dtype="float64")
    codes = quadrant_codes(s_arr, m_arr)
    rows_all = np.arange(len(ratio.index))[:, None]
    valid = codes >= 0
    last = np.where(valid.any(axis=0), len(ratio.index) - 1 - np.argmax(valid[::-1], 0), -1)
    current = codes[np.clip(last, 0, None), np.arange(codes.shape[1])]
    differs = valid & (codes != current[None, :]) & (rows_all <= last[None, :])
    prev_row = np.where(differs.any(axis=0), len(ratio) - 1 - np.argmax(differs[::-1], 0), -1)
    start = np.argmax(valid & (rows_all > prev_row[None, :]), axis=0)
    counted = np.cumsum(valid, axis=0)
    cols = np.arange(codes.shape[1])
    held = counted[np.clip(last, 0, None), cols] - counted[start, cols] + 1
    weekly = week_end_rows(ratio.index)
    out: dict[str, QuadrantTrail] = {}
    for j, key in enumerate(ratio.columns):
        out[str(key)] = _trail(
            str(key), benchmarks[j], ratio.index, s_arr[:, j], m_arr[:, j], codes[:, j],
            (int(last[j]), int(prev_row[j]), int(start[j]), int(held[j])),
            weekly, params.tail_weeks,
        )  # fmt: skip
    return out


def _point(index: pd.Index, s: np.ndarray, m: np.ndarray, c: np.ndarray, row: int) -> QuadrantPoint:
    name = QUADRANTS[int(c[row])]
    return QuadrantPoint(to_date(index[row]), float(s[row]), float(m[row]), name)  # type: ignore[arg-type]


def _trail(
    key: str,
    benchmark: str,
    index: pd.Index,
    s: np.ndarray,
    m: np.ndarray,
    c: np.ndarray,
    rows: tuple[int, int, int, int],
    weekly: np.ndarray,
    tail_weeks: int,
) -> QuadrantTrail:
    last, prev_row, start, held = rows
    if last < 0:
        return QuadrantTrail(key, benchmark, None, (), None, None)
    ends = weekly[(weekly < last) & (c[weekly] >= 0)]
    # the current (possibly partial) week ends at the last close itself
    ends = ends[index[ends].to_period("W-SUN") != index[last].to_period("W-SUN")]
    tail_rows = [*ends[-(tail_weeks - 1) :].tolist(), last] if tail_weeks > 1 else [last]
    return QuadrantTrail(
        key=key,
        benchmark=benchmark,
        current=_point(index, s, m, c, last),
        tail=tuple(_point(index, s, m, c, r) for r in tail_rows),
        previous=QUADRANTS[int(c[prev_row])] if prev_row >= 0 else None,
        since=to_date(index[start]),
        sessions=held,
    )
