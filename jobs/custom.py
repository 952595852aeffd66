"""The daily pass over chats' own baskets and watchlists: one vectorised computation for
every chat (``analytics.custom``), never one chat at a time; events for the chats that
follow their watchlist (``/subscribe watch``), folded into the day's one message; and the
pairs that name a chat's own basket (``/subscribe BANKS/SPY``, ``/alert BANKS/SPY ...``),
computed and alerted like the universe's pairs, for that chat only.

A chat's own names are scoped to it in the daily pass: its basket BANKS is the column
"chat_id:BANKS", and its pair BANKS/SPY is keyed "chat_id:BANKS/SPY" (rule state, events,
routing); what the chat reads is named as it typed it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from analytics.charts import flip_chart
from analytics.custom import (
    CUSTOM_SESSIONS,
    WATCH_BAND,
    WATCH_BOARD,
    WATCH_CONFIRM,
    basket_levels,
    watch_rows,
)
from analytics.events import Event, FlipAlert, SectorAlert
from analytics.pairs import compute_pairs, leg_total_return
from analytics.snapshot import stale_pairs_of
from analytics.types import (
    BasketSpec,
    PairSpec,
    PairStats,
    QuadrantParams,
    Snapshot,
    Universe,
)
from storage.custom import ChatBasket

#: The subscription target of a chat's watchlist alerts.
WATCH_TARGET = WATCH_BOARD


_SCOPED = re.compile(r"-?[0-9]+:")


def basket_spec(basket: ChatBasket, name: str | None = None) -> BasketSpec:
    """A chat's basket as the analytics basket (equal weight, the bundled baskets' rule),
    named ``name`` (default its own name)."""
    return BasketSpec(name=name or basket.name, label="this chat's basket", members=basket.members)


def chat_key(chat_id: int, name: str) -> str:
    """A chat's own name in the daily pass: "chat_id:NAME" (a basket, or a pair naming one)."""
    return f"{chat_id}:{name}"


def shown_name(key: str) -> str:
    """A name as its chat reads it: "123:BANKS/SPY" -> "BANKS/SPY" (others unchanged)."""
    found = _SCOPED.match(key)
    return key[found.end() :] if found else key


def is_universe_pair(universe: Universe, pair: str) -> bool:
    """True for a pair of the universe file (computed once for every chat)."""
    return any(p.key == pair for p in universe.pairs)


def scoped_pair(chat_id: int, pair: str, universe: Universe) -> str:
    """The key a chat's followed pair is computed and routed under: a universe pair as it
    is; any other (a pair naming the chat's own basket) scoped to the chat."""
    return pair if is_universe_pair(universe, pair) else chat_key(chat_id, pair)


def custom_symbols(
    baskets: Sequence[ChatBasket], watch: Mapping[int, Sequence[str]], benchmarks: Mapping[int, str]
) -> list[str]:
    """Every stored symbol the pass reads (basket members, watched symbols, benchmarks)."""
    own = {(b.chat_id, b.name) for b in baskets}
    names = [m for b in baskets for m in b.members]
    for chat, symbols in watch.items():
        names += [s for s in symbols if (chat, s) not in own]
        names.append(benchmarks.get(chat, "SPY"))
    return list(dict.fromkeys(names))


def custom_levels(
    closes: pd.DataFrame, baskets: Sequence[ChatBasket], asof: dt.date
) -> pd.DataFrame:
    """``closes`` (the last CUSTOM_SESSIONS sessions) plus one level column per chat basket,
    named "chat_id:NAME", all baskets computed at once."""
    cut = closes.loc[: pd.Timestamp(asof)].iloc[-CUSTOM_SESSIONS:]
    levels, _ = basket_levels(cut, [basket_spec(b) for b in baskets], asof)
    levels.columns = [chat_key(b.chat_id, b.name) for b in baskets]
    return pd.concat([cut, levels], axis=1) if len(levels.columns) else cut


def watch_events(
    closes: pd.DataFrame,
    baskets: Sequence[ChatBasket],
    watch: Mapping[int, Sequence[str]],
    benchmarks: Mapping[int, str],
    asof: dt.date,
    params: QuadrantParams,
) -> list[Event]:
    """Watchlist alerts of the session: a watched name entering leading or lagging against
    its chat's benchmark (the sector board's dead band and confirmation), one event each."""
    levels = custom_levels(closes, baskets, asof)
    own = {(b.chat_id, b.name) for b in baskets}
    wanted = {
        chat: ([f"{chat}:{s}" if (chat, s) in own else s for s in symbols],
               benchmarks.get(chat, "SPY"))
        for chat, symbols in watch.items()
    }  # fmt: skip
    rows = watch_rows(levels, wanted, asof, params, WATCH_BAND, WATCH_CONFIRM)
    if levels.empty:
        return []
    session = levels.index[-1].date()
    out: list[Event] = []
    for chat, chat_rows in rows.items():
        for row in chat_rows:
            if not row.entered or row.zone is None or row.strength is None:
                continue
            shown = row.symbol.split(":", 1)[-1]
            body = SectorAlert(
                session=session, board=WATCH_TARGET, symbol=shown, name=shown,
                benchmark=row.benchmark, zone=row.zone, previous=row.previous,
                quadrant=row.quadrant or "", strength=row.strength,
                momentum=row.momentum if row.momentum is not None else float("nan"),
                band=WATCH_BAND, confirm=WATCH_CONFIRM,
            )  # fmt: skip
            out.append(
                Event(
                    key=f"sector:{WATCH_TARGET}:{chat}:{shown}:{session.isoformat()}",
                    kind="sector", rule_id=f"{WATCH_TARGET}:{chat}",
                    pair=f"{shown}/{row.benchmark}",
                    session=session, urgent=False, body=body,
                )
            )  # fmt: skip
    return out


