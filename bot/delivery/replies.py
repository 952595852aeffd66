"""Deliver a Reply to Telegram: photo with caption when it fits, text split under 4096,
inline keyboard on the last message; edit a message in place for button presses."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest

from bot.commands.registry import AppLink, ChatType, Keyboard, Reply, Request, split_args
from bot.render.format import CAPTION_LIMIT, TEXT_LIMIT, fit_html, fits, split_message
from bot.services import Services
from bot.webapp.links import BUTTON_TEXT, chat_link, page_url

log = logging.getLogger(__name__)


def markup(
    keyboard: Keyboard | None, extra: InlineKeyboardButton | None = None
) -> InlineKeyboardMarkup | None:
    """Inline keyboard markup from (label, callback_data) rows, ``extra`` on a row of its own."""
    rows = [
        [InlineKeyboardButton(label, callback_data=data) for label, data in row]
        for row in keyboard or ()
    ]
    if extra is not None:
        rows.append([extra])
    return InlineKeyboardMarkup(rows) if rows else None


def app_button(
    bot: Bot, chat_id: int, link: AppLink | None, app_url: str
) -> InlineKeyboardButton | None:
    """The button that opens the Mini App (``app_url`` = WEBAPP_URL; empty: none) on ``link``:
    a Web App button in a private chat (a positive id), a t.me link to the bot's Mini App in
    groups and channels, where Telegram allows no Web App button."""
    if link is None or not app_url:
        return None
    if chat_id > 0:
        url = page_url(app_url, link.view, **dict(link.params))
        return InlineKeyboardButton(BUTTON_TEXT, web_app=WebAppInfo(url))
    try:
        username = bot.username
    except RuntimeError:  # not initialised (no getMe yet): no link to make
        return None
    return InlineKeyboardButton(BUTTON_TEXT, url=chat_link(username, chat_id))


def photo_file_id(sent: Iterable[Message]) -> str | None:
    """The Telegram file id of the first photo among ``sent`` (its largest size), or None."""
    for message in sent:
        if message.photo:
            return message.photo[-1].file_id
    return None


async def send_reply(
    bot: Bot, chat_id: int, reply: Reply, *, thread_id: int | None = None, app_url: str = ""
) -> list[Message]:
    """Send ``reply`` to ``chat_id``; return the messages sent, in order (``app_url``:
    WEBAPP_URL, for the button that opens the Mini App)."""
    sent: list[Message] = []
    keys = markup(reply.keyboard, app_button(bot, chat_id, reply.webapp, app_url))
    silent = reply.silent
    if reply.document is not None:
        doc = reply.document
        message = await bot.send_document(
            chat_id,
            InputFile(doc.data, filename=doc.filename),
            caption=reply.html if fits(reply.html, CAPTION_LIMIT) else None,
            reply_markup=keys,
            message_thread_id=thread_id,
            disable_notification=silent,
        )
        return [message]
    if reply.photo is not None:
        if fits(reply.html, CAPTION_LIMIT):
            message = await bot.send_photo(
                chat_id,
                reply.photo,
                caption=reply.html,
                reply_markup=keys,
                message_thread_id=thread_id,
                disable_notification=silent,
            )
            return [message]
        caption = reply.caption if reply.caption and fits(reply.caption, CAPTION_LIMIT) else None
        sent.append(
            await bot.send_photo(
                chat_id,
                reply.photo,
                caption=caption,
                message_thread_id=thread_id,
                disable_notification=silent,
            )
        )
    chunks = split_message(reply.html)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        sent.append(
            await bot.send_message(
                chat_id,
                chunk,
                reply_markup=keys if last else None,
                message_thread_id=thread_id,
                disable_notification=silent,
            )
        )
    return sent


async def edit_with(query: CallbackQuery, reply: Reply, notice: str, *, app_url: str = "") -> None:
    """Replace the pressed message's text (or caption) and buttons; answer the query."""
    message = query.message
    chat_id = message.chat.id if message is not None else 0
    keys = markup(reply.keyboard, app_button(query.get_bot(), chat_id, reply.webapp, app_url))
    try:
        if isinstance(message, Message) and message.photo:
            await query.edit_message_caption(fit_html(reply.html, CAPTION_LIMIT), reply_markup=keys)
        else:
            await query.edit_message_text(fit_html(reply.html, TEXT_LIMIT), reply_markup=keys)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
        notice = "Already up to date"
    await query.answer(notice or None)


def request_from_update(
    services: Services,
    update: Update,
    bot: Bot,
    command: str,
    raw_args: str,
) -> Request:
    """A Request for a command message (or a button press standing in for one)."""
    chat = update.effective_chat
    user = update.effective_user
    message = update.effective_message
    sender_chat = message.sender_chat if message is not None else None
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    return Request(
        services=services,
        command=command,
        args=split_args(raw_args),
        raw_args=raw_args,
        chat_id=chat.id if chat else 0,
        chat_type=ChatType(chat.type) if chat else ChatType.PRIVATE,
        user_id=user.id if user else None,
        sender_chat_id=sender_chat.id if sender_chat else None,
        thread_id=thread,
        bot=bot,
    )


def request_from_query(services: Services, update: Update, bot: Bot) -> Request:
    """A Request for a button press (no arguments; the data is parsed by the caller)."""
    return request_from_update(services, update, bot, "button", "")
