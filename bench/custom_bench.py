"""custom_10k_chats_s: the daily pass over 10,000 chats' own baskets and watchlists.

Each chat has 3 baskets of 10 members and a 25-symbol watchlist, drawn (seeded) from 500
symbols of the extended sample; benchmarks are SPY for most chats and IWM or QQQ for some.
Timed: ``jobs.custom.watch_events`` (every basket level, every watched column's strength,
momentum and confirmed zone, the session's events) on closes already loaded, i.e. the extra
compute one session costs. Its baskets are checked against ``basket_index`` first (a sample).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analytics.baskets import basket_index
from analytics.custom import CUSTOM_SESSIONS
from bench.data import bench_data
from bench.timing import summary, timed
from jobs.custom import basket_spec, custom_levels, watch_events
from storage.custom import ChatBasket

CHATS = 10_000
BASKETS_PER_CHAT = 3
BASKET_MEMBERS = 10
WATCH_SIZE = 25
POOL = 500
REPEAT = 3
SEED = 25


def workload(seed: int = SEED) -> tuple[Any, ...]:
    """(closes, baskets, watchlists, benchmarks, asof, params), deterministic for the seed."""
    data = bench_data()
    rng = np.random.default_rng(seed)
    pool = [c for c in data.closes.columns if c.startswith("X")][:POOL]
    baskets: list[ChatBasket] = []
    watch: dict[int, list[str]] = {}
    benchmarks: dict[int, str] = {}
    for chat in range(1, CHATS + 1):
        for k in range(BASKETS_PER_CHAT):
            picks = rng.choice(len(pool), BASKET_MEMBERS, replace=False)
            baskets.append(ChatBasket(chat, f"MY_{k}", tuple(pool[i] for i in picks)))
        picks = rng.choice(len(pool), WATCH_SIZE, replace=False)
        watch[chat] = [pool[i] for i in picks]
        benchmarks[chat] = "SPY" if chat % 10 else ("IWM" if chat % 20 else "QQQ")
    closes = data.closes.iloc[-CUSTOM_SESSIONS:]
    return closes, baskets, watch, benchmarks, data.asof, data.universe.quadrant


def run() -> dict[str, Any]:
    closes, baskets, watch, benchmarks, asof, params = workload()
    levels = custom_levels(closes, baskets, asof)
    for basket in baskets[:: len(baskets) // 50]:  # the one-pass levels are basket_index's
        level, _ = basket_index(closes, basket_spec(basket), asof)
        got = levels[f"{basket.chat_id}:{basket.name}"].to_numpy()
        np.testing.assert_allclose(got, level.to_numpy(), rtol=1e-12)
    events = watch_events(closes, baskets, watch, benchmarks, asof, params)
    times = timed(lambda: watch_events(closes, baskets, watch, benchmarks, asof, params), REPEAT)
    stats = summary(times)
    return {
        "custom_10k_chats_s": stats["median"],
        "details": {
            "custom_s": stats,
            "chats": CHATS,
            "baskets": len(baskets),
            "watched": sum(len(w) for w in watch.values()),
            "distinct_columns": len({(s, benchmarks[c]) for c, w in watch.items() for s in w}),
            "sessions": len(closes),
            "events": len(events),
            "baskets_checked_against_basket_index": 50,
        },
    }
