"""Numbers the whole project shares, each named once (analytics is importable everywhere).

Sessions are NYSE trading sessions, not calendar days.
"""

from __future__ import annotations

#: Sessions in a trading year: the "1y" horizon, 52-week ranges, the one-year windows of
#: stretch, spread z-scores and regime bands, the chart span.
YEAR_SESSIONS = 252
#: Stretch: z-score of log R over STRETCH_WINDOW sessions; |z| above the limit is "stretched".
STRETCH_WINDOW = YEAR_SESSIONS
STRETCH_LIMIT = 2.0
