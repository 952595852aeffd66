"""Chat command handlers, one module per command group; their ``COMMANDS`` and ``install`` in
one table.

The modules are imported, not named: a module that fails to import stops the bot at start
instead of silently removing its commands. ``/start`` and ``/help`` list the table they are
given (``market.TABLE``, filled here), so no handler reads the table back through an import.
Handlers import telegram only inside the functions that talk to it: the offline faces (``ask``,
``console``) never load it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.commands.offline import run_text
from bot.commands.registry import Command, Reply
from bot.handlers import (
    admin,
    baskets,
    dashboard,
    export,
    market,
    sectors,
    subscriptions,
    watch,
)

if TYPE_CHECKING:  # offline faces (ask, console) never load telegram
    from telegram.ext import Application

    from bot.services import Services


#: Every chat command, in the order /help lists them (the table /start and /help are given).
COMMANDS: tuple[Command, ...] = market.TABLE.fill(
    market.COMMANDS
    + sectors.COMMANDS
    + baskets.COMMANDS
    + watch.COMMANDS
    + admin.COMMANDS
    + subscriptions.COMMANDS
    + dashboard.COMMANDS
    + export.COMMANDS
)

#: What each module adds beside its commands (buttons, membership, migrations, channels).
INSTALLS: tuple[Callable[[Application[Any, Any, Any, Any, Any, Any]], None], ...] = (
    market.install,
    subscriptions.install,
)


async def answer(
    services: Services,
    text: str,
    *,
    asof: dt.date | None = None,
    chat_id: int = 0,
    user_id: int = 0,
    progress: Callable[[str], None] | None = None,
    charts: bool = True,
) -> Reply:
    """Run ``text`` ("/rotation 1m") through ``COMMANDS`` offline, as a console chat
    (``bot.commands.offline.run_text``: ask, console, demo, warm-up)."""
    return await run_text(
        COMMANDS,
        services,
        text,
        asof=asof,
        chat_id=chat_id,
        user_id=user_id,
        progress=progress,
        charts=charts,
    )
