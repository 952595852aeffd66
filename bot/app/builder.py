"""The composition root of the Telegram face: every bot of the project is built here.

``configured`` gives a builder the project's Defaults (HTML, America/New_York), rate limiter
and typed context; ``build_application`` adds one CommandHandler per registry entry, the
handler modules' own ``install``, unknown commands, stale buttons, the global error handler,
the outbox sender, the daily scheduler and ``set_my_commands`` at start-up; ``delivery_bot``
is the same bot without polling, for `rotation-bot daily`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from telegram import BotCommand, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest, RequestData

from bot.app import daily, inline
from bot.app.context import CONTEXT_TYPES, BotApplication, BotContext, BotData, halt
from bot.app.errors import TokenRefused, on_error
from bot.app.warm import warm_up
from bot.app.webapp import start_webapp
from bot.app.webhook import WebhookConfig, serve_webhook
from bot.commands.dispatch import run_command
from bot.commands.problems import not_stored_problem, problem_html, unknown_command
from bot.commands.registry import ChatType, Command, Reply, Request, UserError, parse_command
from bot.delivery.http import BotRequest
from bot.delivery.limits import rate_limiter
from bot.delivery.replies import photo_file_id, request_from_update, send_reply
from bot.delivery.sender import Sender
from bot.handlers import COMMANDS, INSTALLS
from bot.logs import one_line
from bot.queries.charts import remember_chart
from bot.queries.fetcher import Done, FetchFailure, NotStored
from bot.render.common import fetching_html
from bot.services import Services
from bot.settings import Settings
from bot.webapp.server import webapp_config
from storage import inbox
from storage.db import is_fatal

log = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("America/New_York")
UNKNOWN_GROUP = 90  # after every handler module's group 0
RATE_GROUP = -1  # before everything
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def builder_for(settings: Settings) -> ApplicationBuilder:
    """The real connection: token, TELEGRAM_API_URL (base and file URL), and the bot's HTTP
    layer for Bot API calls (``bot.delivery.http.BotRequest``; getUpdates has its own)."""
    return (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .request(BotRequest())
    )


class PollingRequest(HTTPXRequest):
    """The getUpdates connection. PTB ends polling for good on a 401 (a revoked token) and the
    bot goes deaf while the process lives; as a network error it is retried until the token
    works again, and the error handler (bot.app.errors) says so once per window. Every update
    received is recorded in the inbox before PTB sees it (before the next poll acknowledges
    it), so a crash cannot lose it silently (storage.inbox)."""

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        #: Called with the reason when the inbox cannot be written (bot.app.context.halt).
        self.on_fatal: Callable[[str], None] | None = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        code, payload = await super().do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code == HTTPStatus.UNAUTHORIZED:
            raise TokenRefused("Telegram refused the bot token (401 Unauthorized)")
        if code == HTTPStatus.OK and url.endswith("/getUpdates") and self.services.fatal is None:
            updates = json.loads(payload).get("result") or []
            try:
                inbox.record(self.services.db, updates, self.services.clock())
            except Exception as exc:
                if not is_fatal(exc) or self.on_fatal is None:
                    raise
                self.on_fatal(f"database unusable: {one_line(exc)}")
                # Answer as if no update came: Telegram keeps them for the next start.
                return code, json.dumps({"ok": True, "result": []}).encode()
        return code, payload


class RecordingApplication(Application):
    """PTB's Application; each update is claimed in the inbox before its handlers run and
    marked done after, so an update is handled once even if Telegram delivers it again."""

    async def initialize(self) -> None:
        """PTB's start-up; when it fails (a refused token, Telegram unreachable) PTB shuts
        nothing down, so the bot's HTTP session is closed here before the error goes on."""
        try:
            await super().initialize()
        except BaseException:
            await self.bot.request.shutdown()
            raise

    async def process_update(self, update: object) -> None:
        bot_data = self.bot_data
        if not isinstance(update, Update) or not isinstance(bot_data, BotData):
            await super().process_update(update)
            return
        services = bot_data.services
        if services.fatal is not None:
            return  # the database is unusable: stopping
        try:
            if not inbox.claim(services.db, update.update_id, update.to_dict(), services.clock()):
                return  # handled already (a replay at start, or Telegram delivering it again)
        except Exception as exc:
            if not is_fatal(exc):
                raise
            halt(bot_data, f"database unusable: {one_line(exc)}")
            return
        try:
            await super().process_update(update)
        finally:
            if services.fatal is None:
                inbox.finish(services.db, update.update_id)


def configured(builder: ApplicationBuilder) -> ApplicationBuilder:
    """``builder`` with what every bot of the project has: Defaults, Telegram's send limits
    (``bot.delivery.limits``: free and paid sends apart) and the typed context."""
    return (
        builder.defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=TIMEZONE))
        .rate_limiter(rate_limiter())
        .context_types(CONTEXT_TYPES)
    )


