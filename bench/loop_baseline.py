"""The comparison baseline: the snapshot's numbers computed the straightforward way.

One symbol (or pair) at a time with pandas Series operations, and plain Python loops over
sessions where the rule is sequential (EMA, regime state machine, basket index, weekly tail).
This is what a first version of ``analytics.snapshot.build_snapshot`` would look like. It
computes the same quantities (see ``bench.numbers`` for the list compared) from the same
frame, so ``build_snapshot`` can be timed against it and checked to give the same numbers.

It does NOT compute a few pair extras the snapshot has (1-session spread z-score, 20-session
relative-return percentile, raw crosses, flip track record, stretched-yesterday): leaving
them out only makes the baseline faster, so the measured speedup is a lower bound.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from analytics.types import (
    HORIZON_SESSIONS,
    HORIZONS,
    VOLATILITY_SYMBOLS,
    YIELD_SYMBOLS,
    RegimeParams,
    Universe,
)

QUADRANT_NAMES = ("leading", "weakening", "lagging", "improving")
STRETCH_WINDOW = 252
YEAR = 252


def _opt(value: float) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _base_row(index: pd.DatetimeIndex, row: int, horizon: str) -> int:
    sessions = HORIZON_SESSIONS[horizon]
    if sessions is not None:
        return row - sessions
    return int(index.searchsorted(pd.Timestamp(index[row].year, 1, 1))) - 1


def _close_on_or_before(series: pd.Series, row: int) -> float:
    if row < 0:
        return math.nan
    before = series.iloc[: row + 1].dropna()
    return float(before.iloc[-1]) if len(before) else math.nan


def loop_symbol(series: pd.Series) -> dict[str, Any] | None:
    """Returns per horizon, 52-week range and 1-year max drawdown of one symbol."""
    valid = series.dropna()
    if valid.empty:
        return None
    index = pd.DatetimeIndex(series.index)
    row = int(index.searchsorted(valid.index[-1]))
    last = float(valid.iloc[-1])
    is_yield = series.name in YIELD_SYMBOLS
    is_level = is_yield or series.name in VOLATILITY_SYMBOLS
    returns: dict[str, float | None] = {}
    changes: dict[str, float | None] = {}
    for horizon in HORIZONS:
        base = _close_on_or_before(series, _base_row(index, row, horizon))
        returns[horizon] = None if is_level else _opt(last / base - 1.0)
        if is_yield:
            changes[horizon] = _opt((last - base) * 100.0)
    window = series.iloc[max(0, row - YEAR + 1) : row + 1]
    high, low = float(window.max()), float(window.min())
    span = series.iloc[max(0, row - YEAR) : row + 1].dropna()
    drawdown = float((span / span.cummax() - 1.0).min())
    return {
        "last_date": valid.index[-1].date(),
        "last_close": last,
        "returns": returns,
        "changes_bp": changes,
        "high_52w": _opt(high),
        "low_52w": _opt(low),
        "off_high": None if is_level else _opt(last / high - 1.0),
        "off_low": None if is_level else _opt(last / low - 1.0),
        "max_drawdown_1y": None if is_level else _opt(drawdown),
    }


def _ema(values: list[float], span: int) -> list[float]:
    alpha = 2.0 / (span + 1.0)
    out: list[float] = []
    level = math.nan
    for i, x in enumerate(values):
        level = x if i == 0 else alpha * x + (1.0 - alpha) * level
        out.append(level if i + 1 >= span else math.nan)
    return out


def _code(strength: float, momentum: float) -> int:
    if strength >= 100.0:
        return 0 if momentum >= 100.0 else 1
    return 3 if momentum >= 100.0 else 2


def strength_momentum(ratio: pd.Series, ema: int, shift: int) -> tuple[pd.Series, pd.Series]:
    """Strength and momentum over the ratio's valid closes (index = valid dates).

    strength = 100 * R / exp(EMA(log R)): the exponential trend taken in log space."""
    valid = ratio.dropna()
    logs = [math.log(float(x)) for x in valid]
    level = _ema(logs, ema)
    strength = pd.Series([100.0 * math.exp(x - e) for x, e in zip(logs, level, strict=True)],
                         index=valid.index, dtype="float64")  # fmt: skip
    defined = strength.dropna()
    momentum = 100.0 * defined / defined.shift(shift)
    return strength, momentum.reindex(strength.index)


def week_ends(index: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """The last session of each Monday-Sunday week (the last session included)."""
    ends: list[pd.Timestamp] = []
    for i, stamp in enumerate(index):
        nxt = index[i + 1] if i + 1 < len(index) else None
        if nxt is None or nxt.isocalendar()[:2] != stamp.isocalendar()[:2]:
            ends.append(stamp)
    return ends


def loop_trail(
    ratio: pd.Series, ema: int, shift: int, tail_weeks: int, ends: list[pd.Timestamp]
) -> dict[str, Any] | None:
    """Current quadrant point, weekly tail, previous quadrant and since-date of one ratio."""
    strength, momentum = strength_momentum(ratio, ema, shift)
    points: list[tuple[pd.Timestamp, float, float, int]] = []
    for stamp, s, m in zip(strength.index, strength, momentum, strict=True):
        if not (math.isnan(s) or math.isnan(m)):
            points.append((stamp, float(s), float(m), _code(s, m)))
    if not points:
        return None
    last = points[-1]
    previous = since = None
    for i in range(len(points) - 1, -1, -1):
        if points[i][3] != last[3]:
            previous = QUADRANT_NAMES[points[i][3]]
            since = points[i + 1][0]
            break
    if since is None:
        since = points[0][0]
    by_date = {p[0]: p for p in points}
    week = last[0].isocalendar()[:2]
    tail = [by_date[e] for e in ends if e in by_date and e < last[0]
            and e.isocalendar()[:2] != week]  # fmt: skip
    tail = [*tail[-(tail_weeks - 1) :], last] if tail_weeks > 1 else [last]
    return {
        "current": _point(last),
        "tail": [_point(p) for p in tail],
        "previous": previous,
        "since": since.date(),
    }


def _point(p: tuple[pd.Timestamp, float, float, int]) -> tuple[Any, ...]:
    return (p[0].date(), p[1], p[2], QUADRANT_NAMES[p[3]])


def loop_basket(closes: pd.DataFrame, members: tuple[str, ...]) -> pd.Series:
    """Equal-weight daily-rebalanced level (100 on the first session with a member close)."""
    present = [m for m in members if m in closes.columns]
    columns = [[float(x) for x in closes[m]] for m in present]
    levels: list[float] = []
    level = math.nan
    for t in range(len(closes)):
        covered = sum(1 for col in columns if not math.isnan(col[t]))
        if math.isnan(level):
            level = 100.0 if covered else math.nan
        elif t > 0:
            moves = [col[t] / col[t - 1] - 1.0 for col in columns
                     if not math.isnan(col[t]) and not math.isnan(col[t - 1])]  # fmt: skip
            level *= 1.0 + (sum(moves) / len(moves) if moves else 0.0)
        levels.append(level if covered else math.nan)
    return pd.Series(levels, index=closes.index, dtype="float64")


def _bands(valid: pd.Series, regime: RegimeParams) -> list[float]:
    """The band per valid close: fixed, or max(floor, k * SD of the last 252 daily changes)."""
    if regime.band is not None:
        return [regime.band] * len(valid)
    values = [float(x) for x in valid]
    out: list[float] = []
    for i in range(len(values)):
        changes = [values[j] - values[j - 1] for j in range(max(1, i - 251), i + 1)]
        if len(changes) < 40:
            out.append(math.nan)
            continue
        mean = sum(changes) / len(changes)
        sd = math.sqrt(sum((c - mean) ** 2 for c in changes) / (len(changes) - 1))
        out.append(max(regime.band_floor, regime.band_sigmas * sd))
    return out


def _regime(log_ratio: pd.Series, regime: RegimeParams) -> dict[str, Any]:
    valid = log_ratio.dropna()
    window, confirm = regime.window, regime.confirm
    trend = valid.rolling(window, min_periods=window).mean()
    state, up, down = 0, 0, 0
    states: list[int] = []
    for x, t, band in zip(valid, trend, _bands(valid, regime), strict=True):
        limit = math.log1p(band)
        if not math.isnan(t) and not math.isnan(band):
            up = up + 1 if x - t > limit else 0
            down = down + 1 if x - t < -limit else 0
            if state != 1 and up >= confirm:
                state = 1
            elif state != -1 and down >= confirm:
                state = -1
        states.append(state)
    start = None
    flips: list[dt.date] = []
    for i, code in enumerate(states):
        if code != (states[i - 1] if i else 0):
            if start is not None:
                flips.append(valid.index[i].date())
            start = i
    side = {1: "A", -1: "B"}.get(state)
    return {
        "state": side,
        "since": valid.index[start].date() if side and start is not None else None,
        "sessions": len(states) - start if side and start is not None else 0,
        "flips": flips,
    }


def loop_pair(
    a: pd.Series, b: pd.Series, regime: RegimeParams, ema: int, shift: int
) -> dict[str, Any] | None:
    """Spreads, ratio, trend distances, stretch, regime and quadrant of one pair A/B."""
    both = a.notna() & b.notna()
    a, b = a.where(both), b.where(both)
    ratio = a / b
    valid = ratio.dropna()
    if valid.empty:
        return None
    index = pd.DatetimeIndex(ratio.index)
    row = int(index.searchsorted(valid.index[-1]))
    a_last, b_last, r_last = float(a.iloc[row]), float(b.iloc[row]), float(ratio.iloc[row])
    spreads, ratio_returns = {}, {}
    for horizon in HORIZONS:
        base_row = _base_row(index, row, horizon)
        a_base = _close_on_or_before(a, base_row)
        b_base = _close_on_or_before(b, base_row)
        spreads[horizon] = _opt(100.0 * (a_last / a_base - b_last / b_base))
        ratio_returns[horizon] = _opt(r_last / _close_on_or_before(ratio, base_row) - 1.0)
    logs = valid.apply(math.log)
    trend = math.exp(logs.rolling(regime.window, min_periods=regime.window).mean().iloc[-1])
    trend200 = math.exp(logs.rolling(200, min_periods=200).mean().iloc[-1])
    mean_w = logs.rolling(STRETCH_WINDOW, min_periods=STRETCH_WINDOW).mean().iloc[-1]
    sd_w = logs.rolling(STRETCH_WINDOW, min_periods=STRETCH_WINDOW).std().iloc[-1]
    strength, momentum = strength_momentum(ratio, ema, shift)
    s_last, m_last = float(strength.iloc[-1]), float(momentum.iloc[-1])
    quadrant = None
    if not (math.isnan(s_last) or math.isnan(m_last)):
        quadrant = QUADRANT_NAMES[_code(s_last, m_last)]
    log_ratio = (a.apply(math.log) - b.apply(math.log)).dropna()
    return {
        "last_date": valid.index[-1].date(),
        "ratio": r_last,
        "spreads_pp": spreads,
        "ratio_returns": ratio_returns,
        "ratio_vs_trend": _opt(r_last / trend - 1.0),
        "ratio_vs_trend200": _opt(r_last / trend200 - 1.0),
        "stretch_z": _opt((math.log(r_last) - mean_w) / sd_w),
        "strength": _opt(s_last),
        "momentum": _opt(m_last),
        "quadrant": quadrant,
        **_regime(log_ratio, regime),
    }


def loop_snapshot(closes: pd.DataFrame, universe: Universe, asof: dt.date) -> dict[str, Any]:
    """The snapshot's numbers, one symbol / pair / basket at a time (see module doc)."""
    cut = closes.loc[: pd.Timestamp(asof)]
    params = universe.quadrant
    out: dict[str, Any] = {"symbols": {}, "quadrants": {}, "pairs": {}, "baskets": {}}
    for symbol in universe.all_symbols():
        if symbol in cut.columns:
            stats = loop_symbol(cut[symbol])
            if stats is not None:
                out["symbols"][symbol] = stats
    legs: dict[str, pd.Series] = {}
    for basket in universe.baskets:
        legs[basket.name] = loop_basket(cut, basket.members)
        last = legs[basket.name].dropna()
        out["baskets"][basket.name] = float(last.iloc[-1]) if len(last) else None
    ends = week_ends(pd.DatetimeIndex(cut.index))
    bench = universe.benchmark
    for member in dict.fromkeys(universe.members):
        if member == bench or member not in cut.columns:
            continue
        trail = loop_trail(cut[member] / cut[bench], params.ema, params.momentum_shift,
                           params.tail_weeks, ends)  # fmt: skip
        if trail is not None:
            out["quadrants"][member] = trail
    for prev, frame in ((False, cut), (True, cut.iloc[:-1])):
        pairs = _loop_pairs(frame, universe, legs, ends, prev)
        out["prev_pairs" if prev else "pairs"] = pairs
    return out


def _loop_pairs(
    frame: pd.DataFrame,
    universe: Universe,
    legs: dict[str, pd.Series],
    ends: list[pd.Timestamp],
    prev: bool,
) -> dict[str, Any]:
    params = universe.quadrant
    pairs: dict[str, Any] = {}
    for spec in universe.pairs:
        series = []
        for leg in (spec.a, spec.b):
            if leg in legs:
                series.append(legs[leg].iloc[: len(frame)])
            elif leg in frame.columns:
                series.append(frame[leg])
        if len(series) != 2 or series[0].dropna().empty or series[1].dropna().empty:
            continue
        stats = loop_pair(series[0], series[1], spec.regime, params.ema, params.momentum_shift)
        if stats is None:
            continue
        if not prev:
            both = series[0].where(series[1].notna()) / series[1].where(series[0].notna())
            trail = loop_trail(both, params.ema, params.momentum_shift, params.tail_weeks, ends)
            stats["trail"] = trail
        pairs[spec.key] = stats
    return pairs
