"""Pair metrics for many pairs at once: spreads, ratio, trend, regime, stretch, quadrant.

A pair A/B is measured on the sessions where both legs have a close (a leg may be a basket
index). Spreads are ret(A) - ret(B) in percentage points; ratio returns, distances from the
trend and the 20-session relative return are fractions of R = A / B. Every per-session figure
is a vectorised time series over all pairs (``ratio_series``); a snapshot is one row of them,
and charts plot the same columns. The trend is the regime's (geometric mean of R, see
``analytics.regime``). Stretch is Z = (log R - mean_252(log R)) / SD_252(log R) (sample SD),
"stretched" when |Z| > 2. The 1-session spread z-score compares today's spread with the 252
spreads before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analytics.baskets import basket_index, basket_total_return
from analytics.constants import STRETCH_LIMIT, STRETCH_WINDOW, YEAR_SESSIONS
from analytics.frames import (
    gappy_columns,
    last_valid_rows,
    opt,
    rolling_valid,
    shift_valid,
    to_date,
    upto,
)
from analytics.quadrant import QUADRANTS, quadrant_codes, strength_momentum
from analytics.regime import (
    RegimeRun,
    current_regime,
    flips_of,
    log_trend,
    raw_crosses,
    run_regimes,
)
from analytics.returns import base_values, gap_counts, horizon_base_rows, is_total_return
from analytics.track import track_record
from analytics.types import (
    HORIZONS,
    PairSpec,
    PairStats,
    QuadrantParams,
    RegimeParams,
    Universe,
    UnknownSymbol,
)

YEAR = YEAR_SESSIONS
LONG_TREND = 200
REL_WINDOW = 20
DEFAULT_QUADRANT = QuadrantParams()


def leg_levels(
    closes: pd.DataFrame, names: Sequence[str], universe: Universe | None, asof: dt.date
) -> pd.DataFrame:
    """Levels (<= asof) of each name: a symbol's closes or a basket's index level."""
    cut = upto(closes, asof)
    cols: dict[str, pd.Series] = {}
    for name in dict.fromkeys(names):
        basket = universe.basket(name) if universe is not None else None
        if basket is not None:
            cols[name] = basket_index(closes, basket, asof)[0]
        elif name in cut.columns and cut[name].notna().any():
            cols[name] = cut[name].astype("float64")
        else:
            raise UnknownSymbol(name)
    return pd.DataFrame(cols, index=cut.index)


def leg_total_return(name: str, universe: Universe | None) -> bool:
    """Whether a leg's levels include dividends (symbol or basket)."""
    basket = universe.basket(name) if universe is not None else None
    return basket_total_return(basket) if basket is not None else is_total_return(name)


@dataclass(frozen=True)
class PairFrames:
    """Legs A and B and ratio R, one column per pair key, NaN unless both legs closed.

    ``a_missing`` / ``b_missing`` (T x P, when known) say on which sessions of the frame leg
    A / B itself has no close (which leg a pair's gap comes from).
    """

    a: pd.DataFrame
    b: pd.DataFrame
    ratio: pd.DataFrame
    a_missing: np.ndarray | None = None
    b_missing: np.ndarray | None = None


def pair_frames(
    closes: pd.DataFrame, specs: Sequence[PairSpec], universe: Universe | None, asof: dt.date
) -> PairFrames:
    """Aligned leg and ratio frames for the pairs (columns = pair keys)."""
    levels = leg_levels(closes, [leg for s in specs for leg in (s.a, s.b)], universe, asof)
    keys = [s.key for s in specs]
    a = levels[[s.a for s in specs]].to_numpy(dtype="float64")
    b = levels[[s.b for s in specs]].to_numpy(dtype="float64")
    a_missing, b_missing = np.isnan(a), np.isnan(b)
    both = ~a_missing & ~b_missing
    a, b = np.where(both, a, np.nan), np.where(both, b, np.nan)
    return PairFrames(
        pd.DataFrame(a, index=levels.index, columns=keys),
        pd.DataFrame(b, index=levels.index, columns=keys),
        pd.DataFrame(a / b, index=levels.index, columns=keys),
        a_missing,
        b_missing,
    )


