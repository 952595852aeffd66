"""Leadership regimes with a band and confirming closes, for many pairs at once.

For a ratio R = A / B the trend is T = exp(SMA_n(log R)), the geometric n-session mean of R
(over valid closes). "A leads" begins after ``confirm`` consecutive closes with
R > T * (1 + band); "B leads" after ``confirm`` consecutive closes with R < T / (1 + band);
otherwise the state is kept.

The band is either fixed per pair (``RegimeParams.band``) or scaled to the pair's own
volatility: b = max(floor, k * sigma), sigma the standard deviation of the daily change of
log R over the last 252 valid closes (at least 40), so a volatile pair needs a larger move to
flip than a quiet one. Both are measured on that session's data only (no look-ahead).

Working in log space makes the rule symmetric: swapping A and B mirrors every regime exactly
(an arithmetic SMA of R is not the inverse of the SMA of 1/R), and sigma does not change.
The lower band T / (1 + b) differs from T * (1 - b) by b^2 / (1 + b) (0.0099 % at b = 1 %).

A session where R is undefined (a leg without a close) is skipped: it neither confirms nor
resets a count. The state machine loops over sessions with numpy arrays across all pairs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.constants import YEAR_SESSIONS
from analytics.frames import rolling_valid, shift_valid, to_date
from analytics.types import Flip, Regime, RegimeParams, Side

STATE_A = 1
STATE_B = -1
#: Sessions of daily log-ratio changes behind a scaled band's sigma (at least BAND_MIN_PERIODS).
BAND_WINDOW = YEAR_SESSIONS
BAND_MIN_PERIODS = 40


@dataclass(frozen=True)
class RegimeRun:
    """Per session and pair: log-trend, state (+1 A, -1 B, 0 none) and confirming counts."""

    log_ratio: np.ndarray
    log_trend: np.ndarray
    band: np.ndarray
    state: np.ndarray
    count_up: np.ndarray
    count_down: np.ndarray


def log_trend(log_ratio: pd.DataFrame, params: Sequence[RegimeParams]) -> np.ndarray:
    """SMA of log R over each pair's own window (valid closes only), as a T x P array."""
    out = np.full(log_ratio.shape, np.nan)
    windows = np.array([p.window for p in params])
    for window in np.unique(windows):
        cols = np.flatnonzero(windows == window)
        sub = log_ratio.iloc[:, cols]
        out[:, cols] = rolling_valid(sub, int(window), "mean").to_numpy()
    return out


def daily_sigma(log_ratio: pd.DataFrame) -> pd.DataFrame:
    """Standard deviation of the daily change of log R over the last BAND_WINDOW valid closes."""
    change = log_ratio - shift_valid(log_ratio, 1)
    return rolling_valid(change, BAND_WINDOW, "std", BAND_MIN_PERIODS)


def bands(log_ratio: pd.DataFrame, params: Sequence[RegimeParams]) -> np.ndarray:
    """The band (fraction) in force per session and pair, as a T x P array (NaN = none yet)."""
    out = np.full(log_ratio.shape, np.nan)
    scaled = [j for j, p in enumerate(params) if p.band is None]
    for j, p in enumerate(params):
        if p.band is not None:
            out[:, j] = np.where(log_ratio.iloc[:, j].notna(), p.band, np.nan)
    if scaled:
        sigma = daily_sigma(log_ratio.iloc[:, scaled]).to_numpy(dtype="float64")
        k = np.array([params[j].band_sigmas for j in scaled])
        floor = np.array([params[j].band_floor for j in scaled])
        with np.errstate(invalid="ignore"):
            out[:, scaled] = np.where(np.isnan(sigma), np.nan, np.fmax(floor, k * sigma))
    return out


