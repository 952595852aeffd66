"""What the fake Bot API records about each call it answered."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

# Methods that change something visible to users; they make up ``FakeBotApi.sent``.
OUTGOING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendChatAction",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "deleteMessage",
        "answerCallbackQuery",
        "setMyCommands",
        "deleteMyCommands",
        "leaveChat",
        "pinChatMessage",
        "unpinChatMessage",
        "unpinAllChatMessages",
        "answerInlineQuery",
    }
)
# Methods that deliver a new message (subject to limits, delay and the rate limit).
SENDING_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
EDITING_METHODS = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup"}
)


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call as the fake saw it, and how it was answered.

    ``text``/``caption`` are as sent (HTML source); ``rendered`` is the text or caption after
    entity parsing. ``photo_bytes`` is the size of an uploaded photo (None if not an upload).
    ``message_id`` is the id of the message sent or edited. ``ok`` is False for error answers,
    with ``error_code`` and ``description`` set.
    """

    method: str
    params: dict[str, Any]
    chat_id: int | str | None = None
    text: str | None = None
    caption: str | None = None
    rendered: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    photo_bytes: int | None = None
    message_id: int | None = None
    message_thread_id: int | None = None
    disable_notification: bool | None = None
    ok: bool = True
    error_code: int | None = None
    description: str | None = None
    result: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def body(self) -> str | None:
        """Text of a message or caption of a photo, whichever this call carried."""
        return self.text if self.text is not None else self.caption

    def button_data(self) -> list[str]:
        """The ``callback_data`` of every inline button in ``reply_markup``, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]
