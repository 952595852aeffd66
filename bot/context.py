"""Typed state of the Application: what its callbacks share, and the context that exposes it.

The composition root (``bot.app.build_application``) builds the Application with
``CONTEXT_TYPES`` and fills ``BotData`` once, before any update or job runs; callbacks read
``context.services`` and ``context.bot_data.sender``, typed, never by a string key.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.registry import Command
    from bot.sender import Sender
    from bot.services import Services


class BotData:
    """What every callback of one Application shares (set by the root at build time)."""

    services: Services
    #: Delivers the outbox through this Application's bot (one per bot: one rate limiter).
    sender: Sender
    #: The registry's commands, for ``set_my_commands`` at start-up.
    commands: tuple[Command, ...]

    def __init__(self) -> None:
        #: Sessions whose stale data the operators were already told about.
        self.stale_told: set[dt.date] = set()
        #: Stops run_polling/run_webhook (set by them; None when tests drive the Application).
        self.stop: Callable[[], None] | None = None
        #: The start-up warm-up running in the background (bot.warm; None before post_init).
        self.warming: asyncio.Task[float | None] | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """PTB's callback context with typed access to the shared services."""

    @property
    def services(self) -> Services:
        """The Services the Application was built with."""
        return self.bot_data.services


CONTEXT_TYPES: ContextTypes[BotContext, dict[Any, Any], dict[Any, Any], BotData] = ContextTypes(
    context=BotContext, bot_data=BotData
)

#: The Application as built by the root.
BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
