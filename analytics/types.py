"""The analytics data contract: specs that configure it and value objects it returns.

Frozen dataclasses of stdlib types only, so every value is JSON-friendly once dates are ISO
strings (see ``analytics.serde``). Units: returns, ratio returns and distances are fractions
(0.05 = 5 %); spreads are percentage points (pp, 5.0 = 5 pp); yield changes are basis points;
windows are counted in sessions (rows of the price frame), never calendar days. ``None`` means
"not enough data", never zero.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from analytics.constants import YEAR_SESSIONS
from analytics.serde import from_jsonable, to_jsonable

#: Return horizons, in display order.
HORIZONS: tuple[str, ...] = ("1d", "1w", "1m", "3m", "ytd", "1y")
#: Sessions back per horizon; ``None`` = year to date (from the previous year's last close).
HORIZON_SESSIONS: Mapping[str, int | None] = {
    "1d": 1,
    "1w": 5,
    "1m": 21,
    "3m": 63,
    "ytd": None,
    "1y": YEAR_SESSIONS,
}
#: Forward windows (sessions) of the flip track record.
TRACK_HORIZONS: tuple[int, ...] = (5, 20, 60)
#: Fewer flips than this with a known outcome: the track record carries a small-sample caveat.
TRACK_MIN_SAMPLE = 10
#: Yields quoted in percent: report changes in basis points, not returns.
YIELD_SYMBOLS: frozenset[str] = frozenset({"^TNX", "^IRX", "^FVX", "^TYX"})
#: Volatility indexes: levels, reported as changes in points, not returns.
VOLATILITY_SYMBOLS: frozenset[str] = frozenset({"^VIX", "^VXN", "^VVIX", "^RVX", "^VIX3M"})
#: What a series is: a price (returns, drawdown), a yield (bp) or a volatility level (points).
SeriesKind = Literal["price", "yield", "volatility"]

Side = Literal["A", "B"]
QuadrantName = Literal["leading", "weakening", "lagging", "improving"]
RuleKind = Literal[
    "flip", "breadth", "threshold", "quadrant", "stretch", "spread_move", "sector", "rotation_map"
]
RuleOp = Literal[">", "<", ">=", "<="]


class UnknownSymbol(KeyError):
    """A symbol (or basket) with no closes in the price frame up to ``asof``."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        super().__init__(symbol)


