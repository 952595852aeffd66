"""The Mini App's Telegram side: the menu button, the buttons under answers, membership checks
and the web server's start and stop with the bot."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    InlineKeyboardButton,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import TelegramError

from bot.services import Services
from bot.webapp.links import BUTTON_TEXT, MENU_TEXT, AppLink, chat_link, page_url
from bot.webapp.scope import MEMBER_STATUSES, MemberCache, MemberCheck
from bot.webapp.server import WebAppConfig, WebAppServer, make_app

log = logging.getLogger(__name__)


def member_check(bot: Bot) -> MemberCheck:
    """Asks Telegram (getChatMember) whether a user is in a chat; no answer counts as no."""

    async def ask(chat_id: int, user_id: int) -> bool:
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.info("web app: membership of %s in %s unknown (%s)", user_id, chat_id, exc)
            return False
        if member.status in MEMBER_STATUSES:
            return True
        return member.status == "restricted" and bool(getattr(member, "is_member", False))

    return MemberCache(ask)


def open_button(
    config: WebAppConfig, link: AppLink, chat_type: str, chat_id: int, bot_username: str | None
) -> InlineKeyboardButton | None:
    """The button under an answer: a Web App button in a private chat, a t.me link elsewhere
    (None there when the bot's username is unknown)."""
    if chat_type == "private":
        url = page_url(config.url, link.view, **dict(link.params))
        return InlineKeyboardButton(BUTTON_TEXT, web_app=WebAppInfo(url))
    if not bot_username:
        return None
    return InlineKeyboardButton(BUTTON_TEXT, url=chat_link(bot_username, chat_id))


async def start_webapp(services: Services, config: WebAppConfig, bot: Bot) -> WebAppServer:
    """Serve the Mini App and make it the bot's menu button (for every private chat)."""
    server = WebAppServer(make_app(services, config, member_check(bot)), config)
    await server.start()
    await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(MENU_TEXT, WebAppInfo(config.url)))
    return server