def log_ratio(frames: PairFrames) -> pd.DataFrame:
    """log A - log B per pair (exactly antisymmetric when the legs are swapped)."""
    values = np.log(frames.a.to_numpy(dtype="float64")) - np.log(frames.b.to_numpy(dtype="float64"))
    return pd.DataFrame(values, index=frames.ratio.index, columns=frames.ratio.columns)


def vs_trend(log_ratio: pd.DataFrame, trend: np.ndarray) -> np.ndarray:
    """R / T - 1 per session and pair (fraction), T = exp(log trend)."""
    return np.expm1(log_ratio.to_numpy(dtype="float64") - trend)


def stretch(log_ratio: pd.DataFrame) -> pd.DataFrame:
    """Z of log R against its STRETCH_WINDOW mean and sample SD (valid closes only)."""
    mean = rolling_valid(log_ratio, STRETCH_WINDOW, "mean")
    sd = rolling_valid(log_ratio, STRETCH_WINDOW, "std")
    return (log_ratio - mean) / sd


@dataclass(frozen=True)
class PairHistory:
    """Every per-session series of the pairs up to ``asof``: legs, ratio, rolling metrics
    (T x P arrays) and the regime run. The PairStats of any pair on any row are read from it
    (``stats_at``): a snapshot reads each pair's last valid row, a replay any row."""

    specs: tuple[PairSpec, ...]
    frames: PairFrames
    metrics: dict[str, np.ndarray]
    run: RegimeRun
    universe: Universe | None


def pair_history(
    closes: pd.DataFrame,
    specs: Sequence[PairSpec],
    universe: Universe | None,
    asof: dt.date,
    quadrant: QuadrantParams = DEFAULT_QUADRANT,
) -> PairHistory:
    """The series of every spec (legs must have closes) on the sessions <= asof."""
    frames = pair_frames(closes, specs, universe, asof)
    logs = log_ratio(frames)
    run = run_regimes(logs, [s.regime for s in specs])
    metrics = _ratio_metrics(frames, logs, run, quadrant)
    metrics.update(_missing_counts(frames))
    return PairHistory(tuple(specs), frames, metrics, run, universe)


#: Running counts (T x P) of sessions without a common close, and without a close of A / B.
_MISSING = ("missing", "missing_a", "missing_b")


def _missing_counts(frames: PairFrames) -> dict[str, np.ndarray]:
    """Per pair, the running count of sessions of the frame with no common close, and with
    no close of leg A and of leg B (what a window's gaps are read from)."""
    common = np.isnan(frames.ratio.to_numpy(dtype="float64"))
    a = common if frames.a_missing is None else frames.a_missing
    b = common if frames.b_missing is None else frames.b_missing
    return {name: np.cumsum(m, axis=0) for name, m in zip(_MISSING, (common, a, b), strict=True)}


def stats_at(
    history: PairHistory, columns: Sequence[int], rows: np.ndarray
) -> dict[str, PairStats]:
    """PairStats of the pairs at ``columns`` measured on ``rows`` (one row per column; a pair
    whose row is negative has no close yet and is left out), keyed by pair key."""
    frames = history.frames
    cols = list(columns)
    picked = np.asarray(rows, dtype="int64")
    sub = PairFrames(frames.a.iloc[:, cols], frames.b.iloc[:, cols], frames.ratio.iloc[:, cols])
    bases = (base_values(sub.a, picked), base_values(sub.b, picked), base_values(sub.ratio, picked))
    windows = horizon_base_rows(sub.ratio.index, picked)
    gaps = tuple(gap_counts(history.metrics[name][:, cols], picked, windows) for name in _MISSING)
    out: dict[str, PairStats] = {}
    for k, j in enumerate(cols):
        if picked[k] < 0:
            continue
        spec = history.specs[j]
        stats = _one_pair(
            spec, (j, k), int(picked[k]), frames, bases, history.metrics, history.run,
            history.universe,
        )  # fmt: skip
        out[spec.key] = _with_gaps(stats, gaps, k)
    return out


