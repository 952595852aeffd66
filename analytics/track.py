"""Track record of flips: how the new leader did 5, 20 and 60 sessions after each flip.

Every forward return is stated in the new leader's favour: the return of (new leader / old
leader) from the flip close to h valid ratio closes later, i.e. R(t+h) / R(t) - 1 after an
"A" flip and R(t) / R(t+h) - 1 after a "B" flip. Positive = the new leader extended its lead.
A hit is a positive forward return; the count, hits and mean per horizon are computed from
exactly those numbers (the ones /history prints). A window that reaches past the next flip
(the regime had already turned again) is marked ``overlaps``; it still counts, and renderers
say how many there are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.frames import opt
from analytics.types import TRACK_HORIZONS, Flip, FlipOutcome, TrackRecord


def track_record(
    ratio: pd.Series, flips: Sequence[Flip], horizons: tuple[int, ...] = TRACK_HORIZONS
) -> TrackRecord:
    """Outcomes of every flip and the summary per horizon, from the ratio series (<= asof)."""
    valid = ratio.dropna()
    values = valid.to_numpy(dtype="float64")
    positions = valid.index.get_indexer(pd.to_datetime([f.date for f in flips]))
    following = [*positions[1:], np.iinfo(np.int64).max][: len(flips)]
    outcomes: list[FlipOutcome] = []
    for flip, pos, nxt in zip(flips, positions, following, strict=True):
        sign = 1.0 if flip.direction == "A" else -1.0
        known = [pos >= 0 and pos + h < len(values) for h in horizons]
        forward = tuple(
            opt((values[pos + h] / values[pos]) ** sign - 1.0) if ok else None
            for h, ok in zip(horizons, known, strict=True)
        )
        overlaps = tuple(bool(ok and nxt <= pos + h) for h, ok in zip(horizons, known, strict=True))
        outcomes.append(FlipOutcome(flip.date, flip.direction, forward, overlaps))
    counts: dict[str, int] = {}
    hits: dict[str, int] = {}
    means: dict[str, float | None] = {}
    overlapping: dict[str, int] = {}
    for i, h in enumerate(horizons):
        shown = np.array([o.forward[i] for o in outcomes if o.forward[i] is not None])
        counts[str(h)] = len(shown)
        hits[str(h)] = int(np.count_nonzero(shown > 0))
        means[str(h)] = float(np.mean(shown)) if len(shown) else None
        overlapping[str(h)] = sum(1 for o in outcomes if o.overlaps[i])
    return TrackRecord(horizons, tuple(outcomes), counts, hits, means, overlapping)
