"""Build the Snapshot: every number of the universe as of one session, computed once.

Also the breadth verdict, the scoreboard and member strength quadrants. Entry points:
``build_snapshot``, ``quadrant_tails``; re-exports ``symbol_stats`` and ``pair_stats`` for
ad-hoc queries on any symbols.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Literal

import pandas as pd

from analytics.baskets import basket_index
from analytics.boards import board_stats
from analytics.frames import last_session, opt, to_date, upto
from analytics.pairs import (
    leg_levels,
    pair_frames,
    pair_history,
    pair_stats,
    stats_on_or_before,
)
from analytics.quadrant import quadrant_trails
from analytics.returns import all_symbol_stats, horizon_returns, symbol_stats
from analytics.types import (
    HORIZONS,
    BasketSpec,
    BasketStats,
    BoardStats,
    Breadth,
    PairSpec,
    PairStats,
    QuadrantParams,
    QuadrantTrail,
    Scoreboard,
    Side,
    Snapshot,
    Universe,
    UnknownSymbol,
)

__all__ = ["build_snapshot", "pair_stats", "quadrant_tails", "symbol_stats"]

DEFAULT_QUADRANT = QuadrantParams()


def quadrant_tails(
    closes: pd.DataFrame,
    symbols: Sequence[str],
    benchmark: str,
    asof: dt.date,
    params: QuadrantParams = DEFAULT_QUADRANT,
    universe: Universe | None = None,
) -> dict[str, QuadrantTrail]:
    """Strength-quadrant trails of each symbol (or basket of ``universe``) against
    ``benchmark``; names without data are left out. Ratios use sessions where both the
    name and the benchmark closed."""
    cut = upto(closes, asof)
    names = [
        s
        for s in dict.fromkeys(symbols)
        if s != benchmark
        and ((universe is not None and universe.basket(s) is not None) or s in cut.columns)
    ]
    if benchmark not in cut.columns or not names:
        return {}
    baskets = [s for s in names if universe is not None and universe.basket(s) is not None]
    plain = [s for s in names if s not in baskets]
    levels = cut[plain]
    built = [_basket_levels(cut, name, universe, asof) for name in baskets]
    found = [frame for frame in built if frame is not None]
    if found:  # basket levels are built; plain symbols are a cheap column slice
        levels = pd.concat([levels, *found], axis=1)
    has_data = levels.notna().any()
    present = [s for s in names if s in has_data.index and bool(has_data[s])]
    ratio = levels[present].div(cut[benchmark], axis=0)
    trails = quadrant_trails(ratio, [benchmark] * len(present), params)
    return {k: v for k, v in trails.items() if v.current is not None}


def _basket_levels(
    closes: pd.DataFrame, name: str, universe: Universe | None, asof: dt.date
) -> pd.DataFrame | None:
    """A basket's level as a one-column frame, or None when none of its members has data."""
    try:
        return leg_levels(closes, [name], universe, asof)
    except UnknownSymbol:
        return None


def basket_stats(closes: pd.DataFrame, universe: Universe, asof: dt.date) -> dict[str, BasketStats]:
    """BasketStats per basket of the universe with data (``basket_stat`` of each)."""
    out: dict[str, BasketStats] = {}
    for basket in universe.baskets:
        found = basket_stat(closes, basket, asof)
        if found is not None:
            out[basket.name] = found
    return out


def basket_stat(closes: pd.DataFrame, basket: BasketSpec, asof: dt.date) -> BasketStats | None:
    """One basket's coverage on ``asof``'s session (members with a close that session), level
    and returns as of its last level (fractions); None when no member has data. The bundled
    baskets and every chat's own baskets are described by this one function."""
    cut = upto(closes, asof)
    if cut.empty:
        return None
    session = cut.index[-1]
    try:
        level, coverage = basket_index(closes, basket, asof)
    except UnknownSymbol:
        return None
    valid = level.dropna()
    last = valid.index[-1] if len(valid) else None
    returns = horizon_returns(level.to_frame(), asof).iloc[0]
    row = cut.loc[session]
    missing = tuple(m for m in basket.members if m not in cut.columns or pd.isna(row[m]))
    return BasketStats(
        name=basket.name,
        label=basket.label,
        members=basket.members,
        coverage=int(coverage[session]),
        size=len(basket.members),
        missing=missing,
        level=None if last is None else opt(level[last]),
        returns={h: None if last is None else opt(returns[h]) for h in HORIZONS},
        last_date=None if last is None else to_date(last),
        min_members=basket.min_members,
    )


def breadth_of(pairs: Mapping[str, PairStats], universe: Universe) -> Breadth:
    """Participation from the equal-weight pair; confirmation of the lead pair's regime."""
    return breadth_from({k: p.regime.state for k, p in pairs.items()}, universe)