def _with_gaps(stats: PairStats, gaps: tuple[dict[str, np.ndarray], ...], k: int) -> PairStats:
    """``stats`` with the horizons whose spread spans sessions without a common close (column
    ``k`` of ``gaps``: common, leg A, leg B) and the legs missing there."""
    common, a, b = gaps
    spans = {
        h: int(common[h][k])
        for h in HORIZONS
        if stats.spreads_pp.get(h) is not None and common[h][k] > 0
    }
    if not spans:
        return stats
    legs = tuple(
        leg for leg, own in ((stats.a, a), (stats.b, b)) if any(own[h][k] > 0 for h in spans)
    )
    return replace(stats, gaps=spans, gap_legs=legs)


def compute_pairs(
    closes: pd.DataFrame,
    specs: Sequence[PairSpec],
    universe: Universe | None,
    asof: dt.date,
    quadrant: QuadrantParams = DEFAULT_QUADRANT,
) -> dict[str, PairStats]:
    """PairStats for every spec whose legs both have closes, keyed by pair key."""
    return stats_on_or_before(pair_history(closes, specs, universe, asof, quadrant), asof)


def stats_on_or_before(history: PairHistory, day: dt.date) -> dict[str, PairStats]:
    """PairStats of every pair on its last close on or before ``day``: what ``compute_pairs``
    gives as of ``day``, since every series of a history is computed from earlier sessions
    only (a snapshot reads the session and the one before from one history)."""
    ratio = history.frames.ratio
    stop = int(ratio.index.searchsorted(pd.Timestamp(day), side="right"))
    if stop == 0:
        return {}
    rows = last_valid_rows(ratio.to_numpy(dtype="float64")[:stop])
    return stats_at(history, range(len(history.specs)), rows)


def _ratio_metrics(
    frames: PairFrames, logs: pd.DataFrame, run: RegimeRun, quadrant: QuadrantParams
) -> dict[str, np.ndarray]:
    """Rolling per-session metrics of every pair as T x P arrays."""
    ratio = frames.ratio
    spread = 100.0 * (frames.a / shift_valid(frames.a, 1) - frames.b / shift_valid(frames.b, 1))
    prior = shift_valid(spread, 1)  # the spreads before today's, skipping gaps
    spread_mean = rolling_valid(prior, YEAR, "mean").where(spread.notna())
    spread_sd = rolling_valid(prior, YEAR, "std").where(spread.notna())
    rel20 = ratio / shift_valid(ratio, REL_WINDOW) - 1.0
    rel_pct = rel20.rolling(YEAR, min_periods=YEAR).rank(pct=True) * 100.0
    for name in gappy_columns(rel20):
        valid = rel20[name].dropna()
        rolled = valid.rolling(YEAR, min_periods=YEAR).rank(pct=True) * 100.0
        rel_pct[name] = rolled.reindex(rel20.index)
    strength, momentum = strength_momentum(ratio, quadrant)
    long = log_trend(logs, [RegimeParams(window=LONG_TREND)] * logs.shape[1])
    return {
        "vs_trend": vs_trend(logs, run.log_trend),
        "vs_trend200": vs_trend(logs, long),
        "spread": spread.to_numpy(),
        "spread_z": ((spread - spread_mean) / spread_sd).to_numpy(),
        "rel_pct": rel_pct.where(rel20.notna()).to_numpy(),
        "stretch": stretch(logs).to_numpy(),
        "strength": strength.to_numpy(),
        "momentum": momentum.to_numpy(),
    }


def _prev_valid(values: np.ndarray, row: int) -> float:
    """The value on the last row before ``row`` where it is defined (NaN if none)."""
    earlier = values[:row]
    finite = np.flatnonzero(~np.isnan(earlier))
    return float(earlier[finite[-1]]) if len(finite) else float("nan")


