"""Track record of flips: the ratio's return 5, 20 and 60 sessions after each flip.

Forward returns are fractions of R = A / B counted over valid ratio closes after the flip
close; a hit is a move in the flip's direction (up after "A", down after "B").
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
    """Outcomes of every flip and hit rates per horizon, from the ratio series (<= asof)."""
    valid = ratio.dropna()
    values = valid.to_numpy(dtype="float64")
    positions = valid.index.get_indexer(pd.to_datetime([f.date for f in flips]))
    outcomes: list[FlipOutcome] = []
    for flip, pos in zip(flips, positions, strict=True):
        forward = tuple(
            opt(values[pos + h] / values[pos] - 1.0) if pos >= 0 and pos + h < len(values) else None
            for h in horizons
        )
        outcomes.append(FlipOutcome(flip.date, flip.direction, forward))
    hit_rates: dict[str, float | None] = {}
    mean_signed: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for i, h in enumerate(horizons):
        known = [(o.forward[i], o.direction) for o in outcomes]
        signed = np.array([f if d == "A" else -f for f, d in known if f is not None])
        counts[str(h)] = len(signed)
        hit_rates[str(h)] = float(np.mean(signed > 0)) if len(signed) else None
        mean_signed[str(h)] = float(np.mean(signed)) if len(signed) else None
    return TrackRecord(horizons, tuple(outcomes), hit_rates, mean_signed, counts)
