"""Say the same thing once per window: one pass per signature, with a count of the repeats."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Seen:
    passed_at: float
    held: int = 0


class Throttle:
    """Lets one event per ``signature`` through every ``window`` seconds and counts the rest.

    ``admit`` answers None for a repeat inside the window (it is counted), otherwise how many
    repeats were held back since the last one let through (0 the first time).
    """

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._seen: dict[str, _Seen] = {}

    def admit(self, signature: str) -> int | None:
        """None to stay quiet, else the number of repeats held back since the last pass."""
        now = self.clock()
        seen = self._seen.get(signature)
        if seen is not None and now - seen.passed_at < self.window:
            seen.held += 1
            return None
        held = seen.held if seen is not None else 0
        self._seen[signature] = _Seen(now)
        if len(self._seen) > 1000:  # forget the oldest signatures; a bounded memory
            oldest = sorted(self._seen, key=lambda k: self._seen[k].passed_at)[:500]
            for key in oldest:
                del self._seen[key]
        return held
