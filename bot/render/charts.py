"""Charts as PNG bytes (matplotlib Agg); ``bot.queries.charts`` draws them in a worker thread
and caches them per session.

One palette for both Telegram themes: a solid slate background with light text and
saturated mid-tone lines reads on a white chat and on a black one alike. Figures are
1280x720 px with large fonts, so labels stay legible on a phone screen. Only the object API
(Figure, never pyplot) is used: no global state, safe in worker threads, Agg canvas.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter

from analytics.constants import YEAR_SESSIONS
from analytics.types import QuadrantPoint, QuadrantTrail

BG = "#1f2530"
PANEL = "#262d3a"
GRID = "#3a4354"
TEXT = "#e8ebf0"
MUTED = "#a3acba"
LINE = "#ffb020"
TREND = "#5cc8ff"
UP = "#3ecf8e"
DOWN = "#ff6b6b"
QUADRANT_COLORS = {"leading": UP, "weakening": LINE, "lagging": DOWN, "improving": TREND}
SIZE = (8.0, 4.5)
YEAR = YEAR_SESSIONS
MARKER_AREA = 70.0  # scatter size (points²) of a quadrant member's current position
CROSSHAIR_CLEARANCE = 3.0  # pixels kept free on each side of the quadrant's 100 lines
RIGHT_PAD = 0.04  # share of the date span left free after the last close on ratio charts
DPI = 160


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=SIZE, dpi=DPI, facecolor=BG)
    FigureCanvasAgg(fig)  # the Agg canvas: text can be measured before saving
    ax = fig.add_subplot(1, 1, 1)
    ax.set_facecolor(PANEL)
    for spine in ax.spines.values():
        spine.set_color(GRID)
    ax.tick_params(colors=MUTED, labelsize=11)
    ax.grid(True, color=GRID, linewidth=0.8, alpha=0.8)
    return fig, ax


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor=BG, dpi=DPI)
    return buffer.getvalue()


def _titles(fig: Figure, title: str, subtitle: str) -> None:
    fig.text(0.02, 0.955, title, color=TEXT, fontsize=16, fontweight="bold", va="top")
    fig.text(0.02, 0.885, subtitle, color=MUTED, fontsize=11.5, va="top")


class YearDateFormatter(Formatter):
    """Month (or day) tick labels that carry the year on the first tick and wherever the year
    changes ("Mar 2025", "May", ..., "Jan 2026"), so no date is ambiguous."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.format_ticks([x])[0]

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        days = [mdates.num2date(v) for v in values]  # type: ignore[no-untyped-call]
        spacing = min((b - a for a, b in itertools.pairwise(values)), default=31.0)
        fmt = "%b" if spacing >= 27 else "%b %-d"
        labels = []
        for i, day in enumerate(days):
            text = day.strftime(fmt)
            if i == 0 or day.year != days[i - 1].year:
                text += day.strftime(" %Y")
            labels.append(text)
        return labels


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=7)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(YearDateFormatter())


def _ylabel(ax: Axes, text: str) -> None:
    ax.set_ylabel(text, color=MUTED, fontsize=11)


def regime_runs(state: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp, int]]:
    """(first date, next run's first date or last date, state) for each run of +1/-1."""
    runs: list[tuple[pd.Timestamp, pd.Timestamp, int]] = []
    values = state.to_numpy()
    index = state.index
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            if values[start] != 0:
                runs.append((index[start], index[min(i, len(values) - 1)], int(values[start])))
            start = i
    return runs


def _num(when: pd.Timestamp) -> float:
    """A date as matplotlib's float date (days since the epoch)."""
    return float(mdates.date2num(when))  # type: ignore[no-untyped-call]


def _legend(ax: Axes, handles: list) -> None:
    legend = ax.legend(
        handles=handles, loc="best", fontsize=10.5, facecolor=PANEL, edgecolor=GRID, framealpha=0.9
    )
    for text in legend.get_texts():
        text.set_color(TEXT)


def ratio_chart(
    series: pd.DataFrame,
    a: str,
    b: str,
    subtitle: str,
    window: tuple[pd.Timestamp, str] | None = None,
) -> bytes:
    """Ratio A/B with its regime trend and band, regimes shaded (green: A leads); ``window``
    (start, label) marks where a chosen horizon begins."""
    return _png(ratio_figure(series, a, b, subtitle, window))


