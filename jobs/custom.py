"""The daily pass over chats' own baskets and watchlists: one vectorised computation for
every chat (``analytics.custom``), never one chat at a time; events for the chats that
follow their watchlist (``/subscribe watch``), folded into the day's one message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from analytics.custom import (
    CUSTOM_SESSIONS,
    WATCH_BAND,
    WATCH_BOARD,
    WATCH_CONFIRM,
    basket_levels,
    watch_rows,
)
from analytics.events import Event, SectorAlert
from analytics.types import BasketSpec, QuadrantParams
from storage.custom import ChatBasket

#: The subscription target of a chat's watchlist alerts.
WATCH_TARGET = WATCH_BOARD


def basket_spec(basket: ChatBasket) -> BasketSpec:
    """A chat's basket as the analytics basket (equal weight, the bundled baskets' rule)."""
    return BasketSpec(name=basket.name, label=basket.name, members=basket.members)


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
    levels.columns = [f"{b.chat_id}:{b.name}" for b in baskets]
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
