"""What chat commands read: stored prices and snapshots, shaped into views (never Yahoo).

Every function takes ``asof`` (None = the latest stored session) and raises UserError for
problems the user can fix, NotStored for symbols worth fetching in the background.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd

from analytics.constants import YEAR_SESSIONS
from analytics.custom import watch_board
from analytics.pairs import compute_pairs, leg_levels, pair_series
from analytics.returns import series_kind
from analytics.snapshot import basket_stat, build_snapshot, symbol_stats
from analytics.types import (
    BasketStats,
    PairSpec,
    PairStats,
    Snapshot,
    Universe,
    UnknownSymbol,
)
from bot.commands.registry import UserError
from bot.queries.fetcher import FetchFailure, NotStored, close_matches
from bot.services import Services
from bot.views import PairView, TickerView, WatchView
from jobs.custom import basket_spec
from jobs.daily import own_pair_reads
from market.symbols import SYMBOL_HELP, InvalidSymbol, normalize_symbol, resolve_alias
from market.universe import universe_hash
from storage.chats import get_chat
from storage.custom import ChatBasket, chat_baskets, watchlist
from storage.prices import (
    last_dates,
    latest_date,
    load_closes,
    nth_session,
    session_count,
    stored_span,
)
from storage.snapshots import load_snapshot

CHART_SESSIONS = YEAR_SESSIONS
AVERAGE_SESSIONS = 50  # extra history so the chart's average starts on its first day
# Answers need a week of closes: before that there is no return but 1D, no range, no regime.
MIN_SESSIONS = 6


class NoData(UserError):
    """No prices stored at all (or none on or before ``asof``)."""


def latest_session(services: Services, asof: dt.date | None) -> dt.date:
    """The newest stored session (universe symbols) on or before ``asof``."""
    symbols = list(services.universe.all_symbols())
    latest = latest_date(services.db, symbols, asof)
    if latest is not None:
        return latest
    stored = stored_span(services.db, symbols)
    if asof is None or stored is None:
        raise NoData("No prices stored yet. Run: rotation-bot prices update")
    first, last = stored
    raise NoData(
        f"No prices stored on or before {asof.isoformat()}: the stored sessions run from "
        f"{first.isoformat()} to {last.isoformat()}."
    )


def require_history(services: Services, session: dt.date) -> None:
    """NoData ("not enough history") when fewer than MIN_SESSIONS sessions are stored up to
    ``session``: the very first sessions have no returns, ranges or regimes worth showing."""
    symbols = list(services.universe.all_symbols())
    count, first = session_count(services.db, symbols, session)
    if count >= MIN_SESSIONS:
        return
    enough = nth_session(services.db, symbols, MIN_SESSIONS)
    hint = f" The first session with enough is {enough.isoformat()}." if enough else ""
    raise NoData(
        f"Not enough history as of {session.isoformat()}: {count} stored session"
        f"{'' if count == 1 else 's'} since {first}, and answers need {MIN_SESSIONS}.{hint}"
    )


def universe_closes(services: Services, session: dt.date) -> pd.DataFrame:
    """Closes of every universe symbol up to ``session`` (cached; callers must not mutate)."""
    key = ("closes", session)
    found = services.snapshots.get_or_none(key)
    if isinstance(found, pd.DataFrame):
        return found
    frame = load_closes(services.db, list(services.universe.all_symbols()), end=session)
    services.snapshots.put(key, frame)
    return frame


async def snapshot_for(services: Services, asof: dt.date | None) -> Snapshot:
    """The snapshot of the latest stored session <= asof: stored, cached, or built now."""
    session = latest_session(services, asof)
    fingerprint = universe_hash(services.universe)
    key = ("snapshot", session, fingerprint)
    found = services.snapshots.get_or_none(key)
    if isinstance(found, Snapshot):
        return found
    stored = load_snapshot(services.db, session, fingerprint)
    if stored is not None:
        snap = Snapshot.from_dict(stored)
    else:
        require_history(services, session)
        closes = universe_closes(services, session)
        snap = await asyncio.to_thread(build_snapshot, closes, services.universe, session)
    services.snapshots.put(key, snap)
    return snap


async def chat_snapshot(services: Services, snap: Snapshot, chat_id: int) -> Snapshot:
    """``snap`` with the pairs naming this chat's own baskets (``/subscribe BANKS/SPY``),
    read and computed by the daily pass's own code for this chat alone
    (``jobs.daily.own_pair_reads``; stored closes only): what the chat's digest reads, stale
    pairs with their last close included."""
    reads = own_pair_reads(
        services.db, services.calendar, services.universe, snap.session, None, (), chat_id=chat_id
    )
    if not reads.wanted:
        return snap
    own = await asyncio.to_thread(reads.compute)
    return own.joined(snap)


# -- a chat's names ----------------------------------------------------------------------


def chat_universe(services: Services, chat_id: int | None) -> Universe:
    """The names a chat sees: the universe, plus that chat's own baskets (``/basket``),
    which resolve exactly as the bundled baskets do (equal weight, rebalanced daily, the
    same coverage rule). ``chat_id`` None: the universe alone."""
    uni = services.universe
    own = chat_baskets(services.db, chat_id) if chat_id is not None else []
    if not own:
        return uni
    return replace(uni, baskets=(*uni.baskets, *(basket_spec(b) for b in own)))


def leg_id(services: Services, universe: Universe, name: str) -> str:
    """What a chart or a cached answer of ``name`` is stored under: the name, or for a chat's
    own basket its name and members (two chats' BANKS are different baskets; the same members
    draw the same chart)."""
    basket = universe.basket(name)
    if basket is None or services.universe.basket(name) is not None:
        return name
    return f"{name}[{'+'.join(basket.members)}]"


@dataclass(frozen=True)
class BasketRow:
    """One of a chat's baskets for ``/baskets``: its members and, where prices are stored,
    its coverage and level (``stats``, the bundled baskets' description)."""

    basket: ChatBasket
    stats: BasketStats | None


def chat_basket_rows(
    services: Services, chat_id: int, asof: dt.date | None
) -> tuple[list[BasketRow], dt.date | None]:
    """The chat's baskets with their coverage on the latest stored session <= asof (that
    session; None when no prices are stored)."""
    own = chat_baskets(services.db, chat_id)
    try:
        session = latest_session(services, asof)
    except NoData:
        return [BasketRow(b, None) for b in own], None
    members = list(dict.fromkeys(m for b in own for m in b.members))
    closes = load_closes(services.db, members, end=session) if members else pd.DataFrame()
    if not closes.empty:  # the session's row, even when no member closed on it (coverage 0)
        closes = closes.reindex(closes.index.union([pd.Timestamp(session)]))
    rows = [
        BasketRow(b, basket_stat(closes, basket_spec(b), session) if not closes.empty else None)
        for b in own
    ]
    return rows, session


# -- symbols -----------------------------------------------------------------------------


def require_price(symbol: str, usage: str, use: str) -> None:
    """UserError when ``symbol`` is a yield or a volatility index, a level and not a price;
    ``use`` ends the answer's sentence ("it cannot be a member")."""
    kind = series_kind(symbol)
    if kind != "price":
        what = "a yield" if kind == "yield" else "a volatility index"
        raise UserError(f"{symbol} is {what}, a level and not a price: {use}.", usage)


def parse_symbol(
    services: Services, text: str, usage: str, universe: Universe | None = None
) -> str:
    """A normalised symbol or basket name from user text (a basket of ``universe``: the
    chat's, ``chat_universe``; default the bundled ones); UserError when it is not one."""
    cleaned = "".join(ch for ch in text if ch.isprintable()).strip()
    upper = cleaned.upper()
    if (universe or services.universe).basket(upper) is not None:
        return upper
    try:
        return normalize_symbol(cleaned)
    except InvalidSymbol:
        shown = cleaned if len(cleaned) <= 20 else cleaned[:20] + "…"
        raise UserError(f"“{shown}” is not a symbol. {SYMBOL_HELP}", usage) from None


def require_stored(
    services: Services, names: list[str], usage: str, universe: Universe | None = None
) -> list[str]:
    """The names with aliases applied; NotStored / UserError for symbols without prices
    (baskets of ``universe``, default the bundled ones, are not symbols)."""
    uni = universe or services.universe
    resolved = [_alias(services, uni, n) for n in names]
    plain = [n for n in resolved if uni.basket(n) is None]
    stored = last_dates(services.db, plain)
    absent = [n for n in plain if n not in stored]
    fetcher = services.fetcher
    for name in absent:
        failure = fetcher.remembered(name)
        if failure is not None:  # a recent miss or outage: answered from memory
            raise UserError(not_found_text(services, name, failure), usage)
    if absent:
        raise NotStored(absent)
    return resolved


def _alias(services: Services, universe: Universe, name: str) -> str:
    if universe.basket(name) is not None:
        return name
    return resolve_alias(name, lambda plain: bool(last_dates(services.db, [plain])))


def not_found_text(services: Services, name: str, failure: FetchFailure | None = None) -> str:
    """Why ``name`` could not be fetched: a source outage (try later), or "not found" with
    close matches from the universe."""
    if failure is not None and failure.unreachable:
        return (
            f"{name} could not be fetched right now (the price source did not answer); try later."
        )
    matches = [m for m in close_matches(services, name) if m != name]
    hint = f" Did you mean {', '.join(matches)}?" if matches else ""
    return f"{name} was not found at the price source.{hint}"


def closes_with(
    services: Services, session: dt.date, names: list[str], universe: Universe | None = None
) -> pd.DataFrame:
    """Universe closes plus any extra stored symbols in ``names``, a basket's members
    included (baskets resolve later, through ``universe``: default the bundled ones)."""
    uni = universe or services.universe
    base = universe_closes(services, session)
    wanted: list[str] = []
    for name in names:
        basket = uni.basket(name)
        wanted += list(basket.members) if basket is not None else [name]
    extra = [n for n in dict.fromkeys(wanted) if n not in base.columns]
    if not extra:
        return base
    more = load_closes(services.db, extra, end=session)
    return base.join(more, how="outer")


# -- views -------------------------------------------------------------------------------


REFERENCES = ("SPY", "IWM")


async def ticker_view(
    services: Services, name: str, asof: dt.date | None, universe: Universe | None = None
) -> TickerView:
    """Everything /ticker shows about ``name`` (a stored symbol or a basket of ``universe``:
    the chat's, default the bundled ones)."""
    uni = universe or services.universe
    snap = await snapshot_for(services, asof)
    session = snap.session
    refs = [r for r in REFERENCES if r != name]
    closes = closes_with(services, session, [name, *refs], uni)
    try:
        levels = leg_levels(closes, [name], uni, session)
        stats = await asyncio.to_thread(symbol_stats, levels, name, session)
    except UnknownSymbol:
        raise NoData(f"No prices for {name} on or before {session.isoformat()}.") from None
    # a level (yield, volatility) is not a price: no "vs SPY" spreads in pp against it
    priced = stats.kind == "price"
    specs = [PairSpec(name, r, f"{name} vs {r}") for r in refs if priced and _has_closes(closes, r)]
    relative = await asyncio.to_thread(compute_pairs, closes, specs, uni, session)
    basket = uni.basket(name)
    own = basket is not None and services.universe.basket(name) is None  # the chat's basket
    return TickerView(
        session=session,
        stats=stats,
        label=basket.label if basket else None,
        basket=basket_stat(closes, basket, session) if own and basket else snap.baskets.get(name),
        relative={k.split("/", 1)[1]: v for k, v in relative.items()},
        roles=_roles(services, snap, name),
        in_baskets=tuple(b.name for b in uni.baskets if name in b.members),
        series=levels[name].dropna().iloc[-(CHART_SESSIONS + AVERAGE_SESSIONS) :],
    )


def _has_closes(closes: pd.DataFrame, symbol: str) -> bool:
    return symbol in closes.columns and bool(closes[symbol].notna().any())


def _roles(services: Services, snap: Snapshot, name: str) -> tuple[tuple[PairStats, str], ...]:
    """(pair, "A" or "B") for every universe pair with ``name`` (or a basket holding it) as
    a leg."""
    holders = {b.name for b in services.universe.baskets if name in b.members}
    out = []
    for stats in snap.pairs.values():
        for side, leg in (("A", stats.a), ("B", stats.b)):
            if leg == name or leg in holders:
                out.append((stats, side))
    return tuple(out)


async def pair_view(
    services: Services,
    a: str,
    b: str,
    asof: dt.date | None,
    *,
    sessions: int | None = CHART_SESSIONS,
    universe: Universe | None = None,
) -> PairView:
    """Stats and chart data of A/B (universe settings when it is a listed pair; baskets of
    ``universe``: the chat's, default the bundled ones); the series holds the last
    ``sessions`` sessions (None: every stored one)."""
    uni = universe or services.universe
    snap = await snapshot_for(services, asof)
    session = snap.session
    key = f"{a}/{b}"
    for leg in (a, b):
        kind = series_kind(leg)
        if kind != "price":
            what = "a yield in percent" if kind == "yield" else "a volatility index"
            raise UserError(
                f"{leg} is {what}, a level and not a price: a ratio or a spread against it "
                f"means nothing. Its changes are in /ticker {leg}.",
                "/pair A B",
            )
    listed = next((p for p in services.universe.pairs if p.key == key), None)
    spec = listed or PairSpec(a, b, f"{a} vs {b}")
    closes = closes_with(services, session, [a, b], uni)
    try:
        stats = snap.pairs.get(key) if listed else None
        if stats is None:
            found = await asyncio.to_thread(compute_pairs, closes, [spec], uni, session)
            stats = found[key]
        series = await asyncio.to_thread(pair_series, closes, spec, session, uni)
    except (UnknownSymbol, KeyError):
        raise NoData(f"{a} and {b} have no common closes on or before {session}.") from None
    shown = series if sessions is None else series.iloc[-sessions:]
    return PairView(session, stats, shown, listed is not None)


async def watch_view(services: Services, chat_id: int, asof: dt.date | None) -> WatchView:
    """The chat's watchlist (``/watch``) against its benchmark (default SPY) as of the
    snapshot's session, from the same closes as /sectors (so a sector watched against SPY
    shows the /sectors numbers)."""
    snap = await snapshot_for(services, asof)
    chat = get_chat(services.db, chat_id)
    benchmark = chat.watch_benchmark if chat is not None else "SPY"
    symbols = tuple(watchlist(services.db, chat_id))
    if not symbols:
        return WatchView(snap.session, benchmark, symbols, None, snap.quadrant_params)
    closes = closes_with(services, snap.session, [*symbols, benchmark])
    board = await asyncio.to_thread(
        watch_board, closes, symbols, benchmark, snap.session, snap.quadrant_params
    )
    return WatchView(snap.session, benchmark, symbols, board, snap.quadrant_params)
