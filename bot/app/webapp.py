"""The Mini App in the running bot: its routes (on their own server in polling mode, on the
webhook's server in webhook mode), the menu button, and membership checks through Telegram
(the buttons under answers are made where replies are sent, bot.delivery.replies)."""

from __future__ import annotations

import logging

from aiohttp import web
from telegram import Bot, MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError

from bot.services import Services
from bot.webapp.links import MENU_TEXT
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


__all__ = ["WebAppServer", "member_check", "set_menu", "start_webapp", "webapp_routes"]


def webapp_routes(services: Services, config: WebAppConfig, bot: Bot) -> web.Application:
    """The Mini App's aiohttp application (page, static files, api/), unstarted: served on
    its own address in polling mode, beside the webhook route in webhook mode."""
    return make_app(services, config, member_check(bot))


async def set_menu(bot: Bot, config: WebAppConfig) -> None:
    """Make the Mini App the bot's menu button (for every private chat)."""
    try:
        await bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(MENU_TEXT, WebAppInfo(config.url))
        )
    except TelegramError as exc:  # the app is served all the same; the buttons still open it
        log.warning("web app: the menu button could not be set: %s", exc)


async def start_webapp(services: Services, config: WebAppConfig, bot: Bot) -> WebAppServer:
    """Serve the Mini App on its own address (polling mode) and make it the menu button."""
    server = WebAppServer(webapp_routes(services, config, bot), config)
    await server.start()
    await set_menu(bot, config)
    return server
