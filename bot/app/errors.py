"""The one global error handler: log first, tell the operators, tell the user it was logged."""

from __future__ import annotations

import html
import logging
import traceback

from telegram import Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.app.context import BotContext, halt
from bot.delivery.throttle import Throttle
from bot.logs import one_line, redact
from bot.render.common import internal_error_html
from storage.db import is_fatal

log = logging.getLogger(__name__)

REPORT_LIMIT = 3500  # leaves room for the header inside Telegram's 4096


class TokenRefused(NetworkError):
    """getUpdates answered 401: polling retries it (bot.app.builder.PollingRequest) instead of
    dying."""


def telegram_trouble(error: TelegramError, throttle: Throttle) -> None:
    """One log line per kind of Telegram failure per window (no traceback, no token)."""
    refused = isinstance(error, TokenRefused | InvalidToken)
    held = throttle.admit("token refused" if refused else type(error).__name__)
    if held is None:
        return
    again = f" ({held} more since the last report)" if held else ""
    if refused:
        log.error(
            "Telegram refused the bot token (401 Unauthorized); polling and delivery retry "
            "until it works again (SECURITY.md: rotating the token)%s",
            again,
        )
    elif isinstance(error, Conflict):
        log.error("Telegram: %s (is a second copy of the bot polling?)%s", one_line(error), again)
    else:
        log.warning("Telegram call failed: %s%s", one_line(error), again)


def report_html(update: object, error: BaseException | None) -> str:
    """An operator report: what happened and the (redacted, trimmed) traceback."""
    where = "no update"
    if isinstance(update, Update):
        chat = update.effective_chat
        message = update.effective_message
        text = message.text if message is not None and message.text else ""
        where = f"chat {chat.id if chat else '?'}: {text[:200]}"
    if error is None:
        trace = "no exception"
    else:
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    trace = redact(trace)
    if len(trace) > REPORT_LIMIT:
        trace = "…" + trace[-REPORT_LIMIT:]
    return (
        f"<b>Error</b> {html.escape(redact(repr(error))[:300])}\n"
        f"{html.escape(redact(where))}\n<pre>{html.escape(trace)}</pre>"
    )


def signature(error: BaseException | None) -> str:
    """What makes two errors "the same" for reports: the type and where it was raised."""
    if error is None:
        return "no exception"
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__}@{where}"


async def on_error(update: object, context: BotContext) -> None:
    """Log the error, report it to the operators, and tell the user it was logged."""
    error = context.error
    transient = isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    if transient or isinstance(error, RetryAfter | Forbidden | InvalidToken | Conflict):
        # The connection, the token or the chat is the problem; telling anyone would fail the
        # same way. Polling errors arrive here too (update None), once per failed poll.
        telegram_trouble(error, context.services.reports.trouble)  # type: ignore[arg-type]
        return
    services = context.services
    if error is not None and is_fatal(error):
        halt(context.bot_data, f"database unusable: {one_line(error)}")
        return
    log.error("update caused an error", exc_info=error)
    await services.reports.send(
        context.bot, services.settings.operator_ids, signature(error), report_html(update, error)
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, internal_error_html())
        except TelegramError as exc:
            log.warning("could not tell chat %s about the error: %s", update.effective_chat.id, exc)
