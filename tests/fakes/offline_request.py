"""In-process python-telegram-bot helpers: a request layer with no network, and Update builders.

This is python-telegram-bot's own test style: build an ``Application`` whose bot never needs
the network (``get_me`` is faked), feed it updates with ``Application.process_update``.
``OfflineRequest`` fails (and records) any call; ``FakeRequest`` answers calls in-process with
a ``FakeBotApi`` (same validation and recording as over HTTP, no socket, no server start).
"""

from __future__ import annotations

import json
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.ext import Application, ApplicationBuilder, ExtBot
from telegram.request import BaseRequest, RequestData

from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import (
    bot_user,
    command_message,
    group_chat,
    make_user,
    now,
    private_chat,
)
from tests.fakes.wire import Upload, decode_params

TOKEN = "123:TEST"
_update_ids = iter(range(1, 1_000_000_000))


class NetworkCallAttempted(RuntimeError):
    """Raised by ``OfflineRequest``: the code under test tried to reach Telegram."""


class _LocalRequest(BaseRequest):
    """A request layer with nothing to open or close and no read timeout (no network)."""

    @property
    def read_timeout(self) -> float | None:
        """No read timeout: nothing is read from a network."""
        return None

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


class OfflineRequest(_LocalRequest):
    """A request layer that refuses every call; ``attempts`` lists ``(method, params)``.

    python-telegram-bot wraps the error in ``NetworkError``, and a handler error may be
    swallowed by the application, so assert ``attempts == []`` where it matters.
    """

    def __init__(self) -> None:
        self.attempts: list[tuple[str, dict[str, Any]]] = []

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
        """Record the call and raise ``NetworkCallAttempted``."""
        api_method = url.rsplit("/", 1)[-1]
        self.attempts.append((api_method, _fields(request_data)))
        raise NetworkCallAttempted(f"offline test tried to call {api_method}")


class FakeRequest(_LocalRequest):
    """A request layer answered by ``fake.answer`` in-process (the fake need not be started)."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake

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
        """Answer from the fake: ``(status, json_bytes)`` as Telegram would."""
        prefix, api_method = url.rsplit("/", 1)
        token = prefix.rsplit("/bot", 1)[-1]
        status, body = await self.fake.answer(
            token, api_method, decode_params(_fields(request_data))
        )
        return status, json.dumps(body).encode()


class OfflineBot(ExtBot):
    """An ``ExtBot`` whose ``get_me`` answers locally, so ``initialize`` needs no network."""

    async def get_me(self, *args: Any, **kwargs: Any) -> User:
        """The bot user of the token, without calling Telegram."""
        me = bot_user(int(self.token.split(":", 1)[0]))
        me.set_bot(self)
        self._bot_user = me
        return me


def offline_application(request: BaseRequest | None = None, *, token: str = TOKEN) -> Application:
    """An ``Application`` (no updater) whose bot has a faked ``get_me`` and ``request``
    (default ``OfflineRequest``) as its request layer. Call ``await app.initialize()``, then
    ``await app.process_update(update)``; ``await app.shutdown()`` at the end."""
    layer = request or OfflineRequest()
    bot = OfflineBot(token, request=layer, get_updates_request=layer)
    return ApplicationBuilder().bot(bot).updater(None).build()


def _fields(request_data: RequestData | None) -> dict[str, Any]:
    if request_data is None:
        return {}
    fields: dict[str, Any] = dict(request_data.json_parameters)
    for name, (filename, content, _mimetype) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        fields[name] = Upload(data, filename)
    return fields


# -- Update builders -------------------------------------------------------------------------


def command_update(
    bot: Bot,
    text: str,
    *,
    user: User | None = None,
    chat: Chat | None = None,
    anonymous: bool = False,
) -> Update:
    """An Update with a ``/command`` message, bound to ``bot`` (so ``reply_text`` works).

    Private chat with ``user`` by default; pass ``chat`` for a group, ``anonymous=True`` for an
    anonymous group admin (``sender_chat == chat``).
    """
    sender = user or make_user()
    where = chat or private_chat(sender)
    from_user = User(1087968824, "Group", is_bot=True, username="GroupAnonymousBot")
    message = command_message(
        next(_update_ids),
        where,
        from_user if anonymous else sender,
        text,
        sender_chat=where if anonymous else None,
    )
    return _bound(bot, Update(next(_update_ids), message=message))


def group_command_update(
    bot: Bot, text: str, *, user: User | None = None, chat: Chat | None = None
) -> Update:
    """A ``/command`` Update in a group (a fresh basic group unless ``chat`` is given)."""
    return command_update(bot, text, user=user, chat=chat or group_chat())


def callback_update(
    bot: Bot,
    data: str,
    *,
    user: User | None = None,
    message: Message | None = None,
    chat: Chat | None = None,
) -> Update:
    """An Update with a ``callback_query`` carrying ``data``, pressed by ``user`` on
    ``message`` (by default a bot message in ``chat`` with one button for ``data``)."""
    presser = user or make_user()
    if message is None:
        where = chat or private_chat(presser)
        keyboard = InlineKeyboardMarkup.from_button(
            InlineKeyboardButton("Button", callback_data=data)
        )
        me = bot_user(int(bot.token.split(":", 1)[0]))
        message = Message(
            next(_update_ids), now(), where, from_user=me, text="…", reply_markup=keyboard
        )
    query = CallbackQuery(
        str(next(_update_ids)),
        presser,
        chat_instance=str(message.chat.id),
        message=message,
        data=data,
    )
    return _bound(bot, Update(next(_update_ids), callback_query=query))


def _bound(bot: Bot, update: Update) -> Update:
    """Round-trip through JSON so every nested object knows ``bot``, as in real polling."""
    bound = Update.de_json(update.to_dict(), bot)
    assert bound is not None
    return bound