def breadth_from(states: Mapping[str, Side | None], universe: Universe) -> Breadth:
    """``breadth_of`` from the regime state of each pair that has stats (keyed by pair key):
    all the breadth reads."""
    lead_state = states.get(universe.lead_pair)
    key = universe.participation_pair
    present = key is not None and key in states
    side = states.get(key) if key is not None else None
    state: Literal["broad", "narrow"] | None = {"A": "broad", "B": "narrow"}.get(side or "")  # type: ignore[assignment]
    detail: dict[str, str | None] = {}
    for k in dict.fromkeys((*([key] if key else []), *universe.breadth_pairs, universe.lead_pair)):
        detail[k] = states.get(k)
    confirm = tuple(dict.fromkeys((*universe.breadth_pairs, universe.lead_pair)))
    breadth = Breadth(
        state=state,
        participation_pair=key if present else None,
        lead_pair=universe.lead_pair,
        lead_state=lead_state,
        confirmation=None,
        detail=detail,
        confirm_pairs=confirm if universe.breadth_pairs else (),
    )
    return replace(breadth, confirmation=breadth.confirms(lead_state))


def _counts(pairs: Mapping[str, PairStats], keys: Sequence[str]) -> tuple[int, ...]:
    present = [pairs[k] for k in keys if k in pairs]
    with_regime = [p for p in present if p.regime.state is not None]
    return len([p for p in with_regime if p.regime.state == "A"]), len(with_regime)


def _horizons(pairs: Mapping[str, PairStats], keys: Sequence[str]) -> tuple[dict[str, int], ...]:
    favour: dict[str, int] = {}
    total: dict[str, int] = {}
    for h in HORIZONS:
        spreads = [pairs[k].spreads_pp[h] for k in keys if k in pairs]
        known = [s for s in spreads if s is not None]
        favour[h] = sum(1 for s in known if s > 0)
        total[h] = len(known)
    return favour, total


def scoreboard_of(
    pairs: Mapping[str, PairStats],
    prev: Mapping[str, PairStats] | None,
    keys: Sequence[str],
    prev_session: dt.date | None,
    heads: Sequence[str] | None = None,
) -> Scoreboard:
    """Count themes (``heads``, default every key) and horizons favouring the challenger now
    and one session earlier; ``changed_pairs`` covers every key."""
    counted = list(heads) if heads is not None else list(keys)
    favouring, total = _counts(pairs, counted)
    per, per_total = _horizons(pairs, counted)
    horizons_with_data = [h for h in HORIZONS if per_total[h] > 0]
    majority = sum(1 for h in horizons_with_data if per[h] * 2 > per_total[h])
    prev_fav = prev_major = None
    changed: tuple[str, ...] = ()
    if prev is not None:
        prev_fav = _counts(prev, counted)[0]
        p_per, p_total = _horizons(prev, counted)
        prev_major = sum(1 for h in HORIZONS if p_total[h] > 0 and p_per[h] * 2 > p_total[h])
        changed = tuple(
            k for k in keys if k in pairs and k in prev
            and pairs[k].regime.state != prev[k].regime.state
        )  # fmt: skip
    return Scoreboard(
        themes_favouring_challenger=favouring,
        themes_total=total,
        horizons_favouring=majority,
        horizons_total=len(horizons_with_data),
        per_horizon=per,
        per_horizon_total=per_total,
        prev_session=prev_session,
        prev_themes_favouring_challenger=prev_fav,
        prev_horizons_favouring=prev_major,
        changed_pairs=changed,
        themes=tuple(k for k in counted if k in pairs),
    )


def usable_pairs(closes: pd.DataFrame, universe: Universe, asof: dt.date) -> list[PairSpec]:
    """Pair specs whose legs all have data (others are reported as missing symbols)."""
    usable = []
    for spec in universe.pairs:
        try:
            leg_levels(closes, [spec.a, spec.b], universe, asof)
        except UnknownSymbol:
            continue
        usable.append(spec)
    return usable


