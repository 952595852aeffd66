"""The one way operators hear about problems: every report goes through ``OperatorReports``.

Reports are deduplicated by signature (the same error from the same place, the same stale
session): one per REPORT_WINDOW_SECONDS, the next one carrying the count of the repeats held
back. At most REPORTS_PER_WINDOW reports of any signature go out per window, so a flood of
distinct errors cannot turn into a flood of operator messages either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.commands.flood import FloodGuard
from bot.delivery.throttle import Throttle

if TYPE_CHECKING:  # telegram is imported where a report is sent: offline faces never load it
    import telegram

log = logging.getLogger(__name__)

REPORT_WINDOW_SECONDS = 600.0
REPORTS_PER_WINDOW = 10
#: A failing connection to Telegram is logged once per kind per this many seconds.
TROUBLE_LOG_SECONDS = 600.0


class OperatorReports:
    """Deduplicated, rate-limited operator messages (and throttled Telegram-trouble logs)."""

    def __init__(
        self,
        window: float = REPORT_WINDOW_SECONDS,
        per_window: int = REPORTS_PER_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.same = Throttle(window, clock)
        self.overall = FloodGuard(per_window, window, clock)
        self.trouble = Throttle(TROUBLE_LOG_SECONDS, clock)
        self.held_overall = 0

    def admit(self, signature: str) -> str | None:
        """None to stay quiet; else a footer (possibly empty) naming the repeats held back."""
        held = self.same.admit(signature)
        if held is None:
            return None
        if self.overall.check(0):
            self.held_overall += 1 + held
            return None
        notes = []
        if held:
            notes.append(f"{held} more like this since the last report")
        if self.held_overall:
            notes.append(f"{self.held_overall} other report(s) held back by the rate limit")
            self.held_overall = 0
        return f"\n<i>({'; '.join(notes)})</i>" if notes else ""

    async def send(
        self, bot: telegram.Bot, operators: frozenset[int], signature: str, html: str
    ) -> int:
        """Send ``html`` to every operator unless ``signature`` was reported within the
        window (or too many reports went out); return how many operators got it."""
        footer = self.admit(signature)
        if footer is None:
            log.info("operator report %s held back (repeat or rate limit)", signature)
            return 0
        # start-up cost: services hold the reports, and the offline faces never load telegram
        from telegram.constants import ParseMode
        from telegram.error import TelegramError

        told = 0
        for user_id in sorted(operators):
            try:
                await bot.send_message(user_id, html + footer, parse_mode=ParseMode.HTML)
                told += 1
            except TelegramError as exc:
                log.warning("cannot tell operator %s: %s", user_id, exc)
        return told
