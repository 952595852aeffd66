"""A sliding window of recent uses per key: at most ``limit`` in any ``window`` seconds.

Three guards are built from it: the per-user rate of commands and button presses
(``Services.rate``, checked by ``bot.app.builder.rate_gate``), the chart flood guard
(``Services.flood``, checked when a chart is drawn) and the cap on operator reports per window
(``bot.delivery.reports.OperatorReports``). The defaults are the chart guard's."""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable

CHART_LIMIT = 5
CHART_WINDOW_SECONDS = 30.0


class FloodGuard:
    """At most ``limit`` uses per key (a user, a chat) in any ``window`` seconds."""

    def __init__(
        self,
        limit: int = CHART_LIMIT,
        window: float = CHART_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._uses: dict[int, collections.deque[float]] = {}

    def check(self, user_id: int) -> int:
        """0 when the user may go ahead (the use is counted), else seconds to wait."""
        now = self.clock()
        uses = self._uses.setdefault(user_id, collections.deque())
        while uses and now - uses[0] >= self.window:
            uses.popleft()
        if len(uses) >= self.limit:
            return max(1, math.ceil(self.window - (now - uses[0])))
        uses.append(now)
        return 0
