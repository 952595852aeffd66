"""What the Mini App's JSON API answers: typed views built from the bot's own query functions.

The board, a pair and the strength quadrant are read through ``bot.queries.readapi`` (the functions
``/rotation``, ``/pair`` and ``/quadrant`` use), so every number is the one the chat shows;
the page only formats and draws them. Every answer carries ``asof``, the session it is as of.
Units are those of ``analytics.types``: returns and distances are fractions, spreads pp.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from analytics.serde import to_jsonable
from analytics.types import HORIZONS, PairStats, QuadrantParams, QuadrantTrail, Snapshot
from bot.commands.registry import UserError
from bot.handlers.market import parse_pair
from bot.handlers.sectors import sector_board
from bot.queries.readapi import pair_view, require_stored, snapshot_for, watch_view
from bot.render.rotation import HEADLINE_NAMES, leader
from bot.services import Services
from jobs.fanout import chat_pairs
from storage.subscriptions import chat_subscriptions

#: Chart horizons of the pair view: sessions shown (None = every stored session).
CHART_HORIZONS: dict[str, int | None] = {"3m": 63, "6m": 126, "1y": 252, "2y": 504, "all": None}
DEFAULT_CHART_HORIZON = "1y"
PAIR_USAGE = "api/pair?pair=A/B&horizon=3m|6m|1y|2y|all"
#: universe: the members (as /quadrant); sectors: the sector board (as /sectors); watch: the
#: viewer's chat's watchlist against its benchmark (as /watch).
QUADRANT_SETS = ("universe", "sectors", "watch")
#: The set that is one chat's own: never kept in the per-session answer cache.
CHAT_SET = "watch"
#: Chart points travel with this many significant digits (a pixel is far coarser).
CHART_DIGITS = 6


@dataclass(frozen=True)
class RegimeView:
    """Who leads a pair: ``leader`` None before the first confirmed regime."""

    leader: str | None
    since: dt.date | None
    sessions: int
    pending: int
    pending_toward: str | None
    confirm: int
    window: int
    band: float | None
    scaled: bool


@dataclass(frozen=True)
class PairSummary:
    """One pair's figures as ``/rotation`` and ``/pair`` show them (``fresh``: both legs
    closed on ``asof``; otherwise the figures are as of ``last_date``)."""

    key: str
    a: str
    b: str
    label: str
    last_date: dt.date
    fresh: bool
    regime: RegimeView
    spreads_pp: dict[str, float | None]
    ratio: float
    ratio_vs_trend: float | None
    ratio_vs_trend200: float | None
    stretch_z: float | None
    stretched: bool
    mixed_basis: bool
    quadrant: str | None
    gaps: dict[str, int]


@dataclass(frozen=True)
class Headline:
    """A headline index: its returns per horizon (fractions) and its own last close."""

    symbol: str
    name: str
    returns: dict[str, float | None]
    last_date: dt.date | None


@dataclass(frozen=True)
class Board:
    """The ``/rotation`` scoreboard."""

    asof: dt.date
    horizons: tuple[str, ...]
    lead_pair: str
    headline: tuple[Headline, ...]
    pairs: tuple[PairSummary, ...]
    themes_favouring_challenger: int
    themes_total: int
    breadth: str | None
    breadth_confirmation: str | None
    stale: tuple[str, ...]


@dataclass(frozen=True)
class FlipMark:
    """A confirmed flip: the session and the symbol that took the lead."""

    date: dt.date
    leader: str


@dataclass(frozen=True)
class PairSeries:
    """Chart columns, one entry per session where both legs closed: the ratio, its trend,
    the band's edges and the regime (1 = A leads, -1 = B leads, 0 = none yet)."""

    dates: tuple[str, ...]
    ratio: tuple[float | None, ...]
    trend: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    lower: tuple[float | None, ...]
    state: tuple[int, ...]


@dataclass(frozen=True)
class PairAnswer:
    """``/pair``: the pair's figures, its chart series over ``horizon`` and the flips in it."""

    asof: dt.date
    horizon: str
    horizons: tuple[str, ...]
    in_universe: bool
    stats: PairSummary
    series: PairSeries
    flips: tuple[FlipMark, ...]


@dataclass(frozen=True)
class Quadrant:
    """The strength quadrant of a set against ``benchmark`` (``/quadrant``)."""

    asof: dt.date
    set: str
    benchmark: str
    ema: int
    momentum_shift: int
    tail_weeks: int
    trails: tuple[QuadrantTrail, ...]
    #: Members whose last close is before ``asof`` (the chat's watchlist: as /watch lists
    #: them), with that close (None: never).
    late: tuple[LateSymbol, ...] = ()


