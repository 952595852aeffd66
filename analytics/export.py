"""Tables for CSV export: one row per session of a pair or of one symbol (pure, no I/O).

A pair table has the legs' levels (stored closes, or a basket's index level), the ratio
R = A / B, the regime trend and its bands (as in ``pair_series``) and who leads. A symbol table
has the close and its 1-session return. Values are the float64 numbers the analytics use,
unrounded: written with Python's shortest round-trip repr they read back exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from analytics.constants import YEAR_SESSIONS
from analytics.pairs import leg_levels, pair_series
from analytics.types import PairSpec, Universe

#: Sessions in "1y"; "all" keeps every stored session up to MAX_ROWS.
#: The most rows an export holds (about 20 years of sessions): the newest ones are kept.
MAX_ROWS = 5000
RANGES = ("1y", "all")


def _rows(span: str) -> int:
    if span not in RANGES:
        raise ValueError(f"unknown range {span!r}")
    return YEAR_SESSIONS if span == "1y" else MAX_ROWS


def _dates(index: pd.Index) -> list[str]:
    return [stamp.date().isoformat() for stamp in pd.DatetimeIndex(index)]


def pair_table(
    closes: pd.DataFrame,
    spec: PairSpec,
    universe: Universe | None,
    asof: dt.date,
    span: str = "1y",
) -> pd.DataFrame:
    """Per session where both legs closed (<= asof), newest ``span`` rows, oldest first.

    Columns: date, <A>, <B>, ratio, trend, band, upper, lower, regime (the leading symbol, empty
    before the first confirmed regime). The trend and bands are computed on the whole history,
    so the first exported row has the same values as in the bot's chart.
    """
    series = pair_series(closes, spec, asof, universe)
    levels = leg_levels(closes, [spec.a, spec.b], universe, asof).loc[series.index]
    names = {1: spec.a, -1: spec.b}
    table = pd.DataFrame(
        {
            "date": _dates(series.index),
            spec.a: levels[spec.a].to_numpy(dtype="float64"),
            spec.b: levels[spec.b].to_numpy(dtype="float64"),
            "ratio": series["ratio"].to_numpy(dtype="float64"),
            "trend": series["trend"].to_numpy(dtype="float64"),
            "band": series["band"].to_numpy(dtype="float64"),
            "upper": series["upper"].to_numpy(dtype="float64"),
            "lower": series["lower"].to_numpy(dtype="float64"),
            "regime": [names.get(int(s), "") for s in series["state"]],
        }
    )
    return table.tail(_rows(span)).reset_index(drop=True)


def symbol_table(
    closes: pd.DataFrame,
    symbol: str,
    universe: Universe | None,
    asof: dt.date,
    span: str = "1y",
) -> pd.DataFrame:
    """Per session with a close (<= asof), newest ``span`` rows, oldest first.

    Columns: date, close (a basket's index level for a basket), return_1d (close over the
    previous close, minus 1; empty on the first session).
    """
    series = leg_levels(closes, [symbol], universe, asof)[symbol].dropna()
    table = pd.DataFrame(
        {
            "date": _dates(series.index),
            "close": series.to_numpy(dtype="float64"),
            "return_1d": (series / series.shift(1) - 1.0).to_numpy(dtype="float64"),
        }
    )
    return table.tail(_rows(span)).reset_index(drop=True)


#: (symbol, ISO date, stored source, stored close, other source, other close)
Disagreement = tuple[str, str, str, float, str, float]


def with_sources(
    table: pd.DataFrame,
    names: Sequence[str],
    sources: Mapping[str, Mapping[str, str]],
    disagreements: Sequence[Disagreement] = (),
) -> pd.DataFrame:
    """``table`` with where each row's closes came from, and the other sources' closes.

    One name: a column ``source``; a pair: ``source_<A>`` and ``source_<B>`` (empty for a
    basket, which is computed). ``disagreement``: on a session where another source's close
    was more than 0.5 % from the stored one, ``<symbol> <source> <close>`` (several joined
    by "; "), else empty.
    """
    out = table.copy()
    dates = [str(d) for d in out["date"]]
    for name in names:
        column = "source" if len(names) == 1 else f"source_{name}"
        by_date = sources.get(name, {})
        out[column] = [by_date.get(d, "") for d in dates]
    notes: dict[str, list[str]] = {}
    wanted = set(names)
    for symbol, day, _stored_source, _stored, other_source, other_close in disagreements:
        if symbol in wanted:
            notes.setdefault(day, []).append(f"{symbol} {other_source} {other_close!r}")
    out["disagreement"] = ["; ".join(notes.get(d, [])) for d in dates]
    return out
