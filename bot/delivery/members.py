"""Asking Telegram about a chat member: the lookup behind ``bot.commands.access.AdminCache``
(group-admin checks, whether the bot may post in a channel)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.commands.access import Membership

if TYPE_CHECKING:
    import telegram

log = logging.getLogger(__name__)


async def member_status(bot: telegram.Bot, chat_id: int, user_id: int) -> Membership | None:
    """``user_id``'s membership in ``chat_id``, or None when Telegram refused (logged)."""
    # start-up cost: services wire this lookup, and the offline faces never load telegram
    from telegram.error import TelegramError

    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.warning("member lookup for %s in chat %s failed: %s", user_id, chat_id, exc)
        return None
    return Membership(member.status, getattr(member, "can_post_messages", True) is not False)