def build_application(
    services: Services, builder: ApplicationBuilder | None = None, *, webhook: bool = False
) -> BotApplication:
    """The bot: configured, every handler, the outbox sender, the daily scheduler, and the
    start-up hooks. ``builder`` carries the connection (tests: the Bot API fake).
    ``webhook``: no Updater (updates come from the webhook's route, bot.app.webhook)."""
    chosen = builder if builder is not None else builder_for(services.settings)
    polls = PollingRequest(services, connection_pool_size=1)
    receiving = chosen.updater(None) if webhook else chosen.get_updates_request(polls)
    app: BotApplication = (
        configured(receiving)
        .application_class(RecordingApplication)
        # Handle up to 8 updates at once: a slow chart does not hold everyone up, and replies
        # still reach the rate limiter in roughly arrival order when it is the bottleneck.
        .concurrent_updates(8)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    polls.on_fatal = lambda message: halt(app.bot_data, message)
    install_handlers(app, services)
    daily.install(app, services)
    return app


def delivery_bot(settings: Settings) -> ExtBot[None]:
    """The bot `rotation-bot daily` delivers through: built like the bot's (same connection,
    Defaults and rate limiter), without polling or a job queue."""
    app = configured(builder_for(settings)).updater(None).job_queue(None).build()
    return app.bot


def install_handlers(app: BotApplication, services: Services) -> tuple[Command, ...]:
    """Fill the typed bot data, register commands, module installs, fallbacks and the error
    handler on ``app`` (built with ``CONTEXT_TYPES``)."""
    if not isinstance(app.bot_data, BotData):
        raise TypeError("build the Application with bot.app.context.CONTEXT_TYPES")
    app.bot_data.services = services
    app.bot_data.sender = Sender(app.bot, services)
    app.bot_data.commands = COMMANDS
    # Group -1 runs before every handler: a user past the rate limit stops there.
    app.add_handler(TypeHandler(Update, rate_gate), group=RATE_GROUP)
    for command in COMMANDS:
        # New messages only: an edited "/alert ..." must not run (and add a rule) again.
        app.add_handler(
            CommandHandler(
                command.name, command_callback(command), filters=filters.UpdateType.MESSAGE
            )
        )
    for install in INSTALLS:
        install(app)
    inline.install(app)
    names = frozenset(c.name for c in COMMANDS)
    app.add_handler(
        MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, unknown_callback(names)),
        group=UNKNOWN_GROUP,
    )
    # Same group as the modules' button handlers, added last: it only sees unclaimed presses.
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_error_handler(on_error)
    return COMMANDS


async def publish_commands(app: BotApplication) -> None:
    """set_my_commands from the registry (hidden and operator commands left out)."""
    commands = app.bot_data.commands
    visible = [
        BotCommand(c.name, c.summary[:256])
        for c in commands
        if not c.hidden and not c.operators_only
    ]
    await app.bot.set_my_commands(visible)


_BACKGROUND: set[asyncio.Task[float | None]] = set()


async def _post_init(app: BotApplication) -> None:
    await publish_commands(app)
    services = app.bot_data.services
    waiting, cut = inbox.recover(services.db, services.clock())
    if cut:
        log.warning(
            "%d update(s) were being handled when the bot last stopped; not run again "
            "(a command may have taken effect; its answer was lost)",
            cut,
        )
    if waiting:
        log.info("handling %d update(s) received before the last stop", len(waiting))
    for raw in waiting:
        await app.update_queue.put(Update.de_json(raw, app.bot))
    # Warm the caches in the background (start-up is not delayed, and the scheduler's
    # catch-up runs on time); a request arriving meanwhile is answered the cold way.
    task = asyncio.get_running_loop().create_task(warm_up(services), name="warm-up")
    _BACKGROUND.add(task)  # keep a reference until it is done
    task.add_done_callback(_BACKGROUND.discard)
    app.bot_data.warming = task
    config = webapp_config(services.settings)
    if config is not None and app.updater is not None:
        # polling: the web app on its own server (webhook mode: on the webhook's server,
        # started by bot.app.webhook.serve_webhook)
        app.bot_data.webapp = await start_webapp(services, config, app.bot)


async def _post_shutdown(app: BotApplication) -> None:
    if app.bot_data.webapp is not None:
        await app.bot_data.webapp.stop()
    warming = app.bot_data.warming
    if warming is not None and not warming.done():
        # Stopping during the start-up warm-up (the database went away, say): end it here,
        # or the event loop closes on a pending task and asyncio logs it as an error.
        warming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await warming
    await app.bot_data.services.fetcher.drain()


def command_callback(command: Command) -> Callback:
    """The PTB callback of one registry command."""

    async def callback(update: Update, context: BotContext) -> None:
        message = update.effective_message
        if message is None or update.effective_chat is None:
            return
        parsed = parse_command(message.text or message.caption or "")
        raw = parsed.raw_args if parsed is not None else ""
        request = request_from_update(context.services, update, context.bot, command.name, raw)
        reply = await answer_or_fetch(command, request)
        sent = await send_reply(
            context.bot,
            request.chat_id,
            reply,
            thread_id=request.thread_id,
            app_url=request.services.settings.webapp_url,
        )
        _remember(request.services, reply, sent)

    return callback