def build_snapshot(closes: pd.DataFrame, universe: Universe, asof: dt.date) -> Snapshot:
    """Every number of the universe as of the last session <= asof (closes are not changed).

    Raise UnknownSymbol('*') when the frame has no row on or before ``asof``.
    """
    session = last_session(closes, asof)
    cut = upto(closes, asof)
    wanted = universe.all_symbols()
    symbols = all_symbol_stats(cut, wanted, session)
    specs = usable_pairs(cut, universe, session)
    history = pair_history(cut, specs, universe, session, universe.quadrant)
    pairs = stats_on_or_before(history, session)
    prev_session = cut.index[-2].date() if len(cut) > 1 else None
    prev = stats_on_or_before(history, prev_session) if prev_session is not None else None
    keys = _scoreboard_keys(universe)
    stale_pairs = stale_pairs_of([spec.key for spec in universe.pairs], pairs, session)
    fresh = {k: v for k, v in pairs.items() if k not in stale_pairs}
    prev_fresh = (
        {k: v for k, v in prev.items() if v.last_date == prev_session} if prev is not None else None
    )
    fresh_keys = [k for k in keys if k not in stale_pairs]
    heads = theme_heads(universe, fresh_keys)
    covered = {universe.pair(h).theme_key for h in heads}
    excluded = tuple(
        k for k in keys if k in stale_pairs and universe.pair(k).theme_key not in covered
    )
    quadrants = quadrant_tails(
        cut, universe.members, universe.benchmark, session, universe.quadrant, universe
    )
    quadrants.update(_pair_trails(cut, specs, universe, session))
    return Snapshot(
        asof=asof,
        session=session,
        symbols=symbols,
        pairs=pairs,
        baskets=basket_stats(cut, universe, session),
        breadth=fresh_breadth(breadth_of(fresh, universe), stale_pairs),
        scoreboard=replace(
            scoreboard_of(fresh, prev_fresh, fresh_keys, prev_session, heads), excluded=excluded
        ),
        quadrants=quadrants,
        quadrant_params=universe.quadrant,
        presets=universe.scoreboard_presets(),
        lead_pair=universe.lead_pair,
        stale=tuple(s for s, st in symbols.items() if st.last_date < session),
        missing=tuple(s for s in wanted if s not in symbols),
        stale_pairs=stale_pairs,
        boards=boards_of(cut, universe, session),
    )


def stale_pairs_of(
    keys: Sequence[str], pairs: Mapping[str, PairStats], session: dt.date
) -> dict[str, dt.date | None]:
    """The pairs of ``keys`` without a value on ``session`` (a leg, or too few of a basket's
    members, did not close), with their last common close (None: never). No alert is
    computed on them that session; the universe's pairs and the chats' own alike."""
    return {
        key: pairs[key].last_date if key in pairs else None
        for key in keys
        if key not in pairs or pairs[key].last_date < session
    }


def boards_of(closes: pd.DataFrame, universe: Universe, asof: dt.date) -> dict[str, BoardStats]:
    """Every board of the universe as of ``asof`` (members' trails from ``quadrant_tails``,
    the function /quadrant uses)."""
    out: dict[str, BoardStats] = {}
    for name, board in universe.boards.items():
        trails = quadrant_tails(
            closes, board.symbols, board.benchmark, asof, universe.quadrant, universe
        )
        out[name] = board_stats(closes, board, asof, trails, universe.quadrant)
    return out


def fresh_breadth(breadth: Breadth, stale_pairs: Collection[str]) -> Breadth:
    """Breadth read from the pairs that closed on the session: stale ones are named in
    ``excluded`` and confirm nothing either way (the lead pair stale: no confirmation)."""
    involved = (*breadth.detail, *breadth.confirm_pairs)
    excluded = tuple(k for k in dict.fromkeys(involved) if k in stale_pairs)
    if not excluded:
        return breadth
    confirm = tuple(k for k in breadth.confirm_pairs if k not in stale_pairs)
    if breadth.lead_pair in stale_pairs or confirm == (breadth.lead_pair,):
        confirm = ()
    out = replace(breadth, confirm_pairs=confirm, excluded=excluded)
    return replace(out, confirmation=out.confirms(out.lead_state))


def _scoreboard_keys(universe: Universe) -> list[str]:
    """Scoreboard presets' pairs (first-seen order), or all pairs when there is no preset."""
    keys = [k for ks in universe.scoreboard_presets().values() for k in ks]
    return list(dict.fromkeys(keys)) or [p.key for p in universe.pairs]


def theme_heads(universe: Universe, keys: Sequence[str]) -> list[str]:
    """One pair per theme among ``keys``: the theme's head pair when listed, else its first."""
    chosen: dict[str, str] = {}
    for key in keys:
        theme = universe.pair(key).theme_key
        if theme not in chosen or key == theme:
            chosen[theme] = key
    return list(chosen.values())


def _pair_trails(
    closes: pd.DataFrame, specs: list[PairSpec], universe: Universe, asof: dt.date
) -> dict[str, QuadrantTrail]:
    """Quadrant trails of each pair's ratio (A against B), keyed by pair key."""
    if not specs:
        return {}
    frames = pair_frames(closes, specs, universe, asof)
    trails = quadrant_trails(frames.ratio, [s.b for s in specs], universe.quadrant)
    return {k: v for k, v in trails.items() if v.current is not None}
