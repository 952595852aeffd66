"""Typed alert events: one frozen dataclass per kind, serialised through ``analytics.serde``.

An ``Event`` (below, with its body types) is the envelope the pipeline routes: key, kind,
rule, pairs, session, urgency. Its ``body`` is one of the types here and holds every number the
message shows; ``encode`` turns it into the JSON stored in the outbox and ``decode`` gives it
back, typed, so a renamed field fails loudly instead of printing "None". ``KINDS`` maps each
kind to its type; the bot keeps one renderer per kind (``bot.render.alerts.RENDERERS``).

Events of one theme on one session are one event: a ``FlipAlert`` or ``StretchAlert`` carries a
move per pair that moved (IWM/SPY and its context pair ^RUT/^GSPC flip together), and a flip
carries the chart data of its theme's head pair (computed by ``analytics.charts``), so delivery
only renders and sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, overload

import numpy as np
import pandas as pd

from analytics.boards import board_ratio, confirmed_zones, zone_codes
from analytics.frames import to_date
from analytics.quadrant import QUADRANTS, quadrant_codes, strength_momentum
from analytics.serde import from_jsonable, to_jsonable
from analytics.types import QuadrantPoint, RuleKind, Side, Snapshot, TrackRecord, Universe

Confirmation = Literal["confirmed", "not confirmed"]
#: Sessions of chart data a flip alert carries.
CHART_SESSIONS = 260


@dataclass(frozen=True)
class FlipMove:
    """One pair's confirmed flip: who leads now, the trend and band behind it, its record.

    ``vs_trend`` is R / trend - 1 on the confirming close (the regime's own figure); ``track``
    is the summary of earlier flips (outcomes left out); ``breadth`` tags a small-cap flip as
    confirmed by breadth or not (None for other pairs). ``gaps`` / ``gap_legs``: as in
    ``PairStats`` (spreads whose window spans sessions without a close of a leg).
    """

    pair: str
    label: str
    a: str
    b: str
    direction: Side
    ratio: float
    trend: float
    vs_trend: float
    band: float | None
    scaled: bool
    confirm: int
    window: int
    prev_sessions: int | None
    a_total_return: bool
    b_total_return: bool
    spreads_pp: dict[str, float | None]
    track: TrackRecord
    flips_total: int
    raw_crosses: int
    breadth: Confirmation | None = None
    gaps: dict[str, int] = field(default_factory=dict)
    gap_legs: tuple[str, ...] = ()

    @property
    def leader(self) -> str:
        return self.a if self.direction == "A" else self.b

    @property
    def former(self) -> str:
        return self.b if self.direction == "A" else self.a


@dataclass(frozen=True)
class FlipChart:
    """What the flip chart draws: the head pair's ratio, trend, band and regime per session."""

    pair: str
    a: str
    b: str
    title: str
    dates: tuple[dt.date, ...]
    ratio: tuple[float, ...]
    trend: tuple[float | None, ...]
    band: tuple[float | None, ...]
    state: tuple[int, ...]

    def frame(self) -> pd.DataFrame:
        """The chart's columns as ``analytics.pairs.pair_series`` names them."""
        index = pd.DatetimeIndex(pd.to_datetime(list(self.dates)), name="date")
        trend = np.array([np.nan if v is None else v for v in self.trend], dtype="float64")
        band = np.array([np.nan if v is None else v for v in self.band], dtype="float64")
        state = np.array(self.state, dtype="int64")
        change = np.diff(state, prepend=state[0] if len(state) else 0) != 0
        return pd.DataFrame(
            {
                "ratio": np.array(self.ratio, dtype="float64"),
                "trend": trend,
                "band": band,
                "upper": trend * (1.0 + band),
                "lower": trend / (1.0 + band),
                "state": state,
                "flip": change & (state != 0) & (np.roll(state, 1) != 0),
            },
            index=index,
        )


@dataclass(frozen=True)
class FlipAlert:
    """Confirmed flips of one theme on one session (urgent: sent at once, with a chart)."""

    session: dt.date
    theme: str
    moves: tuple[FlipMove, ...]
    chart: FlipChart | None = None


@dataclass(frozen=True)
class StretchMove:
    """One pair entered (|z| > limit) or left (|z| < exit_below) a stretch of log R."""

    pair: str
    label: str
    entered: bool
    stretch_z: float
    limit: float
    exit_below: float
    window: int


@dataclass(frozen=True)
class StretchAlert:
    """Stretch changes of one theme on one session (folded into the day's message)."""

    session: dt.date
    theme: str
    moves: tuple[StretchMove, ...]


@dataclass(frozen=True)
class BreadthAlert:
    """Participation turned broad or narrow (equal weight against cap weight)."""

    session: dt.date
    state: Literal["broad", "narrow"]
    previous: str | None
    participation_pair: str
    lead_pair: str
    lead_state: Side | None
    confirmation: Confirmation | None
    detail: dict[str, str | None]


@dataclass(frozen=True)
class ThresholdAlert:
    """A user's /alert rule crossed its threshold (edge-triggered, re-armed after a margin)."""

    session: dt.date
    rule_id: str
    pair: str
    label: str
    metric: str
    op: str
    threshold: float
    value: float
    hysteresis: float
    unit: str


@dataclass(frozen=True)
class QuadrantAlert:
    """A symbol or pair moved to a new strength quadrant and held it ``hold`` sessions."""

    session: dt.date
    key: str
    benchmark: str
    quadrant: str
    previous: str | None
    since: dt.date | None
    sessions: int
    hold: int
    strength: float
    momentum: float
    ema: int
    momentum_shift: int


@dataclass(frozen=True)
class SpreadMoveAlert:
    """A pair's 1-session spread reached the rule's size (pp)."""

    session: dt.date
    pair: str
    label: str
    spread_1d_pp: float
    threshold_pp: float
    z: float | None


@dataclass(frozen=True)
class SectorAlert:
    """A board member's confirmed zone changed: it entered leading or lagging (strength and
    momentum both beyond 100 by ``band`` for ``confirm`` sessions; ``analytics.boards``)."""

    session: dt.date
    board: str
    symbol: str
    name: str
    benchmark: str
    zone: str
    previous: str | None
    quadrant: str
    strength: float
    momentum: float
    band: float
    confirm: int


@dataclass(frozen=True)
class MapMember:
    """One member on the weekly rotation map: its weekly tail and where it moved this week."""

    symbol: str
    name: str
    tail: tuple[QuadrantPoint, ...]
    start: str | None
    end: str


@dataclass(frozen=True)
class RotationMap:
    """After the week's last session: the board's rotation map (chart data) and which
    members changed quadrant over the week (``start`` is the quadrant at the previous
    week's last session)."""

    session: dt.date
    board: str
    label: str
    benchmark: str
    members: tuple[MapMember, ...]

    @property
    def changed(self) -> tuple[MapMember, ...]:
        """Members whose quadrant differs from the one they ended last week in."""
        return tuple(m for m in self.members if m.start is not None and m.start != m.end)


@dataclass(frozen=True)
class DigestRow:
    """One followed pair in the daily message: who leads, since when, spreads, stretch;
    ``gaps`` / ``gap_legs`` as in ``PairStats``."""

    pair: str
    label: str
    state: Side | None
    since: dt.date | None
    sessions: int
    pending: int
    pending_side: Side | None
    spreads_pp: dict[str, float | None]
    stretch_z: float | None
    stretched: bool
    gaps: dict[str, int] = field(default_factory=dict)
    gap_legs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Folded:
    """A non-urgent alert folded into the day's one message: its kind and encoded body."""

    kind: RuleKind
    body: dict[str, Any]


@dataclass(frozen=True)
class Digest:
    """The one non-urgent message a chat gets per session: its pairs (when the digest is on),
    breadth, that day's folded alerts, and how many urgent alerts went out separately.
    ``no_close`` maps the chat's pairs without a close of both legs on the session to their
    last common close (None: never): they get no row of figures and no alert."""

    session: dt.date
    rows: tuple[DigestRow, ...]
    breadth: str | None
    confirmation: Confirmation | None
    alerts: tuple[Folded, ...] = ()
    urgent: int = 0
    no_close: dict[str, dt.date | None] = field(default_factory=dict)


@dataclass(frozen=True)
class DashboardBody:
    """What a pinned dashboard shows: every preset pair's row (as in the digest), breadth,
    the pairs without a close on the session, and the lead pair whose chart it carries."""

    session: dt.date
    pair: str
    rows: tuple[DigestRow, ...]
    breadth: str | None
    no_close: dict[str, dt.date | None] = field(default_factory=dict)


AlertBody = (
    FlipAlert
    | StretchAlert
    | BreadthAlert
    | ThresholdAlert
    | QuadrantAlert
    | SpreadMoveAlert
    | SectorAlert
    | RotationMap
    | Digest
)

#: A body of any outbox kind: an alert, the day's digest, or a dashboard update.
Body = AlertBody | DashboardBody

#: Every kind an outbox row can have (what rules raise, the digest that carries them, a
#: dashboard update), and the type of its body: ``storage.outbox.Kind`` names the same set.
KINDS: Mapping[str, type] = {
    "flip": FlipAlert,
    "stretch": StretchAlert,
    "breadth": BreadthAlert,
    "threshold": ThresholdAlert,
    "quadrant": QuadrantAlert,
    "spread_move": SpreadMoveAlert,
    "sector": SectorAlert,
    "rotation_map": RotationMap,
    "digest": Digest,
    "dashboard": DashboardBody,
}
_KIND_OF: Mapping[type, str] = {body: kind for kind, body in KINDS.items()}


def kind_of(body: Body) -> str:
    """The kind of a body (``KINDS`` read backwards)."""
    return _KIND_OF[type(body)]


@dataclass(frozen=True)
class Event:
    """Something a rule detected on a session; ``key`` is stable for idempotency.

    ``body`` is the typed alert of this kind (the types above) with every number that
    explains it; ``payload`` is its JSON form. ``pairs`` lists every pair the event names (one
    theme's pairs that moved together); ``pair`` is the first of them (None for breadth).
    """

    key: str
    kind: RuleKind
    rule_id: str
    pair: str | None
    session: dt.date
    urgent: bool
    body: AlertBody
    pairs: tuple[str, ...] = ()

    @property
    def payload(self) -> dict[str, Any]:
        """The body as a JSON-friendly dict (what the outbox stores)."""
        return encode(self.body)


def encode(body: Body) -> dict[str, Any]:
    """The JSON-friendly dict of a body (stored as an outbox payload)."""
    out: dict[str, Any] = to_jsonable(body)
    return out


@overload
def decode(kind: Literal["flip"], payload: Mapping[str, Any]) -> FlipAlert: ...
@overload
def decode(kind: Literal["stretch"], payload: Mapping[str, Any]) -> StretchAlert: ...
@overload
def decode(kind: Literal["breadth"], payload: Mapping[str, Any]) -> BreadthAlert: ...
@overload
def decode(kind: Literal["threshold"], payload: Mapping[str, Any]) -> ThresholdAlert: ...
@overload
def decode(kind: Literal["quadrant"], payload: Mapping[str, Any]) -> QuadrantAlert: ...
@overload
def decode(kind: Literal["spread_move"], payload: Mapping[str, Any]) -> SpreadMoveAlert: ...
@overload
def decode(kind: Literal["sector"], payload: Mapping[str, Any]) -> SectorAlert: ...
@overload
def decode(kind: Literal["rotation_map"], payload: Mapping[str, Any]) -> RotationMap: ...
@overload
def decode(kind: Literal["digest"], payload: Mapping[str, Any]) -> Digest: ...
@overload
def decode(kind: Literal["dashboard"], payload: Mapping[str, Any]) -> DashboardBody: ...
@overload
def decode(kind: str, payload: Mapping[str, Any]) -> Body: ...
def decode(kind: str, payload: Mapping[str, Any]) -> Body:
    """The typed body of an outbox payload of ``kind`` (a literal kind gives its own type);
    KeyError for an unknown kind, TypeError/KeyError when a field is missing (never a silent
    default)."""
    body: Body = from_jsonable(KINDS[kind], payload)
    return body


B = TypeVar("B", bound=Body)


def decode_as(body_type: type[B], payload: Mapping[str, Any]) -> B:
    """The body of a payload whose type the caller knows from its kind (a digest row's)."""
    body: B = from_jsonable(body_type, payload)
    return body


def decode_alert(kind: str, payload: Mapping[str, Any]) -> AlertBody:
    """``decode`` for a kind that must be an alert or a digest (TypeError for a dashboard)."""
    body = decode(kind, payload)
    if isinstance(body, DashboardBody):
        raise TypeError("a dashboard update is not an alert")
    return body


def unfold(folded: Folded) -> AlertBody:
    """The typed body of a folded alert."""
    return decode_alert(folded.kind, folded.body)


def board_events(snapshot: Snapshot) -> list[Event]:
    """A SectorAlert per board member whose zone was confirmed on the snapshot's session
    (non-urgent: folded into the day's one message)."""
    out: list[Event] = []
    for board in snapshot.boards.values():
        for row in sorted(board.rows, key=lambda r: r.symbol):
            current = row.trail.current if row.trail is not None else None
            if not row.entered or row.zone is None or current is None:
                continue
            body = SectorAlert(
                session=snapshot.session, board=board.name, symbol=row.symbol, name=row.name,
                benchmark=board.benchmark, zone=row.zone, previous=row.previous_zone,
                quadrant=current.quadrant, strength=current.strength,
                momentum=current.momentum, band=board.band, confirm=board.confirm,
            )  # fmt: skip
            key = f"sector:{board.name}:{row.symbol}:{snapshot.session.isoformat()}"
            out.append(
                Event(key=key, kind="sector", rule_id=f"board:{board.name}",
                      pair=f"{row.symbol}/{board.benchmark}", session=snapshot.session,
                      urgent=False, body=body)
            )  # fmt: skip
    return out


def rotation_map(snapshot: Snapshot, board: str) -> RotationMap | None:
    """The weekly rotation map of ``board`` as of the snapshot (None without members)."""
    stats = snapshot.boards.get(board)
    if stats is None:
        return None
    members = []
    for row in stats.rows:
        trail = row.trail
        if trail is None or trail.current is None:
            continue
        points = trail.tail or (trail.current,)
        start = points[-2].quadrant if len(points) > 1 else None
        members.append(MapMember(row.symbol, row.name, points, start, trail.current.quadrant))
    if not members:
        return None
    return RotationMap(
        session=snapshot.session, board=stats.name, label=stats.label,
        benchmark=stats.benchmark, members=tuple(members),
    )  # fmt: skip


def map_events(snapshot: Snapshot) -> list[Event]:
    """One rotation-map event per board (the caller decides it is the week's last session)."""
    out: list[Event] = []
    for name in snapshot.boards:
        body = rotation_map(snapshot, name)
        if body is None:
            continue
        out.append(
            Event(
                key=f"rotation_map:{name}:{snapshot.session.isoformat()}", kind="rotation_map",
                rule_id=f"board:{name}", pair=None, session=snapshot.session, urgent=False,
                body=body,
            )
        )  # fmt: skip
    return out


def board_events_over(
    closes: pd.DataFrame, universe: Universe, sessions: Sequence[dt.date]
) -> dict[dt.date, list[Event]]:
    """``board_events`` of every session in ``sessions`` at once (the replay's vectorised
    path): the same alerts, from one pass over each board's history."""
    wanted = set(sessions)
    out: dict[dt.date, list[Event]] = {}
    for board in universe.boards.values():
        ratio = board_ratio(closes, board.symbols, board.benchmark)
        if ratio.empty or len(ratio.columns) == 0:
            continue
        strength, momentum = strength_momentum(ratio, universe.quadrant)
        s_arr, m_arr = strength.to_numpy(), momentum.to_numpy()
        zone, changed = confirmed_zones(zone_codes(s_arr, m_arr, board.band), board.confirm)
        quads = quadrant_codes(s_arr, m_arr)
        names = dict(board.members)
        dates = [to_date(ts) for ts in pd.DatetimeIndex(ratio.index)]
        for r in range(len(dates)):
            if dates[r] not in wanted or not changed[r].any():
                continue
            columns = [str(col) for col in ratio.columns]
            for c in sorted(np.flatnonzero(changed[r]).tolist(), key=lambda c: columns[c]):
                symbol = columns[c]
                previous = {1: "leading", -1: "lagging"}.get(int(zone[r - 1, c])) if r else None
                body = SectorAlert(
                    session=dates[r], board=board.name, symbol=symbol, name=names[symbol],
                    benchmark=board.benchmark,
                    zone="leading" if zone[r, c] > 0 else "lagging", previous=previous,
                    quadrant=QUADRANTS[int(quads[r, c])], strength=float(s_arr[r, c]),
                    momentum=float(m_arr[r, c]), band=board.band, confirm=board.confirm,
                )  # fmt: skip
                key = f"sector:{board.name}:{symbol}:{dates[r].isoformat()}"
                out.setdefault(dates[r], []).append(
                    Event(key=key, kind="sector", rule_id=f"board:{board.name}",
                          pair=f"{symbol}/{board.benchmark}", session=dates[r], urgent=False,
                          body=body)
                )  # fmt: skip
    return out
