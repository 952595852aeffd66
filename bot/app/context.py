"""Typed state of the Application: what its callbacks share, and the context that exposes it.

The composition root (``bot.app.builder.build_application``) builds the Application with
``CONTEXT_TYPES`` and fills ``BotData`` once, before any update or job runs; callbacks read
``context.services`` and ``context.bot_data.sender``, typed, never by a string key.
``halt`` lives here, beside the ``stop`` it calls, so that the builder and the error handler
both reach it without importing each other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.app.webapp import WebAppServer
    from bot.commands.registry import Command
    from bot.delivery.sender import Sender
    from bot.services import Services

log = logging.getLogger(__name__)


class BotData:
    """What every callback of one Application shares (set by the root at build time)."""

    services: Services
    #: Delivers the outbox through this Application's bot (one per bot: one rate limiter).
    sender: Sender
    #: The command table (``bot.handlers.COMMANDS``): ``set_my_commands``, the Help button.
    commands: tuple[Command, ...]

    def __init__(self) -> None:
        #: Sessions whose stale data the operators were already told about.
        self.stale_told: set[dt.date] = set()
        #: Stops run_polling/run_webhook (set by them; None when tests drive the Application).
        self.stop: Callable[[], None] | None = None
        #: The start-up warm-up running in the background (bot.app.warm; None before post_init).
        self.warming: asyncio.Task[float | None] | None = None
        #: The Mini App's web server while it runs (WEBAPP_URL set; started in post_init).
        self.webapp: WebAppServer | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """PTB's callback context with typed access to the shared services."""

    @property
    def services(self) -> Services:
        """The Services the Application was built with."""
        return self.bot_data.services


CONTEXT_TYPES: ContextTypes[BotContext, dict[Any, Any], dict[Any, Any], BotData] = ContextTypes(
    context=BotContext, bot_data=BotData
)


def halt(bot_data: BotData, message: str) -> None:
    """The database became unusable: log one line, stop taking updates, stop the process
    (run/webhook then exit non-zero with ``services.fatal``)."""
    services = bot_data.services
    if services.fatal is None:
        services.fatal = message
        log.error("stopping: %s", message)
    if bot_data.stop is not None:
        bot_data.stop()


#: The Application as built by the root.
BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