@dataclass(frozen=True)
class LateSymbol:
    symbol: str
    last_date: dt.date | None


@dataclass(frozen=True)
class SubscriptionView:
    target: str
    kind: str


@dataclass(frozen=True)
class Subscriptions:
    """What the viewer's chat follows (``/subscriptions``), read-only."""

    asof: dt.date | None
    chat: Literal["private", "group"]
    subscriptions: tuple[SubscriptionView, ...]
    pairs: tuple[str, ...]


# -- builders ----------------------------------------------------------------------------


def summary(stats: PairStats, snap_session: dt.date) -> PairSummary:
    """A pair's figures, unchanged from the PairStats the chat answers use."""
    regime = stats.regime
    toward = None
    if regime.pending and regime.pending_side is not None:
        toward = stats.a if regime.pending_side == "A" else stats.b
    return PairSummary(
        key=stats.key,
        a=stats.a,
        b=stats.b,
        label=stats.label,
        last_date=stats.last_date,
        fresh=stats.last_date >= snap_session,
        regime=RegimeView(
            leader=leader(stats),
            since=regime.since,
            sessions=regime.sessions,
            pending=regime.pending,
            pending_toward=toward,
            confirm=regime.confirm,
            window=regime.window,
            band=regime.band,
            scaled=regime.scaled,
        ),
        spreads_pp=dict(stats.spreads_pp),
        ratio=stats.ratio,
        ratio_vs_trend=stats.ratio_vs_trend,
        ratio_vs_trend200=stats.ratio_vs_trend200,
        stretch_z=stats.stretch_z,
        stretched=stats.stretched,
        mixed_basis=stats.mixed_basis,
        quadrant=stats.quadrant,
        gaps=dict(stats.gaps),
    )


def _board_keys(snap: Snapshot) -> list[str]:
    """The pairs in the order ``/rotation`` lists them (preset members, first seen)."""
    keys = list(dict.fromkeys(k for ks in snap.presets.values() for k in ks)) or list(snap.pairs)
    return [k for k in keys if k in snap.pairs]


async def board(services: Services, asof: dt.date | None = None) -> Board:
    """The scoreboard of the latest stored session (<= ``asof``)."""
    snap = await snapshot_for(services, asof)
    headline = []
    for symbol in services.universe.headline:
        stats = snap.symbols.get(symbol)
        headline.append(
            Headline(
                symbol=symbol,
                name=HEADLINE_NAMES.get(symbol, symbol),
                returns=dict(stats.returns) if stats else dict.fromkeys(HORIZONS),
                last_date=stats.last_date if stats else None,
            )
        )
    return Board(
        asof=snap.session,
        horizons=HORIZONS,
        lead_pair=snap.lead_pair,
        headline=tuple(headline),
        pairs=tuple(summary(snap.pairs[k], snap.session) for k in _board_keys(snap)),
        themes_favouring_challenger=snap.scoreboard.themes_favouring_challenger,
        themes_total=snap.scoreboard.themes_total,
        breadth=snap.breadth.state,
        breadth_confirmation=snap.breadth.confirmation,
        stale=snap.stale,
    )


def parse_chart_horizon(text: str | None) -> str:
    """A chart horizon of CHART_HORIZONS (default 1y); UserError naming them otherwise."""
    horizon = (text or DEFAULT_CHART_HORIZON).strip().lower()
    if horizon not in CHART_HORIZONS:
        shown = horizon[:12]
        raise UserError(
            f"Unknown horizon “{shown}”; use one of {', '.join(CHART_HORIZONS)}.", PAIR_USAGE
        )
    return horizon


async def pair(
    services: Services, text: str | None, horizon_text: str | None, asof: dt.date | None = None
) -> PairAnswer:
    """``/pair`` for "A/B" over a chart horizon: the same parsing, checks and figures."""
    if not text:
        raise UserError("Which pair? For example pair=IWM/SPY.", PAIR_USAGE)
    horizon = parse_chart_horizon(horizon_text)
    a, b, _ = parse_pair(services, text[:64], PAIR_USAGE)
    a, b = require_stored(services, [a, b], PAIR_USAGE)
    view = await pair_view(services, a, b, asof, sessions=CHART_HORIZONS[horizon])
    series = view.series
    first = series.index[0].date() if len(series) else view.session
    shown = [f for f in view.stats.flips if f.date >= first]
    flips = tuple(FlipMark(f.date, a if f.direction == "A" else b) for f in shown)
    return PairAnswer(
        asof=view.session,
        horizon=horizon,
        horizons=tuple(CHART_HORIZONS),
        in_universe=view.in_universe,
        stats=summary(view.stats, view.session),
        series=chart_columns(series),
        flips=flips,
    )


