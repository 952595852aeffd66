"""Run one Request through its Command: access rules, then the handler (which checks its
arguments first; the chart flood guard applies only when a chart is drawn, bot.render.charts).

Shared by Telegram (bot.app.builder) and the offline faces (bot.commands.offline), so both
behave the same.
"""

from __future__ import annotations

import dataclasses
import html

from bot.commands.access import is_operator, require_admin
from bot.commands.registry import GROUP_TYPES, ChatType, Command, Reply, Request, UserError


async def run_command(command: Command, request: Request) -> Reply:
    """The command's reply; raise UserError (refused, flooded, bad arguments) or NotStored."""
    online = request.chat_type != ChatType.CONSOLE
    if not online and not command.offline:
        raise UserError(f"/{command.name} works only in Telegram.")
    if (
        online
        and command.operators_only
        and not is_operator(request.services.settings, request.user_id)
    ):
        raise UserError(f"/{command.name} is for the bot's operators only.")
    if online and command.operators_only and request.chat_type != ChatType.PRIVATE:
        # Operator answers (data freshness, job runs, chats) are not for a group's members.
        raise UserError(f"/{command.name} is answered in a private chat with me only; ask there.")
    if online and command.admins_only_in_groups and request.chat_type in GROUP_TYPES:
        await require_admin(request, f"In groups, only chat admins can use /{command.name}.")
    reply = await command.handler(request)
    if request.notes:  # e.g. a chart left out by the flood guard (bot.render.charts.chart_for)
        notes = "\n".join(f"<i>{html.escape(note)}</i>" for note in request.notes)
        reply = dataclasses.replace(reply, html=f"{reply.html}\n\n{notes}")
    return reply