@dataclass(frozen=True)
class ChatPairs:
    """The session's pairs naming a chat's own basket, keyed "chat_id:A/B": their stats (named
    as the chat reads them), those without a value on the session (``stale``), and what a
    flip chart of each is drawn from (``legs``: the display spec and its two level columns)."""

    stats: dict[str, PairStats] = field(default_factory=dict)
    stale: dict[str, dt.date | None] = field(default_factory=dict)
    legs: dict[str, tuple[PairSpec, pd.DataFrame]] = field(default_factory=dict)

    def joined(self, snapshot: Snapshot) -> Snapshot:
        """``snapshot`` with these pairs among its own (figures, and the stale ones with their
        last close): what the rules and a chat's digest read. The stored snapshot, the
        scoreboard and the waiting for late legs stay the universe's."""
        return replace(
            snapshot,
            pairs={**snapshot.pairs, **self.stats},
            stale_pairs={**snapshot.stale_pairs, **self.stale},
        )


def chat_pair_stats(
    closes: pd.DataFrame,
    wanted: Sequence[tuple[int, str]],
    baskets: Sequence[ChatBasket],
    session: dt.date,
    quadrant: QuadrantParams,
) -> ChatPairs:
    """PairStats of each (chat, "A/B") whose legs name that chat's own basket: the baskets'
    levels from the one vectorised pass (``basket_levels``, equal to ``basket_index``), the
    pair figures from ``compute_pairs``, exactly as for the universe's pairs."""
    own: dict[tuple[int, str], ChatBasket] = {(b.chat_id, b.name): b for b in baskets}
    specs: dict[str, tuple[PairSpec, PairSpec]] = {}
    used: dict[str, ChatBasket] = {}
    for chat, target in dict.fromkeys(wanted):
        legs = target.split("/")
        if len(legs) != 2 or not any((chat, leg) in own for leg in legs):
            continue
        columns: list[str] = []
        for leg in legs:
            basket = own.get((chat, leg))
            if basket is not None:
                used[chat_key(chat, leg)] = basket
            columns.append(chat_key(chat, leg) if basket is not None else leg)
        shown = PairSpec(legs[0], legs[1], f"{legs[0]} vs {legs[1]}")
        specs[chat_key(chat, target)] = (PairSpec(columns[0], columns[1], shown.label), shown)
    if not specs:
        return ChatPairs()
    names = list(used)
    levels, _ = basket_levels(closes, [basket_spec(used[n], n) for n in names], session)
    levels.columns = names
    frame = pd.concat([closes.loc[: pd.Timestamp(session)], levels], axis=1)
    inner_universe = Universe(pairs=(), baskets=tuple(basket_spec(used[n], n) for n in names))
    computed = compute_pairs(frame, [i for i, _ in specs.values()], None, session, quadrant)
    stats: dict[str, PairStats] = {}
    legs_of: dict[str, tuple[PairSpec, pd.DataFrame]] = {}
    for key, (inner, shown) in specs.items():
        found = computed.get(inner.key)
        if found is None:
            continue
        rename = {inner.a: shown.a, inner.b: shown.b}
        stats[key] = replace(
            found,
            key=shown.key,
            a=shown.a,
            b=shown.b,
            a_total_return=leg_total_return(inner.a, inner_universe),
            b_total_return=leg_total_return(inner.b, inner_universe),
            gap_legs=tuple(rename.get(g, g) for g in found.gap_legs),
        )
        legs_of[key] = (shown, frame[[inner.a, inner.b]].set_axis([shown.a, shown.b], axis=1))
    return ChatPairs(stats, stale_pairs_of(list(specs), stats, session), legs_of)


def with_chat_charts(events: Sequence[Event], chat: ChatPairs) -> list[Event]:
    """The events with the chart data of every flip of a chat's own pair filled in (drawn
    by ``flip_chart`` from that pair's two legs, as every flip chart is)."""
    out: list[Event] = []
    for event in events:
        body = event.body
        found = chat.legs.get(event.pair or "")
        if isinstance(body, FlipAlert) and body.chart is None and found is not None:
            spec, columns = found
            chart = flip_chart(columns, Universe(pairs=(spec,)), body)
            event = replace(event, body=replace(body, chart=chart))
        out.append(event)
    return out
