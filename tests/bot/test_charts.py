"""Charts on the bundled data, measured on the rendered figure: the flip and its new regime at
the right edge, labelled axes, years on the date ticks, quadrant labels clear of every marker
and of the crosshair."""

from __future__ import annotations

import datetime as dt
import itertools

import matplotlib.dates as mdates
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text

from analytics.pairs import pair_series
from bot.queries.readapi import snapshot_for, ticker_view
from bot.render.charts import (
    DOWN,
    UP,
    marker_radius,
    price_figure,
    quadrant_figure,
    ratio_figure,
)
from bot.render.rotation import horizon_window
from bot.services import Services
from storage.prices import load_closes

Box = tuple[float, float, float, float]


def _rendered(fig: Figure):  # type: ignore[no-untyped-def]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _series_at(services: Services, key: str, session: dt.date) -> pd.DataFrame:
    spec = services.universe.pair(key)
    closes = load_closes(services.db, [spec.a, spec.b], end=session)
    return pair_series(closes, spec, session, services.universe).tail(252)


@pytest.mark.parametrize(
    ("key", "session", "new_leader"),
    [
        ("IWM/SPY", dt.date(2026, 3, 10), "B"),
        ("KRE/SPY", dt.date(2026, 3, 10), "B"),
        ("IWM/SPY", dt.date(2025, 12, 10), "A"),
    ],
)
def test_a_flip_on_the_last_session_shows_its_marker_and_new_regime(
    services: Services, key: str, session: dt.date, new_leader: str
) -> None:
    series = _series_at(services, key, session)
    assert bool(series["flip"].iloc[-1]), "the chart ends on the flip session"
    a, b = key.split("/")
    fig = ratio_figure(series, a, b, "test")
    renderer = _rendered(fig)
    ax = fig.axes[0]
    left, right = ax.get_xlim()
    last = float(mdates.date2num(series.index[-1]))
    # the whole flip marker fits inside the axes
    px_last = ax.transData.transform((last, float(series["ratio"].iloc[-1])))[0]
    frame = ax.get_window_extent(renderer)
    assert px_last + marker_radius() < frame.x1
    # the last shaded span is the new regime, and it is wider than a hairline
    spans = [p for p in ax.patches if p.get_width() > 0 and p.get_height() >= 0.99]
    newest = max(spans, key=lambda p: p.get_x())
    assert newest.get_x() + newest.get_width() == pytest.approx(right)
    width_px = ax.transData.transform((right, 0))[0] - ax.transData.transform((last, 0))[0]
    assert width_px > 2 * marker_radius()
    expected = UP if new_leader == "A" else DOWN
    assert newest.get_facecolor()[:3] == pytest.approx(
        tuple(int(expected[i : i + 2], 16) / 255 for i in (1, 3, 5)), abs=0.01
    )
    assert left < last < right
    assert ax.get_ylabel() == f"{a} ÷ {b} (price ratio)"


def _tick_labels(fig: Figure) -> list[str]:
    _rendered(fig)
    return [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]


def test_date_ticks_carry_the_year_where_it_changes(services: Services) -> None:
    series = _series_at(services, "IWM/SPY", dt.date(2026, 3, 31))
    labels = _tick_labels(ratio_figure(series, "IWM", "SPY", "test"))
    assert labels[0].endswith(" 2025"), labels
    assert any(label.endswith(" 2026") for label in labels[1:]), labels
    assert sum(label[-4:].isdigit() for label in labels) == 2, labels


async def test_price_chart_units_and_short_history(services: Services) -> None:
    view = await ticker_view(services, "^RUT", dt.date(2026, 3, 31))
    fig = price_figure(view.series, "^RUT", "test", "index level (points)")
    assert fig.axes[0].get_ylabel() == "index level (points)"
    short = await ticker_view(services, "IWM", dt.date(2024, 2, 15))
    fig = price_figure(short.series, "IWM", "test", "adjusted close (USD)")
    labels = _tick_labels(fig)
    assert labels[0].endswith(" 2024"), labels
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert not any("52w" in t for t in texts), texts  # a month of closes is no 52-week range


def _box(extent) -> Box:  # type: ignore[no-untyped-def]
    return (extent.x0, extent.y0, extent.x1, extent.y1)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize(
    "asof", [dt.date(2026, 3, 31), dt.date(2025, 11, 14), dt.date(2025, 6, 30), dt.date(2024, 9, 3)]
)
async def test_quadrant_labels_touch_no_marker_no_crosshair_no_label(
    services: Services, asof: dt.date
) -> None:
    snap = await snapshot_for(services, asof)
    trails = [t for k, t in snap.quadrants.items() if "/" not in k and t.current is not None]
    fig = quadrant_figure(trails, "SPY", "test")
    renderer = _rendered(fig)
    ax = fig.axes[0]
    labels = [t for t in ax.texts if isinstance(t, Annotation)]
    assert sorted(t.get_text() for t in labels) == sorted(t.key for t in trails)
    # the text's own box (an Annotation's extent would include its leader line)
    boxes = {t.get_text(): _box(Text.get_window_extent(t, renderer)) for t in labels}
    radius = marker_radius() - 1.5  # the drawn marker itself, edge included
    markers = [
        tuple(ax.transData.transform(offset))
        for c in ax.collections
        if isinstance(c, PathCollection)
        for offset in c.get_offsets()
    ]
    assert len(markers) == len(trails)
    cx, cy = ax.transData.transform((100.0, 100.0))
    frame = _box(ax.get_window_extent(renderer))
    crosshair = [(cx - 0.8, frame[1], cx + 0.8, frame[3]), (frame[0], cy - 0.8, frame[2], cy + 0.8)]
    corners = [_box(t.get_window_extent(renderer)) for t in ax.texts if t not in labels]
    for name, box in boxes.items():
        for mx, my in markers:
            assert not _overlap(box, (mx - radius, my - radius, mx + radius, my + radius)), name
        for line in crosshair:
            assert not _overlap(box, line), f"{name} on the crosshair"
        for corner in corners:
            assert not _overlap(box, corner), f"{name} on a quadrant name"
        inside = (
            frame[0] <= box[0] <= box[2] <= frame[2] and frame[1] <= box[1] <= box[3] <= frame[3]
        )
        assert inside, f"{name} outside the axes"
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not _overlap(box_a, box_b), f"{a} overlaps {b}"
    assert ax.get_xlabel()
    assert ax.get_ylabel()


def test_a_chosen_horizon_is_marked_where_its_return_starts(services: Services) -> None:
    series = _series_at(services, "IWM/SPY", dt.date(2026, 3, 31))
    start, label = horizon_window(series.index, "3m", "3M") or (None, "")
    assert start == series.index[-64]
    ytd = horizon_window(series.index, "ytd", "YTD")
    assert ytd is not None
    assert ytd[0] == pd.Timestamp("2025-12-31")
    assert horizon_window(series.index[-10:], "1m", "1M") is None
    fig = ratio_figure(series, "IWM", "SPY", "test", (start, label))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "3M →" in texts
