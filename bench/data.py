"""Seeded benchmark data: the bundled real sample extended to thousands of symbols.

The real closes (market/data/prices, the 30 symbols of the first presets) are kept as they
are. Every synthetic symbol ``Xnnnn`` follows a real "parent" (a tradable of the sample)
with a seeded beta, plus idiosyncratic daily log returns bootstrapped (seeded row draws)
from another real symbol's returns, demeaned and scaled. So the series have real volatility
clustering, real fat tails and real co-movement with the market. A small seeded share of
symbols lists late (no closes before a start row) and a few miss one session (a trading
halt), as real data does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.types import BasketSpec, PairSpec, Universe
from market.csv_provider import filename_to_symbol, read_price_csv
from market.universe import load_universe

SEED = 20260401
SYMBOLS = 2000
SESSIONS = 504
DATA_DIR = Path(__file__).resolve().parent.parent / "market" / "data" / "prices"
NON_TRADABLE = frozenset({"^TNX", "^IRX", "^VIX"})
LATE_SHARE = 0.01
HALTED = 5
SYNTHETIC_PAIRS = 43
SYNTHETIC_BASKETS = 2
BASKET_SIZE = 50


#: Files bundled later (the sector, style and regional ETFs): left out of the benchmarks'
#: real sample, so every benchmark keeps the 30-symbol base its record was measured on.
ADDED_LATER = frozenset(
    {"XLK", "XLE", "XLV", "XLI", "XLY", "XLP", "XLU", "XLB", "XLRE", "XLC",
     "IWD", "IWF", "IVE", "IVW", "EFA", "EEM"}
)  # fmt: skip


def real_closes(folder: Path = DATA_DIR) -> pd.DataFrame:
    """The bundled sample as a wide close frame (30 symbols x 564 sessions; ADDED_LATER
    left out)."""
    paths = [p for p in sorted(folder.glob("*.csv")) if p.stem not in ADDED_LATER]
    closes = {filename_to_symbol(p.name): read_price_csv(p)["close"] for p in paths}
    frame = pd.DataFrame(closes).astype("float64")
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    return frame


def synthetic_names(count: int) -> list[str]:
    """Valid ticker-like names X0001, X0002, ... (never clash with real symbols)."""
    return [f"X{i:04d}" for i in range(1, count + 1)]


def extend_closes(
    real: pd.DataFrame, symbols: int = SYMBOLS, sessions: int = SESSIONS, seed: int = SEED
) -> pd.DataFrame:
    """``sessions`` rows x ``symbols`` columns: the real last sessions plus seeded synthetics.

    Deterministic for a given (real, symbols, sessions, seed).
    """
    rng = np.random.default_rng(seed)
    base = real.iloc[-sessions:]
    tradable = [c for c in base.columns if c not in NON_TRADABLE]
    logret = np.diff(np.log(base[tradable].to_numpy(dtype="float64")), axis=0)
    count = symbols - base.shape[1]
    parents = rng.integers(0, len(tradable), count)
    donors = rng.integers(0, len(tradable), count)
    betas = rng.uniform(0.4, 1.6, count)
    scales = rng.uniform(0.3, 1.2, count)
    start_prices = np.exp(rng.uniform(np.log(3.0), np.log(600.0), count))
    steps = len(logret)
    draws = rng.integers(0, steps, (steps, count))
    idio = logret[draws, donors[None, :]]
    idio = (idio - idio.mean(axis=0)) * scales[None, :]
    paths = betas[None, :] * logret[:, parents] + idio
    levels = start_prices[None, :] * np.exp(np.vstack([np.zeros(count), np.cumsum(paths, 0)]))
    late = rng.choice(count, round(LATE_SHARE * count), replace=False)
    for col, first in zip(late, rng.integers(20, sessions // 2, len(late)), strict=True):
        levels[:first, col] = np.nan
    rest = np.setdiff1d(np.arange(count), late)
    for col in rng.choice(rest, min(HALTED, len(rest)), replace=False):
        levels[rng.integers(sessions // 2, sessions - 5), col] = np.nan
    synthetic = pd.DataFrame(levels, index=base.index, columns=synthetic_names(count))
    return pd.concat([base, synthetic], axis=1)


def _base_universe(bundled: Universe, columns: set[str]) -> Universe:
    """The bundled universe limited to the benchmarks' real sample: pairs whose legs (basket
    members expanded) all have closes, the presets over them, no boards."""
    baskets = {b.name: b.members for b in bundled.baskets}

    def present(leg: str) -> bool:
        return all(m in columns for m in baskets.get(leg, (leg,)))

    pairs = tuple(p for p in bundled.pairs if present(p.a) and present(p.b))
    keys = {p.key for p in pairs}
    presets = {k: v for k, v in bundled.presets.items() if set(v) <= keys}
    return replace(bundled, pairs=pairs, presets=presets, boards={}, scoreboard=None)


def wide_universe(closes: pd.DataFrame, seed: int = SEED) -> Universe:
    """The bundled universe widened to every column of ``closes``.

    Members (strength quadrant against the benchmark): every symbol except the benchmark.
    Pairs: the bundled 7 plus SYNTHETIC_PAIRS synthetic symbols against the benchmark, plus
    SYNTHETIC_BASKETS equal-weight baskets of BASKET_SIZE synthetic symbols against the
    benchmark (52 pairs at full size; fewer on small frames so the picks stay distinct).
    Presets (what /rotation shows) stay the bundled ones.
    """
    bundled = _base_universe(load_universe(), set(closes.columns))
    rng = np.random.default_rng(seed + 1)
    synthetic = [c for c in closes.columns if c.startswith("X")]
    n_pairs = min(SYNTHETIC_PAIRS, len(synthetic) // 2)
    size = min(BASKET_SIZE, len(synthetic) // (2 * SYNTHETIC_BASKETS))
    picks = rng.choice(len(synthetic), n_pairs + SYNTHETIC_BASKETS * size, replace=False)
    chosen = [synthetic[i] for i in picks]
    bench = bundled.benchmark
    baskets = [
        BasketSpec(f"SYN_BASKET_{k + 1}", f"Synthetic basket {k + 1}",
                   tuple(chosen[n_pairs + k * size :][:size]))
        for k in range(SYNTHETIC_BASKETS)
    ]  # fmt: skip
    pairs = [
        *bundled.pairs,
        *(PairSpec(s, bench, f"{s} vs {bench}") for s in chosen[:n_pairs]),
        *(PairSpec(b.name, bench, f"{b.label} vs {bench}") for b in baskets),
    ]
    members = tuple(c for c in closes.columns if c != bench)
    return Universe(
        pairs=tuple(pairs),
        baskets=(*bundled.baskets, *baskets),
        headline=bundled.headline,
        context=bundled.context,
        members=members,
        benchmark=bench,
        lead_pair=bundled.lead_pair,
        breadth_pairs=bundled.breadth_pairs,
        presets=bundled.presets,
        quadrant=bundled.quadrant,
    )


@dataclass(frozen=True)
class BenchData:
    """The extended close frame, its universe and the snapshot date."""

    closes: pd.DataFrame
    universe: Universe
    asof: dt.date


def bench_data(symbols: int = SYMBOLS, sessions: int = SESSIONS, seed: int = SEED) -> BenchData:
    """Everything the analytics benchmarks need, deterministic for the seed."""
    closes = extend_closes(real_closes(), symbols, sessions, seed)
    return BenchData(closes, wide_universe(closes, seed), closes.index[-1].date())