def _rounded(values: Sequence[float]) -> tuple[float | None, ...]:
    return tuple(
        float(f"{v:.{CHART_DIGITS}g}") if v is not None and math.isfinite(v) else None
        for v in values
    )


def chart_columns(series: pd.DataFrame) -> PairSeries:
    """``pair_series`` columns as the chart draws them."""
    dates = pd.DatetimeIndex(series.index)
    return PairSeries(
        dates=tuple(d.date().isoformat() for d in dates),
        ratio=_rounded(series["ratio"].tolist()),
        trend=_rounded(series["trend"].tolist()),
        upper=_rounded(series["upper"].tolist()),
        lower=_rounded(series["lower"].tolist()),
        state=tuple(int(s) for s in series["state"].tolist()),
    )


def quadrant_set(which: str | None) -> str:
    """The set a quadrant request names (default universe); UserError naming them otherwise."""
    name = (which or "universe").strip().lower()
    if name not in QUADRANT_SETS:
        raise UserError(
            f"Unknown set “{name[:16]}”; use one of {', '.join(QUADRANT_SETS)}.",
            "api/quadrant?set=" + "|".join(QUADRANT_SETS),
        )
    return name


def _quadrant(
    asof: dt.date,
    name: str,
    benchmark: str,
    params: QuadrantParams,
    trails: Iterable[QuadrantTrail | None],
    late: Iterable[LateSymbol] = (),
) -> Quadrant:
    """A Quadrant of the ``trails`` (rows without one left out), drawn with ``params``; a name
    without a current point has no trail (``analytics.snapshot.quadrant_tails``)."""
    return Quadrant(
        asof=asof,
        set=name,
        benchmark=benchmark,
        ema=params.ema,
        momentum_shift=params.momentum_shift,
        tail_weeks=params.tail_weeks,
        trails=tuple(t for t in trails if t is not None),
        late=tuple(late),
    )


async def watch_quadrant(services: Services, chat_id: int, asof: dt.date | None = None) -> Quadrant:
    """The chat's watchlist on the quadrant (``/watch``: the same board, the same numbers);
    no trails when the list is empty."""
    view = await watch_view(services, chat_id, asof)
    rows = view.board.rows if view.board is not None else ()
    late = (
        LateSymbol(r.symbol, r.last_date)
        for r in rows
        if r.last_date is None or r.last_date < view.session
    )
    return _quadrant(
        view.session, CHAT_SET, view.benchmark, view.params, (r.trail for r in rows), late
    )


async def quadrant(services: Services, which: str | None, asof: dt.date | None = None) -> Quadrant:
    """The strength quadrant of ``which``: ``universe`` (the members, as ``/quadrant``) or
    ``sectors`` (the sector board's members, as ``/sectors``); the chat's ``watch`` set is
    ``watch_quadrant``."""
    name = quadrant_set(which)
    if name == CHAT_SET:
        raise UserError("The watchlist is a chat's own; ask it with the chat.")
    snap = await snapshot_for(services, asof)
    params = snap.quadrant_params
    if name == "sectors":
        board = sector_board(snap, "api/quadrant?set=sectors")
        trails = (r.trail for r in board.rows)
        return _quadrant(board.session, name, board.benchmark, params, trails)
    members = (t for k, t in snap.quadrants.items() if "/" not in k)
    return _quadrant(snap.session, name, services.universe.benchmark, params, members)


async def subscriptions(
    services: Services, chat_id: int, chat: Literal["private", "group"]
) -> Subscriptions:
    """What ``chat_id`` follows and the pairs that covers (as ``/subscriptions``)."""
    subs = chat_subscriptions(services.db, chat_id)
    try:
        session: dt.date | None = (await snapshot_for(services, None)).session
    except UserError:
        session = None
    return Subscriptions(
        asof=session,
        chat=chat,
        subscriptions=tuple(SubscriptionView(s.target, s.kind) for s in subs),
        pairs=tuple(chat_pairs(subs, services.universe)),
    )


def dumps(answer: object) -> str:
    """The JSON text of an answer (compact; dates ISO, NaN as null)."""
    return json.dumps(to_jsonable(answer), separators=(",", ":"), ensure_ascii=False)
