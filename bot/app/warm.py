"""Warm start: answer /rotation once, offline, before the first user asks.

A cold first /rotation pays for the snapshot (stored one parsed, or built from 2000 symbols'
closes), the closes frame, the lead pair's series and its chart (matplotlib imported, fonts
loaded). ``warm_up`` pays it at start-up (started in the background by ``bot.app.builder``'s
post_init, so start-up and the scheduler's catch-up are not delayed) and after each daily run
(the new session's snapshot and chart), so users meet warm caches.
"""

from __future__ import annotations

import logging
import time

from bot.commands.dispatch import run_command
from bot.commands.registry import ChatType, Request, UserError, find
from bot.handlers import COMMANDS
from bot.services import Services

log = logging.getLogger(__name__)

WARM_COMMAND = "rotation"


async def warm_up(services: Services) -> float | None:
    """Run /rotation as a console request (charts on) to fill every cache it reads.

    Returns the seconds it took, or None when there was nothing to warm (no prices stored
    yet) or it failed: a failed warm-up is logged and never stops the bot.
    """
    command = find(COMMANDS, WARM_COMMAND)
    if command is None:
        return None
    request = Request(services=services, command=WARM_COMMAND, args=(), raw_args="",
                      chat_id=0, chat_type=ChatType.CONSOLE, user_id=None)  # fmt: skip
    start = time.perf_counter()
    try:
        await run_command(command, request)
    except UserError as exc:
        log.info("warm-up skipped: %s", exc.message)
        return None
    except Exception:  # a cold cache is slower, not broken: start anyway
        log.warning("warm-up failed; the first answers will be slower", exc_info=True)
        return None
    seconds = time.perf_counter() - start
    log.info("warm-up: /%s answered in %.2f s", WARM_COMMAND, seconds)
    return seconds
