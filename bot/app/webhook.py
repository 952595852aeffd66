"""Webhook mode: one aiohttp server behind a reverse proxy, for Telegram's updates and the Mini
App alike.

Telegram POSTs each update to WEBHOOK_URL; the proxy forwards it to WEBHOOK_LISTEN:WEBHOOK_PORT
on the URL's path. Every request must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to
WEBHOOK_SECRET (compared in constant time): any other gets 403, is not processed, and is logged
at WARNING without either token. An accepted update goes into the Application's update queue,
as python-telegram-bot's own webhook server does (its documented custom-webhook setup: an
Application without an Updater, fed by the web framework's route). With WEBAPP_URL set, the
Mini App's page and api/ are routes of the same server (WEBAPP_LISTEN/WEBAPP_PORT are for
polling mode only). ``setWebhook`` is called at start with the secret, every update type and
pending updates kept; long polling (``rotation-bot run`` without --webhook) calls
``deleteWebhook`` first. Jobs, the outbox and the sender run exactly as in polling mode.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.app.context import BotApplication
from bot.app.webapp import set_menu, webapp_routes
from bot.settings import Settings, SettingsError
from bot.webapp.server import WebAppConfig

log = logging.getLogger(__name__)

DEFAULT_PATH = "telegram"
#: The header Telegram sends the webhook's secret token in (setWebhook ``secret_token``).
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


@dataclass(frozen=True)
class WebhookConfig:
    """Where the server listens and what ``setWebhook`` tells Telegram."""

    url: str
    listen: str
    port: int
    path: str
    secret: str = field(repr=False)


def webhook_config(settings: Settings) -> WebhookConfig:
    """The webhook settings, or a SettingsError naming every missing one."""
    problems = []
    if not settings.webhook_url:
        problems.append("WEBHOOK_URL is not set (the public https:// URL of the webhook)")
    if not settings.webhook_secret:
        problems.append("WEBHOOK_SECRET is not set (1-256 characters A-Z a-z 0-9 _ -)")
    if problems:
        raise SettingsError(problems)
    path = urlsplit(settings.webhook_url).path.strip("/") or DEFAULT_PATH
    return WebhookConfig(
        url=settings.webhook_url,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        path=path,
        secret=settings.webhook_secret,
    )


def refused(why: str) -> web.Response:
    """403 for a request without the right secret token, logged without either token."""
    log.warning("webhook request refused (403): %s", why)
    return web.Response(status=403, text="forbidden")


def update_route(
    app: BotApplication, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The webhook route: checks the secret token, decodes the update, queues it."""
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        token = request.headers.get(SECRET_HEADER)
        if not token:
            return refused("no secret token")
        if not hmac.compare_digest(token.encode(), expected):
            return refused("wrong secret token")
        try:
            update = Update.de_json(json.loads(await request.read()), app.bot)
        except Exception as exc:  # not JSON, or not an Update: PTB's server answers 400 too
            why = type(exc).__name__
            log.error("webhook: an update could not be read (%s); not processed", why)
            return web.Response(status=400, text="bad update")
        app.bot.insert_callback_data(update)
        await app.update_queue.put(update)
        return web.Response(status=200)

    return receive


def server_app(
    app: BotApplication, config: WebhookConfig, webapp: web.Application | None
) -> web.Application:
    """The one aiohttp application of webhook mode: the Mini App's routes (when given) and the
    webhook's POST route on its path."""
    served = webapp if webapp is not None else web.Application()
    served.router.add_post("/" + config.path, update_route(app, config.secret))
    return served


async def serve_webhook(
    app: BotApplication,
    config: WebhookConfig,
    webapp: WebAppConfig | None,
    *,
    signals: bool = True,
) -> None:
    """Run ``app`` in webhook mode until it is stopped (``app.bot_data.stop``, or SIGINT /
    SIGTERM when ``signals``): the start-up and shutdown hooks in the order
    ``Application.run_webhook`` calls them, the server, setWebhook."""
    stopping = asyncio.Event()
    app.bot_data.stop = stopping.set
    loop = asyncio.get_running_loop()
    caught = (signal.SIGINT, signal.SIGTERM) if signals else ()
    for number in caught:
        loop.add_signal_handler(number, stopping.set)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        routes = None if webapp is None else webapp_routes(app.bot_data.services, webapp, app.bot)
        runner = web.AppRunner(server_app(app, config, routes), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, config.listen, config.port).start()
            log.info(
                "webhook server on %s:%s/%s for %s", config.listen, config.port, config.path,
                config.url,
            )  # fmt: skip
            if webapp is not None:
                log.info("web app on the webhook's server: %s for %s", webapp.path, webapp.url)
                await set_menu(app.bot, webapp)
            await app.bot.set_webhook(
                url=config.url,
                secret_token=config.secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
            await app.start()
            try:
                await stopping.wait()
            finally:
                await runner.cleanup()  # no more updates in, then the Application stops
                await app.stop()
                if app.post_stop is not None:
                    await app.post_stop(app)
        except BaseException:
            if runner.server is not None:  # failed before the orderly stop above
                await runner.cleanup()
            raise
    finally:
        for number in caught:
            loop.remove_signal_handler(number)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
