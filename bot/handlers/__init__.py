"""Chat command handlers: every module's ``COMMANDS`` and ``install`` in one registry.

The modules are imported, not named: a module that fails to import stops the bot at start
instead of silently removing its commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.handlers import admin, dashboard, export, inline, market, subscriptions
from bot.registry import Command, unique_commands

if TYPE_CHECKING:  # offline faces (ask, console) never load telegram
    from telegram.ext import Application

#: Every chat command, in the order /help lists them.
COMMANDS: tuple[Command, ...] = unique_commands(
    market.COMMANDS + admin.COMMANDS + subscriptions.COMMANDS + dashboard.COMMANDS + export.COMMANDS
)

#: What each module adds beside its commands (buttons, membership, migrations, channels).
INSTALLS: tuple[Callable[[Application[Any, Any, Any, Any, Any, Any]], None], ...] = (
    market.install,
    subscriptions.install,
    inline.install,
)
