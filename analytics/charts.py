"""Chart data of alerts: a flip alert carries its theme's head pair's series, computed here
from the same ``pair_series`` as every figure (events stay plain types; this module joins
them to the pair computations)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from analytics.events import CHART_SESSIONS, Event, FlipAlert, FlipChart
from analytics.pairs import pair_series
from analytics.types import Universe


def flip_chart(
    closes: pd.DataFrame, universe: Universe, alert: FlipAlert, sessions: int = CHART_SESSIONS
) -> FlipChart:
    """The chart data of a flip alert: its theme's head pair (the first move), the last
    ``sessions`` sessions up to the alert's session, from the same series as every figure."""
    head = alert.moves[0]
    spec = universe.pair(head.pair)
    series = pair_series(closes, spec, alert.session, universe).tail(sessions)

    def floats(column: str) -> tuple[float | None, ...]:
        return tuple(None if np.isnan(v) else float(v) for v in series[column])

    return FlipChart(
        pair=spec.key,
        a=spec.a,
        b=spec.b,
        title=f"{spec.label} · as of {alert.session.isoformat()} close",
        dates=tuple(stamp.date() for stamp in pd.DatetimeIndex(series.index)),
        ratio=tuple(float(v) for v in series["ratio"]),
        trend=floats("trend"),
        band=floats("band"),
        state=tuple(int(v) for v in series["state"]),
    )


def with_charts(events: Sequence[Event], closes: pd.DataFrame, universe: Universe) -> list[Event]:
    """The events with every flip alert's chart data filled in (others unchanged)."""
    out: list[Event] = []
    for event in events:
        body = event.body
        if isinstance(body, FlipAlert) and body.chart is None:
            event = replace(event, body=replace(body, chart=flip_chart(closes, universe, body)))
        out.append(event)
    return out