class UnknownPair(KeyError):
    """A pair key that is not in the universe."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


# ----------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegimeParams:
    """Hysteresis regime settings: band, confirming closes, trend window (sessions).

    ``band`` is a fixed band (fraction, 0.01 = 1 %); ``None`` scales it to the pair's own
    volatility: max(``band_floor``, ``band_sigmas`` x the daily standard deviation of log R
    over the last 252 sessions). See ``analytics.regime``.
    """

    band: float | None = None
    confirm: int = 3
    window: int = 50
    band_sigmas: float = 2.0
    band_floor: float = 0.005


@dataclass(frozen=True)
class PairSpec:
    """A pair: challenger ``a`` against benchmark ``b`` (symbols or basket names)."""

    a: str
    b: str
    label: str
    regime: RegimeParams = RegimeParams()
    theme: str = ""

    @property
    def key(self) -> str:
        """'A/B', e.g. 'IWM/SPY'."""
        return f"{self.a}/{self.b}"

    @property
    def theme_key(self) -> str:
        """The theme this pair belongs to: the key of its head pair (its own key by default).

        Pairs of one theme measure one thing (IWM/SPY and the index pair ^RUT/^GSPC): the score
        counts the theme once and their events of one session arrive as one alert."""
        return self.theme or self.key


@dataclass(frozen=True)
class BasketSpec:
    """An equal-weight, daily-rebalanced basket of member symbols.

    ``min_share``: the basket has a level on a session only when at least this share of its
    members closed that session (coverage is reported, missing members are never filled in).
    """

    name: str
    label: str
    members: tuple[str, ...]
    min_share: float = 0.75

    @property
    def min_members(self) -> int:
        """How many members must have a close for the basket to have a level."""
        return max(1, math.ceil(self.min_share * len(self.members) - 1e-9))


@dataclass(frozen=True)
class QuadrantParams:
    """Strength-quadrant windows, in sessions (daily rows).

    strength = 100 * R / EMA_ema(R) (EMA span ``ema``, i.e. alpha = 2 / (ema + 1));
    momentum = 100 * strength / strength shifted ``momentum_shift`` sessions.
    Defaults: 50 sessions (about 10 weeks) and 10 sessions (two weeks). Tails are sampled at
    the last real session of each week, ``tail_weeks`` points ending at the snapshot session.
    """

    ema: int = 50
    momentum_shift: int = 10
    tail_weeks: int = 6


@dataclass(frozen=True)
class BoardSpec:
    """Symbols read on the strength quadrant against one benchmark (the sector board).

    ``members`` are (symbol, display name) in the file's order. Its alerts: a member
    entering leading or lagging once strength and momentum both sit beyond 100 by ``band``
    index points for ``confirm`` sessions in a row (``analytics.boards``).
    """

    name: str
    label: str
    benchmark: str
    members: tuple[tuple[str, str], ...]
    band: float = 0.5
    confirm: int = 4

    @property
    def symbols(self) -> tuple[str, ...]:
        """The member symbols, in order."""
        return tuple(symbol for symbol, _ in self.members)


@dataclass(frozen=True)
class Universe:
    """Everything the snapshot covers: pairs, baskets, headline and context symbols, presets."""

    pairs: tuple[PairSpec, ...]
    baskets: tuple[BasketSpec, ...] = ()
    headline: tuple[str, ...] = ("^RUT", "^GSPC", "^IXIC")
    context: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    benchmark: str = "SPY"
    lead_pair: str = "IWM/SPY"
    breadth_pairs: tuple[str, ...] = ("RSP/SPY", "IJR/SPY")
    participation_pair: str | None = "RSP/SPY"
    presets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    quadrant: QuadrantParams = QuadrantParams()
    boards: Mapping[str, BoardSpec] = field(default_factory=dict)
    #: The presets the scoreboard and the dashboard count (None: every preset).
    scoreboard: tuple[str, ...] | None = None

    def scoreboard_presets(self) -> dict[str, tuple[str, ...]]:
        """The presets counted on the scoreboard, in file order."""
        names = self.presets if self.scoreboard is None else self.scoreboard
        return {k: tuple(self.presets[k]) for k in names if k in self.presets}

    def subscribable(self) -> tuple[str, ...]:
        """Every name /subscribe takes: presets, then boards."""
        return (*self.presets, *(b for b in self.boards if b not in self.presets))

    def pair(self, key: str) -> PairSpec:
        """The pair with this key; raise UnknownPair."""
        for spec in self.pairs:
            if spec.key == key:
                return spec
        raise UnknownPair(key)

    def basket(self, name: str) -> BasketSpec | None:
        """The basket with this name, or None when ``name`` is a plain symbol."""
        for spec in self.baskets:
            if spec.name == name:
                return spec
        return None

    def all_symbols(self) -> tuple[str, ...]:
        """Every real symbol needed (basket legs expanded to members), first-seen order."""
        basket_names = {b.name for b in self.baskets}
        seen: dict[str, None] = {}
        legs = [leg for p in self.pairs for leg in (p.a, p.b)]
        candidates = [*self.headline, *self.context, *legs, *self.members, self.benchmark]
        for board in self.boards.values():
            candidates += [*board.symbols, board.benchmark]
        for symbol in candidates:
            if symbol not in basket_names:
                seen.setdefault(symbol, None)
        for basket in self.baskets:
            for symbol in basket.members:
                seen.setdefault(symbol, None)
        return tuple(seen)


# ----------------------------------------------------------------------------------------
# Snapshot value objects
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SymbolStats:
    """Returns and 52-week range of one symbol as of its last close on or before ``asof``.

    ``kind`` says what the series is. ``returns`` are fractions per horizon (None for levels
    and where history is short); ``changes_bp`` are yield changes in basis points and
    ``changes_pts`` volatility changes in index points (empty otherwise). For levels
    ``off_high``, ``off_low`` and ``max_drawdown_1y`` are None: a level has no drawdown.
    ``off_high`` is close / 52w high - 1 (<= 0), ``off_low`` close / 52w low - 1 (>= 0).
    ``total_return`` is False for caret indexes and levels (price level only).
    ``max_drawdown_1y`` is the worst peak-to-trough fall (fraction, <= 0) over 252 sessions.
    """

    symbol: str
    last_date: dt.date
    last_close: float
    returns: dict[str, float | None]
    high_52w: float | None
    low_52w: float | None
    off_high: float | None
    off_low: float | None
    max_drawdown_1y: float | None
    total_return: bool
    is_yield: bool = False
    changes_bp: dict[str, float | None] = field(default_factory=dict)
    kind: SeriesKind = "price"
    changes_pts: dict[str, float | None] = field(default_factory=dict)
    gaps: dict[str, int] = field(default_factory=dict)

    @property
    def is_level(self) -> bool:
        """A yield or volatility level: changes, never returns, drawdowns or spreads."""
        return self.kind != "price"


@dataclass(frozen=True)
class Flip:
    """A confirmed regime change: ``direction`` is the side that now leads.

    ``ratio`` and ``trend`` are R and its regime trend (geometric ``window``-session mean) on
    the confirming close, ``band`` the band in force then; ``prev_sessions`` is how many
    sessions the previous regime lasted (None when there was none).
    """

    date: dt.date
    direction: Side
    ratio: float
    trend: float
    prev_sessions: int | None
    band: float | None = None

    @property
    def vs_trend(self) -> float:
        """R / trend - 1 on the confirming close (fraction)."""
        return self.ratio / self.trend - 1.0


@dataclass(frozen=True)
class Regime:
    """The current regime: who leads since when, and the hysteresis settings behind it.

    ``sessions`` counts valid ratio closes since the regime began (the flip close is 1).
    ``pending`` counts consecutive closes already beyond the opposite band (0..confirm-1);
    ``pending_side`` is the side they point to. ``trend`` is the regime trend (geometric
    ``window``-session mean of R) on the last close; ``band`` the band in force there (None
    before a scaled band has enough history), ``scaled`` whether it follows the pair's
    volatility rather than a fixed setting.
    """

    state: Side | None
    since: dt.date | None
    sessions: int
    pending: int
    pending_side: Side | None
    trend: float | None
    band: float | None
    confirm: int
    window: int
    scaled: bool = False


@dataclass(frozen=True)
class FlipOutcome:
    """How the new leader did after one flip: returns in its favour, fractions.

    ``forward[i]`` is the return of new leader / old leader over ``TRACK_HORIZONS[i]``
    sessions after the flip close (positive = it extended its lead; None = not yet known);
    ``overlaps[i]`` is True when that window reaches past the next flip.
    """

    date: dt.date
    direction: Side
    forward: tuple[float | None, ...]
    overlaps: tuple[bool, ...] = ()


@dataclass(frozen=True)
class TrackRecord:
    """How past flips played out, per horizon ("5", "20", "60"), from the outcomes shown.

    ``counts``: flips with a known forward return; ``hits``: of those, how many were positive
    (the new leader gained); ``means``: their mean (fraction); ``overlapping``: windows that
    reach past the next flip. Every figure is computed from exactly ``outcomes``' numbers.
    """

    horizons: tuple[int, ...]
    outcomes: tuple[FlipOutcome, ...]
    counts: dict[str, int]
    hits: dict[str, int]
    means: dict[str, float | None]
    overlapping: dict[str, int] = field(default_factory=dict)

    @property
    def hit_rates(self) -> dict[str, float | None]:
        """hits / counts per horizon (None without a known outcome)."""
        return {h: (self.hits[h] / n if n else None) for h, n in self.counts.items()}


@dataclass(frozen=True)
class PairStats:
    """Everything about one pair A/B as of its last common close.

    ``spreads_pp``: ret(A) - ret(B) in percentage points per horizon; ``ratio_returns``: return
    of R = A/B per horizon (fraction). ``ratio_vs_trend``: R / T - 1 (fraction), T the regime
    trend (the geometric ``regime.window``-session mean of R, the one the regime is decided
    on); ``ratio_vs_trend200`` the same against the 200-session geometric mean.
    ``spread_change_1d_pp``: today's 1-session spread (pp) and ``spread_change_z`` its z-score
    against the last 252 daily spreads. ``rel20_percentile``: percentile (0..100) of today's
    20-session ratio return within the last 252 values. ``stretch_z``: z-score of log R against
    its 252-session mean and sample deviation (swapping A and B negates it exactly).
    ``strength`` / ``momentum`` / ``quadrant``: see QuadrantParams. ``raw_crosses``: how many
    times R crossed its regime trend without band or confirmation (for comparison with flips).
    ``theme``: the key of the theme's head pair (see ``PairSpec.theme_key``).
    ``gaps``: per horizon whose spread is known, how many sessions inside its window have no
    close of one leg or both (a halt, a dropped row; the spread is then measured from the
    last common close before them); horizons without such a session are left out.
    ``gap_legs``: the legs that have no close on some of those sessions.
    """

    key: str
    a: str
    b: str
    label: str
    last_date: dt.date
    a_total_return: bool
    b_total_return: bool
    ratio: float
    spreads_pp: dict[str, float | None]
    ratio_returns: dict[str, float | None]
    ratio_vs_trend: float | None
    ratio_vs_trend200: float | None
    spread_change_1d_pp: float | None
    spread_change_z: float | None
    rel20_percentile: float | None
    regime: Regime
    flips: tuple[Flip, ...]
    raw_crosses: int
    stretch_z: float | None
    stretched: bool
    stretched_prev: bool | None
    quadrant: str | None
    quadrant_prev: str | None
    strength: float | None
    momentum: float | None
    track: TrackRecord
    theme: str = ""
    gaps: dict[str, int] = field(default_factory=dict)
    gap_legs: tuple[str, ...] = ()

    @property
    def mixed_basis(self) -> bool:
        """True when one leg is price return and the other total return."""
        return self.a_total_return != self.b_total_return


@dataclass(frozen=True)
class BasketStats:
    """An equal-weight basket: members with a close on the snapshot's session out of all
    members (``coverage`` of ``size``; ``missing`` the others). ``last_date`` is the basket's
    last session with a level (before the snapshot's session when too few members closed);
    ``level`` and ``returns`` are as of that date."""

    name: str
    label: str
    members: tuple[str, ...]
    coverage: int
    size: int
    missing: tuple[str, ...]
    level: float | None
    returns: dict[str, float | None]
    last_date: dt.date | None = None
    min_members: int = 1


@dataclass(frozen=True)
class Breadth:
    """Breadth as participation, and whether the lead pair's lead is confirmed by it.

    ``state`` comes from the participation pair (equal weight / cap weight, RSP/SPY): "broad"
    while equal weight leads, "narrow" while cap weight leads, None without that pair or
    before its first regime (then no breadth line is shown). ``confirmation`` says whether
    the breadth pairs (RSP/SPY, IJR/SPY) lead the same way as the lead pair (IWM/SPY):
    "confirmed" or "not confirmed", None when the lead pair has no regime or no breadth pair
    is configured. ``detail`` maps each pair involved -> its regime state. ``excluded``
    names pairs involved that have no close on the session: they count as having no regime.
    """

    state: Literal["broad", "narrow"] | None
    participation_pair: str | None
    lead_pair: str
    lead_state: Side | None
    confirmation: Literal["confirmed", "not confirmed"] | None
    detail: dict[str, str | None]
    confirm_pairs: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def confirms(self, side: Side | None) -> Literal["confirmed", "not confirmed"] | None:
        """Whether every confirming pair (breadth pairs and lead pair) leads towards ``side``."""
        if side is None or not self.confirm_pairs:
            return None
        agree = all(self.detail.get(k) == side for k in self.confirm_pairs)
        return "confirmed" if agree else "not confirmed"


@dataclass(frozen=True)
class Scoreboard:
    """How many preset themes and horizons favour the challenger (A), and what changed.

    Each theme counts once, through its head pair (IWM/SPY stands for itself and its context
    pair ^RUT/^GSPC): ``themes`` lists the head pairs counted. ``themes_favouring_challenger``
    counts heads whose regime is "A" out of ``themes_total`` heads with a regime.
    ``per_horizon[h]`` counts heads with a positive spread at horizon h out of
    ``per_horizon_total[h]``; ``horizons_favouring`` counts horizons where more than half of
    the heads favour A, out of ``horizons_total`` horizons with data. ``prev_*`` are the same
    counts one session earlier; ``changed_pairs`` lists preset pairs whose regime differs.
    ``excluded`` names preset pairs left out because they have no close on the session and
    no fresh pair of their theme stands for them.
    """

    themes_favouring_challenger: int
    themes_total: int
    horizons_favouring: int
    horizons_total: int
    per_horizon: dict[str, int]
    per_horizon_total: dict[str, int]
    prev_session: dt.date | None
    prev_themes_favouring_challenger: int | None
    prev_horizons_favouring: int | None
    changed_pairs: tuple[str, ...]
    themes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuadrantPoint:
    """One point of a strength quadrant trail, on a real session."""

    date: dt.date
    strength: float
    momentum: float
    quadrant: QuadrantName


@dataclass(frozen=True)
class QuadrantTrail:
    """A symbol or pair on the strength quadrant: current point, weekly tail, transition.

    ``previous`` is the quadrant before the current one, ``since`` the first session of the
    current quadrant and ``sessions`` how many sessions it has held (``since`` counts 1).
    """

    key: str
    benchmark: str
    current: QuadrantPoint | None
    tail: tuple[QuadrantPoint, ...]
    previous: str | None
    since: dt.date | None
    sessions: int = 0


@dataclass(frozen=True)
class BoardRow:
    """One board member on the session: its quadrant trail (the /quadrant numbers), its
    spread against the board's benchmark per horizon (pp; 1w, 1m, 3m), and its confirmed
    zone (``analytics.boards``): "leading" or "lagging" once confirmed, None before;
    ``zone_since`` the session it was confirmed, ``entered`` True when that is this session.
    ``last_date`` is the member's last close (before the session when it is late)."""

    symbol: str
    name: str
    trail: QuadrantTrail | None
    spreads_pp: dict[str, float | None]
    zone: str | None = None
    zone_since: dt.date | None = None
    entered: bool = False
    previous_zone: str | None = None
    last_date: dt.date | None = None


@dataclass(frozen=True)
class BoardStats:
    """A board as of the snapshot's session: its members, leaders first (leading, weakening,
    improving, lagging; then by strength), and the band and confirmation behind its alerts."""

    name: str
    label: str
    benchmark: str
    session: dt.date
    rows: tuple[BoardRow, ...]
    band: float
    confirm: int


@dataclass(frozen=True)
class Snapshot:
    """All analytics for a universe as of ``asof``; ``session`` is the last session <= asof.

    ``stale`` lists symbols whose last close is before ``session``; ``missing`` lists
    universe symbols with no close at all. ``stale_pairs`` maps each universe pair that is
    not computable on ``session`` (a leg has no close that session, or a basket leg too few
    member closes) to its last common close (None: never); such pairs keep their figures in
    ``pairs`` as of that date, but are left out of the scoreboard, breadth and alerts.
    Use ``to_dict`` / ``from_dict`` to store it.
    """

    asof: dt.date
    session: dt.date
    symbols: dict[str, SymbolStats]
    pairs: dict[str, PairStats]
    baskets: dict[str, BasketStats]
    breadth: Breadth
    scoreboard: Scoreboard
    quadrants: dict[str, QuadrantTrail]
    quadrant_params: QuadrantParams
    presets: dict[str, tuple[str, ...]]
    lead_pair: str
    stale: tuple[str, ...]
    missing: tuple[str, ...]
    stale_pairs: dict[str, dt.date | None] = field(default_factory=dict)
    boards: dict[str, BoardStats] = field(default_factory=dict)

    def is_fresh(self, pair: str) -> bool:
        """True when the pair has a close of both legs on the snapshot's session."""
        return pair in self.pairs and pair not in self.stale_pairs

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (dates as ISO strings, NaN as None)."""
        out: dict[str, Any] = to_jsonable(self)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        """Inverse of ``to_dict``: ``Snapshot.from_dict(s.to_dict()) == s``."""
        snap: Snapshot = from_jsonable(cls, data)
        return snap


# ----------------------------------------------------------------------------------------
# Rules and events
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """An alert rule.

    kinds: "flip" (regime change of ``pair``), "breadth" (broad <-> narrow), "threshold"
    (``metric`` ``op`` ``value``, edge-triggered, re-armed once the metric is back past
    ``value`` by ``hysteresis`` in the metric's units), "quadrant" (quadrant transition of a
    pair or of a quadrant member symbol), "stretch" (stretched entered or left), "spread_move"
    (|1-session spread| >= ``value`` pp). ``pair=None`` on a pair rule means every pair.
    """

    id: str
    kind: RuleKind
    pair: str | None = None
    metric: str | None = None
    op: RuleOp | None = None
    value: float | None = None
    hysteresis: float = 0.0
