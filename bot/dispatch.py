"""Run one Request through its Command: access rules and flood protection, then the handler.

Shared by Telegram (bot.app) and the offline faces (bot.offline), so both behave the same.
"""

from __future__ import annotations

from bot.access import is_chat_admin, is_operator
from bot.registry import Command, Reply, Request, UserError

GROUP_TYPES = frozenset({"group", "supergroup"})


async def run_command(command: Command, request: Request) -> Reply:
    """The command's reply; raise UserError (refused, flooded, bad arguments) or NotStored."""
    online = request.chat_type != "console"
    if not online and not command.offline:
        raise UserError(f"/{command.name} works only in Telegram.")
    if (
        online
        and command.operators_only
        and not is_operator(request.services.settings, request.user_id)
    ):
        raise UserError(f"/{command.name} is for the bot's operators only.")
    if online and command.admins_only_in_groups and request.chat_type in GROUP_TYPES:
        await _require_admin(command, request)
    if online and command.chart and request.user_id is not None:
        wait = request.services.flood.check(request.user_id)
        if wait:
            raise UserError(f"Too many charts at once; try again in {wait} s.")
    return await command.handler(request)


async def _require_admin(command: Command, request: Request) -> None:
    if request.bot is None:
        return
    if not await is_chat_admin(
        request.bot,
        request.chat_id,
        request.user_id,
        request.sender_chat_id,
        cache=request.services.admins,
    ):
        raise UserError(f"In groups, only chat admins can use /{command.name}.")