def ratio_figure(
    series: pd.DataFrame,
    a: str,
    b: str,
    subtitle: str,
    window: tuple[pd.Timestamp, str] | None = None,
) -> Figure:
    """The ratio chart as a Figure (see ratio_chart)."""
    fig, ax = _figure()
    x = series.index
    top = float(series[["ratio", "upper"]].max().max())
    bottom = float(series[["ratio", "lower"]].min().min())
    pad = (top - bottom) * 0.08 or top * 0.01
    # Room after the last close, so a flip on the last session shows its whole marker and
    # the regime it starts (the last run is shaded to the right edge).
    left, right = _num(x[0]), _num(x[-1]) + max(_num(x[-1]) - _num(x[0]), 1.0) * RIGHT_PAD
    runs = regime_runs(series["state"])
    for i, (start, end, value) in enumerate(runs):
        color = UP if value == 1 else DOWN
        last = i == len(runs) - 1 and end == x[-1]
        ax.axvspan(_num(start), right if last else _num(end), color=color, alpha=0.16, lw=0)
    ax.fill_between(x, series["lower"], series["upper"], color=TREND, alpha=0.14, linewidth=0)
    ax.plot(x, series["trend"], color=TREND, linewidth=1.8, linestyle="--", label="regime trend")
    ax.plot(x, series["ratio"], color=LINE, linewidth=2.4, label=f"{a}/{b}")
    flips = series[series["flip"]]
    colors = [UP if s == 1 else DOWN for s in flips["state"]]
    ax.scatter(flips.index, flips["ratio"], s=60, c=colors, edgecolors=TEXT, zorder=5)
    ax.set_ylim(bottom - pad, top + pad)
    ax.set_xlim(left, right)
    if window is not None:
        start, label = window
        ax.axvline(_num(start), color=TEXT, linewidth=1.2, linestyle=":", alpha=0.8)
        ax.annotate(
            f"{label} →",
            (_num(start), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            va="top",
            color=TEXT,
            fontsize=11,
            fontweight="bold",
        )
    _date_axis(ax)
    _ylabel(ax, f"{a} ÷ {b} (price ratio)")
    handles = [
        *ax.get_legend_handles_labels()[0],
        Patch(color=UP, alpha=0.5, label=f"{a} leads"),
        Patch(color=DOWN, alpha=0.5, label=f"{b} leads"),
    ]
    _legend(ax, handles)
    _titles(fig, f"{a} / {b}", subtitle)
    fig.subplots_adjust(left=0.11, right=0.975, top=0.82, bottom=0.1)
    return fig


def price_chart(closes: pd.Series, symbol: str, subtitle: str, unit: str = "close") -> bytes:
    """The price chart as PNG (see price_figure)."""
    return _png(price_figure(closes, symbol, subtitle, unit))


def price_figure(closes: pd.Series, symbol: str, subtitle: str, unit: str = "close") -> Figure:
    """The last year of closes with the 50-session average and the 52-week high and low.

    ``closes`` may hold up to 50 extra earlier sessions: they only feed the average. ``unit``
    labels the y axis ("adjusted close (USD)", "index level (points)", ...).
    """
    fig, ax = _figure()
    average = closes.rolling(50, min_periods=50).mean().iloc[-YEAR:]
    shown = closes.iloc[-YEAR:]
    if average.notna().any():
        ax.plot(
            shown.index, average, color=TREND, linewidth=1.8, linestyle="--", label="50-session avg"
        )
    ax.plot(shown.index, shown, color=LINE, linewidth=2.4, label=symbol)
    high, low = float(shown.max()), float(shown.min())
    span = "52w " if len(shown) >= YEAR else ""
    for level, color, name in ((high, UP, f"{span}high"), (low, DOWN, f"{span}low")):
        ax.axhline(level, color=color, linewidth=1.2, linestyle=":", alpha=0.9)
        ax.annotate(
            f"{name} {level:,.2f}",
            (shown.index[0], level),
            xytext=(4, 4 if level == high else -14),
            textcoords="offset points",
            color=color,
            fontsize=10.5,
        )
    last = float(shown.iloc[-1])
    ax.scatter([shown.index[-1]], [last], s=50, color=LINE, edgecolors=TEXT, zorder=5)
    pad = (high - low) * 0.08 or high * 0.01
    ax.set_ylim(low - pad, high + pad)
    ax.margins(x=0.02)
    _date_axis(ax)
    _ylabel(ax, unit)
    _legend(ax, ax.get_legend_handles_labels()[0])
    _titles(fig, f"{symbol}  {last:,.2f}", subtitle)
    fig.subplots_adjust(left=0.11, right=0.975, top=0.82, bottom=0.1)
    return fig


def quadrant_chart(trails: list[QuadrantTrail], benchmark: str, subtitle: str) -> bytes:
    """Strength (x) against momentum (y), 100 = in line with ``benchmark``, weekly tails."""
    return _png(quadrant_figure(trails, benchmark, subtitle))


def quadrant_figure(trails: list[QuadrantTrail], benchmark: str, subtitle: str) -> Figure:
    """The quadrant as a laid-out Figure (labels placed on the rendered boxes)."""
    fig, ax = _figure()
    xs = [p.strength for t in trails for p in (*t.tail, t.current) if p is not None]
    ys = [p.momentum for t in trails for p in (*t.tail, t.current) if p is not None]
    span_x = max(abs(v - 100) for v in xs) * 1.15 + 0.3 if xs else 2.0
    span_y = max(abs(v - 100) for v in ys) * 1.15 + 0.3 if ys else 2.0
    ax.set_xlim(100 - span_x, 100 + span_x)
    ax.set_ylim(100 - span_y, 100 + span_y)
    ax.axvline(100, color=MUTED, linewidth=1.2)
    ax.axhline(100, color=MUTED, linewidth=1.2)
    corners = (
        ("leading", 0.98, 0.97, "right", "top"),
        ("improving", 0.02, 0.97, "left", "top"),
        ("lagging", 0.02, 0.03, "left", "bottom"),
        ("weakening", 0.98, 0.03, "right", "bottom"),
    )
    corner_texts = [
        ax.text(
            cx,
            cy,
            name.upper(),
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=12,
            color=QUADRANT_COLORS[name],
            alpha=0.85,
            fontweight="bold",
        )
        for name, cx, cy, ha, va in corners
    ]
    labels: list[tuple[str, float, float]] = []
    for trail in trails:
        points = [p for p in (*trail.tail, trail.current) if p is not None]
        color = QUADRANT_COLORS[points[-1].quadrant]
        ax.plot(
            [p.strength for p in points],
            [p.momentum for p in points],
            color=color,
            linewidth=1.2,
            alpha=0.4,
            marker="o",
            markersize=3,
        )
        ax.scatter(
            [points[-1].strength],
            [points[-1].momentum],
            s=MARKER_AREA,
            color=color,
            edgecolors=TEXT,
            zorder=5,
        )
        labels.append((trail.key, points[-1].strength, points[-1].momentum))
    ax.set_xlabel("strength (100 = in line with its trend)", color=MUTED, fontsize=11)
    ax.set_ylabel("momentum (100 = unchanged)", color=MUTED, fontsize=11)
    _titles(fig, f"Strength quadrant vs {benchmark}", subtitle)
    fig.subplots_adjust(left=0.1, right=0.975, top=0.82, bottom=0.13)
    _place_labels(fig, ax, labels, corner_texts)
    return fig


Box = tuple[float, float, float, float]
#: One colour per rotation-map member (board order), distinct on the slate panel.
MAP_COLORS = ("#5cc8ff", "#ffb020", "#3ecf8e", "#ff6b6b", "#c792ea", "#ff8fd0", "#ffe066",
              "#7fdbca", "#f78c6c", "#a3e635", "#8fa8ff", "#e0e0e0")  # fmt: skip


def _fit(values: Sequence[float]) -> tuple[float, float]:
    """Axis limits around the data and the 100 line, with room for labels."""
    lo, hi = min([*values, 100.0]), max([*values, 100.0])
    pad = (hi - lo) * 0.12 + 0.4
    return lo - pad, hi + pad


def rotation_map_chart(
    members: Sequence[tuple[str, Sequence[QuadrantPoint]]], benchmark: str, title: str,
    subtitle: str,
) -> bytes:  # fmt: skip
    """The rotation map: each member's weekly tail in its own colour, labelled at its head."""
    return _png(rotation_map_figure(members, benchmark, title, subtitle))


def rotation_map_figure(
    members: Sequence[tuple[str, Sequence[QuadrantPoint]]], benchmark: str, title: str,
    subtitle: str,
) -> Figure:  # fmt: skip
    """The rotation map as a laid-out Figure: tails fade towards their oldest week, the head
    is a large dot with a white edge, labels (in the tail's colour) are placed clear of every
    marker, label, crosshair and corner name."""
    fig, ax = _figure()
    points = [p for _, tail in members for p in tail]
    ax.set_xlim(*_fit([p.strength for p in points]))
    ax.set_ylim(*_fit([p.momentum for p in points]))
    ax.axvline(100, color=MUTED, linewidth=1.2)
    ax.axhline(100, color=MUTED, linewidth=1.2)
    corners = (
        ("leading", 0.98, 0.97, "right", "top"),
        ("improving", 0.02, 0.97, "left", "top"),
        ("lagging", 0.02, 0.03, "left", "bottom"),
        ("weakening", 0.98, 0.03, "right", "bottom"),
    )
    corner_texts = [
        ax.text(cx, cy, name.upper(), transform=ax.transAxes, ha=ha, va=va, fontsize=11,
                color=QUADRANT_COLORS[name], alpha=0.6, fontweight="bold")
        for name, cx, cy, ha, va in corners
    ]  # fmt: skip
    colors: dict[str, str] = {}
    labels: list[tuple[str, float, float]] = []
    for i, (key, tail) in enumerate(members):
        if not tail:
            continue
        color = MAP_COLORS[i % len(MAP_COLORS)]
        colors[key] = color
        xs, ys = [p.strength for p in tail], [p.momentum for p in tail]
        ax.plot(xs, ys, color=color, linewidth=1.6, alpha=0.75, zorder=3)
        sizes = [8 + 22 * (j + 1) / len(tail) for j in range(len(tail) - 1)]
        ax.scatter(xs[:-1], ys[:-1], s=sizes, color=color, alpha=0.8, zorder=4, linewidths=0)
        ax.scatter([xs[-1]], [ys[-1]], s=MARKER_AREA, color=color, edgecolors=TEXT, zorder=5)
        labels.append((key, xs[-1], ys[-1]))
    ax.set_xlabel("strength (100 = in line with its trend)", color=MUTED, fontsize=11)
    ax.set_ylabel("momentum (100 = unchanged)", color=MUTED, fontsize=11)
    _titles(fig, title, subtitle)
    fig.subplots_adjust(left=0.1, right=0.975, top=0.82, bottom=0.13)
    _place_labels(fig, ax, labels, corner_texts, size=10.5, colors=colors)
    return fig


def marker_radius() -> float:
    """Half the width of a current-position marker, in pixels (with its white edge)."""
    return float(MARKER_AREA**0.5) / 2 * DPI / 72.0 + 1.5


def _place_labels(
    fig: Figure,
    ax: Axes,
    labels: list[tuple[str, float, float]],
    fixed: list,
    size: float = 11,
    colors: dict[str, str] | None = None,
) -> None:
    """Label points without overlaps, measured on the rendered text: try spots around each
    point, nearest first, and keep the first whose box stays inside the axes and touches no
    marker, no other label, neither crosshair line and no fixed text (the quadrant names); a
    label pushed further out gets a thin leader line to its point."""
    renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]
    scale = DPI / 72.0  # pixels per point
    radius = marker_radius()
    centres = [tuple(ax.transData.transform((x, y))) for _, x, y in labels]
    blocked: list[Box] = [
        (cx - radius, cy - radius, cx + radius, cy + radius) for cx, cy in centres
    ]
    extent = ax.get_window_extent(renderer)
    frame = (extent.x0, extent.y0, extent.x1, extent.y1)
    cross_x, cross_y = ax.transData.transform((100.0, 100.0))
    blocked += [
        (cross_x - CROSSHAIR_CLEARANCE, frame[1], cross_x + CROSSHAIR_CLEARANCE, frame[3]),
        (frame[0], cross_y - CROSSHAIR_CLEARANCE, frame[2], cross_y + CROSSHAIR_CLEARANCE),
    ]
    for text in fixed:
        box = text.get_window_extent(renderer)
        blocked.append((box.x0 - 2, box.y0 - 2, box.x1 + 2, box.y1 + 2))
    for (key, x, y), (px, py) in sorted(zip(labels, centres, strict=True), key=lambda i: -i[0][2]):
        probe = ax.text(0, 0, key, fontsize=size, fontweight="bold")
        measured = probe.get_window_extent(renderer)
        probe.remove()
        width, height = measured.width + 2, measured.height + 2
        chosen, far = _spot(px, py, width, height, radius + 2, blocked, frame)
        dx, dy = chosen
        blocked.append((px + dx, py + dy, px + dx + width, py + dy + height))
        ax.annotate(
            key,
            (x, y),
            xytext=((dx + 1) / scale, (dy + 1) / scale),
            textcoords="offset points",
            ha="left",
            va="bottom",
            color=(colors or {}).get(key, TEXT),
            fontsize=size,
            fontweight="bold",
            arrowprops={"arrowstyle": "-", "color": MUTED, "lw": 0.8} if far else None,
        )


def _spot(
    px: float,
    py: float,
    width: float,
    height: float,
    gap: float,
    placed: list[Box],
    frame: Box,
) -> tuple[tuple[float, float], bool]:
    """The first free offset for a label box around (px, py) inside ``frame`` (the axes, in
    pixels), and whether it is far out (then it gets a leader line)."""
    for ring in (1.0, 2.2, 3.4, 4.6, 6.0, 7.5, 9.0):
        g = gap * ring
        spots = [(g, -height / 2), (-width - g, -height / 2), (-width / 2, g),
                 (-width / 2, -height - g), (g, g), (g, -height - g), (-width - g, g),
                 (-width - g, -height - g)]  # fmt: skip
        for dx, dy in spots:
            box = (px + dx, py + dy, px + dx + width, py + dy + height)
            inside = (
                frame[0] <= box[0] and box[2] <= frame[2] and frame[1] <= box[1]
                and box[3] <= frame[3]
            )  # fmt: skip
            if inside and not any(_overlap(box, other) for other in placed):
                return (dx, dy), ring > 1.0
    return (gap, -height / 2), False


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