def run_regimes(log_ratio: pd.DataFrame, params: Sequence[RegimeParams]) -> RegimeRun:
    """Run the hysteresis state machine over every pair (column) at once."""
    x = log_ratio.to_numpy(dtype="float64")
    trend = log_trend(log_ratio, params)
    fraction = bands(log_ratio, params)
    band = np.log1p(fraction)
    confirm = np.array([p.confirm for p in params], dtype="int64")
    with np.errstate(invalid="ignore"):
        dev = x - trend
        above = dev > band
        below = dev < -band
    valid = ~np.isnan(dev)
    shape = x.shape
    state_hist = np.zeros(shape, dtype="int8")
    up_hist = np.zeros(shape, dtype="int64")
    down_hist = np.zeros(shape, dtype="int64")
    state = np.zeros(shape[1], dtype="int8")
    up = np.zeros(shape[1], dtype="int64")
    down = np.zeros(shape[1], dtype="int64")
    for t in range(shape[0]):
        ok = valid[t]
        up = np.where(ok, np.where(above[t], up + 1, 0), up)
        down = np.where(ok, np.where(below[t], down + 1, 0), down)
        state = np.where(ok & (state != STATE_A) & (up >= confirm), STATE_A, state)
        state = np.where(ok & (state != STATE_B) & (down >= confirm), STATE_B, state)
        state_hist[t], up_hist[t], down_hist[t] = state, up, down
    return RegimeRun(x, trend, fraction, state_hist, up_hist, down_hist)


def _side(code: int) -> Side | None:
    if code == STATE_A:
        return "A"
    if code == STATE_B:
        return "B"
    return None


def flips_of(run: RegimeRun, col: int, index: pd.Index, last: int) -> tuple[Flip, ...]:
    """Confirmed flips (A <-> B, not the first regime) of one pair up to row ``last``."""
    states = run.state[: last + 1, col].astype("int64")
    counted = np.cumsum(~np.isnan(run.log_ratio[: last + 1, col]))
    changes = np.flatnonzero(np.diff(states, prepend=0) != 0)
    flips: list[Flip] = []
    for prev_row, row in itertools.pairwise(changes):
        direction = _side(int(states[row]))
        assert direction is not None  # a regime never returns to "none"
        flips.append(
            Flip(
                date=to_date(index[int(row)]),
                direction=direction,
                ratio=float(np.exp(run.log_ratio[row, col])),
                trend=float(np.exp(run.log_trend[row, col])),
                band=float(run.band[row, col]),
                prev_sessions=int(counted[row] - counted[prev_row]),
            )
        )
    return tuple(flips)


def current_regime(
    run: RegimeRun, col: int, index: pd.Index, last: int, params: RegimeParams
) -> Regime:
    """The regime of one pair on row ``last``: state, start, length and pending closes."""
    states = run.state[: last + 1, col]
    code = int(states[-1])
    counted = np.cumsum(~np.isnan(run.log_ratio[: last + 1, col]))
    changes = np.flatnonzero(np.diff(states.astype("int64"), prepend=0) != 0)
    start = int(changes[-1]) if code != 0 and len(changes) else None
    up, down = int(run.count_up[last, col]), int(run.count_down[last, col])
    pending, pending_side = _pending(code, up, down)
    trend = run.log_trend[last, col]
    band = run.band[last, col]
    return Regime(
        state=_side(code),
        since=to_date(index[start]) if start is not None else None,
        sessions=int(counted[-1] - counted[start] + 1) if start is not None else 0,
        pending=pending,
        pending_side=pending_side,
        trend=float(np.exp(trend)) if np.isfinite(trend) else None,
        band=float(band) if np.isfinite(band) else None,
        scaled=params.band is None,
        confirm=params.confirm,
        window=params.window,
    )


def _pending(code: int, up: int, down: int) -> tuple[int, Side | None]:
    if code != STATE_A and up > 0:
        return up, "A"
    if code != STATE_B and down > 0:
        return down, "B"
    return 0, None


def raw_crosses(run: RegimeRun, col: int, last: int) -> int:
    """How often R crossed its trend (no band, no confirmation) up to row ``last``."""
    dev = run.log_ratio[: last + 1, col] - run.log_trend[: last + 1, col]
    signs = np.sign(dev[np.isfinite(dev)])
    signs = signs[signs != 0]
    return int(np.count_nonzero(signs[1:] != signs[:-1]))
