"""Inline queries (``@bot IWM/SPY`` in any chat): answered from stored data within a budget."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # telegram (and bot.inline, which builds its results) are imported where
    # they are used: the offline faces never load them
    from telegram import Update
    from telegram.ext import Application

    from bot.context import BotContext
    from bot.inline import InlineAnswer

log = logging.getLogger(__name__)
# Answers that ran past the budget and are finishing in the background (kept referenced).
_LATE: set[asyncio.Future[InlineAnswer]] = set()


def _finished(work: asyncio.Future[InlineAnswer]) -> None:
    _LATE.discard(work)
    if not work.cancelled() and work.exception() is not None:
        log.warning("a late inline answer failed: %s", work.exception())


async def on_inline_query(update: Update, context: BotContext) -> None:
    """Answer within INLINE_BUDGET seconds; anything slower or broken gets no results."""
    from bot.inline import INLINE_BUDGET, answer_query, nothing

    query = update.inline_query
    if query is None:
        return
    services = context.services
    answer: InlineAnswer
    work = asyncio.ensure_future(answer_query(services, query.query, services.clock()))
    try:
        # Shielded: past the budget the user gets no results now, and the work (a snapshot
        # built cold, say) still finishes and fills the caches for the next query.
        answer = await asyncio.wait_for(asyncio.shield(work), INLINE_BUDGET)
    except TimeoutError:
        log.warning("inline query took longer than %.0f s; answered with no results", INLINE_BUDGET)
        _LATE.add(work)
        work.add_done_callback(_finished)
        answer = nothing()
    except Exception:  # a bug must not leave the user with a spinner: log it, answer empty
        log.exception("inline query failed; answered with no results")
        answer = nothing()
    await query.answer(
        answer.results, cache_time=answer.cache_time, button=answer.button, is_personal=False
    )


def install(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the inline query handler."""
    from telegram.ext import InlineQueryHandler

    app.add_handler(InlineQueryHandler(on_inline_query))