async def answer_or_fetch(command: Command, request: Request) -> Reply:
    """The command's reply; user errors become a one-line reply, unstored symbols a fetch."""
    try:
        return await run_command(command, request)
    except UserError as exc:
        return Reply(problem_html(exc))
    except NotStored as missing:
        fetcher = request.services.fetcher
        refusal = fetcher.refusal(request.user_id, missing.symbols)
        if refusal is not None:
            return Reply(problem_html(UserError(refusal)))
        fetcher.start(
            request.services,
            missing.symbols,
            request.asof,
            _deliver_later(command, request),
            user_id=request.user_id,
        )
        return Reply(fetching_html(missing.symbols))


def _deliver_later(command: Command, request: Request) -> Done:
    async def done(failures: dict[str, FetchFailure]) -> None:
        if request.bot is None:
            return
        if failures:
            problem = not_stored_problem(request.services, NotStored(failures), failures)
            reply = Reply(problem_html(problem))
        else:
            try:
                reply = await run_command(command, request)
            except UserError as exc:
                reply = Reply(problem_html(exc))
            except NotStored as still:
                reply = Reply(problem_html(not_stored_problem(request.services, still, {})))
        sent = await send_reply(
            request.bot,
            request.chat_id,
            reply,
            thread_id=request.thread_id,
            app_url=request.services.settings.webapp_url,
        )
        _remember(request.services, reply, sent)

    return done


def _remember(services: Services, reply: Reply, sent: list[Message]) -> None:
    """Store the Telegram file id of the reply's chart (inline answers send it again)."""
    if reply.chart is not None:
        chart, session = reply.chart
        remember_chart(services, chart, session, photo_file_id(sent), now=services.clock())


def unknown_callback(known: frozenset[str]) -> Callback:
    """Answer "/something" the registry does not know, where the user meant this bot."""

    async def callback(update: Update, context: BotContext) -> None:
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or not message.text:
            return
        parsed = parse_command(message.text)
        if parsed is None or parsed.name in known:
            return
        name, target = parsed.name, parsed.target
        addressed = target.lower() == (context.bot.username or "").lower() if target else False
        if chat.type != ChatType.PRIVATE and not addressed:
            return  # in groups, other bots' commands are none of our business
        await message.reply_text(problem_html(unknown_command(name)))

    return callback


def _rate_key(update: Update) -> int | None:
    """Whose budget an update spends: the user's, an anonymous admin's chat's (they all share
    GroupAnonymousBot's id), a channel's; None for updates that are not commands, presses or
    inline queries."""
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    if update.inline_query is not None:
        return update.inline_query.from_user.id
    message = update.message or update.channel_post
    if message is None or not (message.text or "").startswith("/"):
        return None
    if message.sender_chat is not None:
        return message.sender_chat.id
    return message.from_user.id if message.from_user else None


async def rate_gate(update: object, context: BotContext) -> None:
    """The per-user rate limit on every command and button press (operators exempt): past
    it, the update is dropped; the user hears "slow down" once per window."""
    if not isinstance(update, Update):
        return
    services = context.services
    if services.fatal is not None:
        raise ApplicationHandlerStop  # the database is unusable: stopping, touch nothing
    key = _rate_key(update)
    if key is None or key in services.settings.operator_ids:
        return
    wait = services.rate.check(key)
    if not wait:
        return
    if services.rate_notices.admit(str(key)) is not None:
        notice = f"Too many requests; please wait {wait} s."
        if update.callback_query is not None:
            await update.callback_query.answer(notice)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(notice)
        log.info("rate limit: %s is sending too fast; updates dropped for %s s", key, wait)
    raise ApplicationHandlerStop


async def stale_button(update: Update, context: BotContext) -> None:
    """A button no handler claimed (old message, forged data): a polite notice."""
    query = update.callback_query
    if query is not None:
        await query.answer("This button has expired; send the command again.")


def run_polling(services: Services) -> None:
    """Run the real bot with long polling until SIGINT/SIGTERM (a webhook set earlier is
    deleted first: PTB calls deleteWebhook before polling)."""
    app = build_application(services)
    app.bot_data.stop = app.stop_running
    log.info("starting long polling against %s", services.settings.telegram_api_url)
    app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


def run_webhook(services: Services, config: WebhookConfig) -> None:
    """Run the real bot behind a reverse proxy until SIGINT/SIGTERM: one aiohttp server on
    ``config.listen:config.port`` for the webhook and the Mini App (WEBAPP_URL set),
    setWebhook(url, secret_token, every update type)."""
    app = build_application(services, webhook=True)
    log.info("starting webhook mode for %s", config.url)
    asyncio.run(serve_webhook(app, config, webapp_config(services.settings)))
