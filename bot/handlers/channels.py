"""A channel named in a command ("/subscribe @name", "/dashboard @name") from a private chat:
one the sender administers and the bot may post in, registered as a chat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.access import can_post, require_admin
from bot.commands.registry import ChatType, Request, UserError
from bot.services import utc_now
from storage.chats import upsert_chat

if TYPE_CHECKING:  # telegram is imported where a command needs it (the offline faces never do)
    import telegram


async def managed_channel(
    request: Request, bot: telegram.Bot, name: str, *, usage: str, refusal: str
) -> telegram.ChatFullInfo:
    """The channel ``name``; UserError when the bot cannot see it, it is not a channel, the
    sender does not administer it (``refusal``) or the bot may not post there."""
    from telegram.error import TelegramError  # start-up cost: offline faces never load telegram

    try:
        channel = await bot.get_chat(name)
    except TelegramError:
        raise UserError(f"I cannot see {name[:40]}; add me to it as an admin first.") from None
    if channel.type != ChatType.CHANNEL:
        raise UserError(f"{name[:40]} is not a channel.", usage)
    await require_admin(request, refusal, chat_id=channel.id)
    if not await can_post(bot, channel.id, request.services.admins):
        raise UserError(f"I cannot post in {name[:40]}: make me an admin allowed to post.")
    upsert_chat(request.services.db, channel.id, ChatType.CHANNEL, now=utc_now(),
                title=channel.title, username=channel.username)  # fmt: skip
    return channel