def _one_pair(
    spec: PairSpec,
    col: tuple[int, int],
    row: int,
    frames: PairFrames,
    bases: tuple[dict[str, np.ndarray], ...],
    m: dict[str, np.ndarray],
    run: RegimeRun,
    universe: Universe | None,
) -> PairStats:
    """Pair column ``col[0]`` on ``row``; its horizon bases are column ``col[1]`` of ``bases``."""
    j, k = col
    index = frames.ratio.index
    a_last = float(frames.a.to_numpy()[row, j])
    b_last = float(frames.b.to_numpy()[row, j])
    ratio = a_last / b_last
    a_base, b_base, r_base = bases
    spreads = {h: opt(100.0 * (a_last / a_base[h][k] - b_last / b_base[h][k])) for h in HORIZONS}
    flips = flips_of(run, j, index, row)
    stretch = opt(m["stretch"][row, j])
    prev_stretch = _prev_valid(m["stretch"][:, j], row)
    codes = quadrant_codes(m["strength"][:, j], m["momentum"][:, j])
    prev_codes = codes[:row][codes[:row] >= 0]
    return PairStats(
        key=spec.key,
        a=spec.a,
        b=spec.b,
        label=spec.label,
        last_date=to_date(index[row]),
        a_total_return=leg_total_return(spec.a, universe),
        b_total_return=leg_total_return(spec.b, universe),
        ratio=float(ratio),
        spreads_pp=spreads,
        ratio_returns={h: opt(ratio / r_base[h][k] - 1.0) for h in HORIZONS},
        ratio_vs_trend=opt(m["vs_trend"][row, j]),
        ratio_vs_trend200=opt(m["vs_trend200"][row, j]),
        spread_change_1d_pp=opt(m["spread"][row, j]),
        spread_change_z=opt(m["spread_z"][row, j]),
        rel20_percentile=opt(m["rel_pct"][row, j]),
        regime=current_regime(run, j, index, row, spec.regime),
        flips=flips,
        raw_crosses=raw_crosses(run, j, row),
        stretch_z=stretch,
        stretched=stretch is not None and abs(stretch) > STRETCH_LIMIT,
        stretched_prev=None if np.isnan(prev_stretch) else bool(abs(prev_stretch) > STRETCH_LIMIT),
        quadrant=QUADRANTS[codes[row]] if codes[row] >= 0 else None,
        quadrant_prev=QUADRANTS[prev_codes[-1]] if len(prev_codes) else None,
        strength=opt(m["strength"][row, j]),
        momentum=opt(m["momentum"][row, j]),
        track=track_record(frames.ratio.iloc[: row + 1, j], flips),
        theme=spec.theme_key,
    )


def pair_stats(
    closes: pd.DataFrame, spec: PairSpec, universe: Universe | None, asof: dt.date
) -> PairStats:
    """PairStats for one pair (ad-hoc /pair); raise UnknownSymbol for a leg without data."""
    quadrant = universe.quadrant if universe is not None else DEFAULT_QUADRANT
    stats = compute_pairs(closes, [spec], universe, asof, quadrant)
    if spec.key not in stats:
        raise UnknownSymbol(spec.key)
    return stats[spec.key]


def pair_series(
    closes: pd.DataFrame, spec: PairSpec, asof: dt.date, universe: Universe | None = None
) -> pd.DataFrame:
    """Per-session chart data of one pair (<= asof), on sessions where both legs closed.

    Columns: ratio (R), trend (the regime trend, geometric mean over ``window``), vs_trend
    (R / trend - 1), band (fraction in force), upper (trend * (1 + band)), lower
    (trend / (1 + band)), state (1 = A leads, -1 = B leads, 0 = none yet), flip (True on a
    confirmed A <-> B change), stretch_z. The same functions as the snapshot's figures.
    """
    frames = pair_frames(closes, [spec], universe, asof)
    logs = log_ratio(frames)
    run = run_regimes(logs, [spec.regime])
    ratio = frames.ratio.iloc[:, 0]
    trend = np.exp(run.log_trend[:, 0])
    band = run.band[:, 0]
    state = run.state[:, 0].astype("int64")
    change = np.diff(state, prepend=0) != 0
    established = np.cumsum(change) > 1
    out = pd.DataFrame(
        {
            "ratio": ratio,
            "trend": trend,
            "vs_trend": vs_trend(logs, run.log_trend)[:, 0],
            "band": band,
            "upper": trend * (1.0 + band),
            "lower": trend / (1.0 + band),
            "state": state,
            "flip": change & established,
            "stretch_z": stretch(logs).iloc[:, 0],
        },
        index=ratio.index,
    )
    return out[ratio.notna().to_numpy()]
