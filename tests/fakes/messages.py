"""Message methods of the fake server: send, edit, delete, answer callback queries.

Texts are checked like Telegram does: HTML is parsed (malformed HTML -> "can't parse
entities"), then the length is measured in UTF-16 code units against 4096 (text) or 1024
(caption). Messages are stored so edits, replies and button presses can refer to them.
"""

from __future__ import annotations

import itertools
from typing import Any

from telegram import Chat, Document, InlineKeyboardMarkup, Message, MessageEntity, PhotoSize
from telegram.constants import MessageLimit

from tests.fakes.faults import bad_request
from tests.fakes.html_entities import EntityParseError, parse_html, utf16_len
from tests.fakes.objects import image_size, now
from tests.fakes.state import FakeState

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of message"
)
_MAX_PHOTO_BYTES = 10 * 1024 * 1024
_MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
_file_numbers = itertools.count(1)


def render(text: str, parse_mode: str | None, *, caption: bool) -> tuple[str, list]:
    """Plain text and entities for ``text``, or the Bot API's 400 for it."""
    plain, entities = text, []
    if parse_mode and parse_mode.lower() == "html":
        try:
            plain, entities = parse_html(text)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    elif parse_mode and parse_mode.lower() not in ("markdown", "markdownv2"):
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    if caption and utf16_len(plain) > MessageLimit.CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    if not caption and not plain.strip():
        raise bad_request("message text is empty")
    if not caption and utf16_len(plain) > MessageLimit.MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return plain, entities


def inline_markup(raw: Any, chat: Chat | None = None) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a ``reply_markup`` parameter, validated like Telegram does (a Web
    App button only in a private chat, its URL https)."""
    if not isinstance(raw, dict) or "inline_keyboard" not in raw:
        return None
    for row in raw["inline_keyboard"]:
        for button in row:
            if "web_app" in button:
                if chat is not None and chat.type != Chat.PRIVATE:
                    raise bad_request("BUTTON_TYPE_INVALID")
                if not str(button["web_app"].get("url", "")).startswith("https://"):
                    raise bad_request("BUTTON_URL_INVALID")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            if not set(button) - {"text"}:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
    return InlineKeyboardMarkup.de_json(raw, None)


class MessageMethods(FakeState):
    """Handlers for methods that create or change messages."""

    def _compose(self, chat: Chat, message_id: int, **fields: Any) -> Message:
        """Store and return a bot message in ``chat`` with ``fields`` (Message kwargs)."""
        is_channel = chat.type == Chat.CHANNEL
        message = Message(
            message_id,
            fields.pop("date", None) or now(),
            chat,
            from_user=None if is_channel else self.bot,
            sender_chat=chat if is_channel else None,
            **fields,
        )
        self._messages[(chat.id, message_id)] = message
        return message

    def _reply_to(self, chat: Chat, params: dict[str, Any]) -> Message | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id") or params.get("reply_to_message_id")
        if not message_id:
            return None
        target = self._messages.get((chat.id, int(message_id)))
        allow = reply.get("allow_sending_without_reply") or params.get(
            "allow_sending_without_reply"
        )
        if target is None and not allow:
            raise bad_request("message to be replied not found")
        return target

    def _send_fields(self, chat: Chat, params: dict[str, Any]) -> dict[str, Any]:
        thread_id = params.get("message_thread_id")
        return {
            "reply_markup": inline_markup(params.get("reply_markup"), chat),
            "reply_to_message": self._reply_to(chat, params),
            "message_thread_id": thread_id,
            "is_topic_message": True if thread_id is not None and chat.is_forum else None,
        }

    async def m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params.get("chat_id"))
        text, entities = render(
            str(params.get("text") or ""), params.get("parse_mode"), caption=False
        )
        fields = self._send_fields(chat, params)
        message_id = self._new_message_id(chat.id)
        return self._compose(chat, message_id, text=text, entities=entities, **fields).to_dict()

    async def m_sendPhoto(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params.get("chat_id"))
        caption, entities = render(
            str(params.get("caption") or ""), params.get("parse_mode"), caption=True
        )
        photo = self._photo(params.get("photo"))
        fields = self._send_fields(chat, params)
        message_id = self._new_message_id(chat.id)
        message = self._compose(
            chat,
            message_id,
            photo=photo,
            caption=caption or None,
            caption_entities=entities,
            **fields,
        )
        return message.to_dict()

    async def m_sendDocument(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params.get("chat_id"))
        caption, entities = render(
            str(params.get("caption") or ""), params.get("parse_mode"), caption=True
        )
        document = self._document(params.get("document"))
        fields = self._send_fields(chat, params)
        message_id = self._new_message_id(chat.id)
        message = self._compose(
            chat,
            message_id,
            document=document,
            caption=caption or None,
            caption_entities=entities,
            **fields,
        )
        return message.to_dict()

    def _document(self, raw: Any) -> Document:
        """A Document for an uploaded file (kept for getFile) or a file_id issued earlier."""
        if isinstance(raw, str):
            if raw not in self._files:
                raise bad_request("wrong file identifier/HTTP URL specified")
            data, name = self._files[raw][0], raw
        elif isinstance(raw, bytes):
            data, name = raw, getattr(raw, "filename", "") or "file"
        else:
            raise bad_request("there is no document in the request")
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > _MAX_DOCUMENT_BYTES:
            raise bad_request("file is too big")
        number = next(_file_numbers)
        file_id = f"BQACAgIAAxkBAAI{number:06d}"
        path = f"documents/file_{number}_{name}"
        self._files[file_id] = (bytes(data), path)
        self._file_paths[path] = bytes(data)
        return Document(file_id, f"AgAD{number:06d}", file_name=name, file_size=len(data))

    def document_bytes(self, file_id: str) -> bytes:
        """The bytes of a file the bot uploaded (tests)."""
        return self._files[file_id][0]

    def _photo(self, raw: Any) -> list[PhotoSize]:
        """PhotoSizes for an uploaded photo or a file_id the fake issued earlier."""
        if isinstance(raw, str):
            if raw not in self._files:
                raise bad_request("wrong file identifier/HTTP URL specified")
            data = self._files[raw][0]
        elif isinstance(raw, bytes):
            data = raw
        else:
            raise bad_request("there is no photo in the request")
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > _MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        size = image_size(data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        if sum(size) > 10_000:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return [self._store_file(data, size, side) for side in (320, 1280)]

    def _store_file(self, data: bytes, size: tuple[int, int], side: int) -> PhotoSize:
        number = next(_file_numbers)
        file_id = f"AgACAgIAAxkBAAI{number:06d}"
        path = f"photos/file_{number}.jpg"
        self._files[file_id] = (data, path)
        self._file_paths[path] = data
        scale = min(1.0, side / max(size))
        width, height = max(1, round(size[0] * scale)), max(1, round(size[1] * scale))
        return PhotoSize(file_id, f"AQAD{number:06d}", width, height, file_size=len(data))

    async def m_editMessageText(self, params: dict[str, Any]) -> Any:
        old = self._stored(params)
        if old.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = render(
            str(params.get("text") or ""), params.get("parse_mode"), caption=False
        )
        markup = inline_markup(params.get("reply_markup"), old.chat)
        _check_modified(old, (text, tuple(entities), markup), (old.text, old.entities))
        return self._edited(old, text=text, entities=entities, reply_markup=markup)

    async def m_editMessageCaption(self, params: dict[str, Any]) -> Any:
        old = self._stored(params)
        if old.text is not None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = render(
            str(params.get("caption") or ""), params.get("parse_mode"), caption=True
        )
        markup = inline_markup(params.get("reply_markup"), old.chat)
        current = (old.caption or "", old.caption_entities)
        _check_modified(old, (caption, tuple(entities), markup), current)
        return self._edited(
            old,
            photo=old.photo,
            caption=caption or None,
            caption_entities=entities,
            reply_markup=markup,
        )

    async def m_editMessageMedia(self, params: dict[str, Any]) -> Any:
        old = self._stored(params)
        media = params.get("media") or {}
        if media.get("type") != "photo":
            raise bad_request("unsupported media type in the fake (only photo)")
        source = media.get("media", "")
        raw = params.get(source[len("attach://") :]) if source.startswith("attach://") else source
        caption, entities = render(
            str(media.get("caption") or ""), media.get("parse_mode"), caption=True
        )
        markup = inline_markup(params.get("reply_markup"), old.chat)
        if old.photo and self._same_picture(old.photo[-1].file_id, raw):
            current = (old.caption or "", old.caption_entities)
            _check_modified(old, (caption, tuple(entities), markup), current)
        photo = self._photo(raw)
        return self._edited(
            old,
            photo=photo,
            caption=caption or None,
            caption_entities=entities,
            reply_markup=markup,
        )

    def _same_picture(self, current_file_id: str, raw: Any) -> bool:
        """Whether ``raw`` (an upload or a file_id) is the picture the message already shows."""
        if isinstance(raw, str):
            return raw == current_file_id or (
                raw in self._files and self._files[raw][0] == self._files[current_file_id][0]
            )
        return isinstance(raw, bytes) and bytes(raw) == self._files[current_file_id][0]

    async def m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        old = self._stored(params)
        markup = inline_markup(params.get("reply_markup"), old.chat)
        if markup == old.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        content = {"text": old.text, "entities": old.entities, "photo": old.photo}
        content |= {"caption": old.caption, "caption_entities": old.caption_entities}
        return self._edited(old, reply_markup=markup, **content)

    def _edited(self, old: Message, **fields: Any) -> Any:
        message = self._compose(
            old.chat,
            old.message_id,
            date=old.date,
            edit_date=now(),
            message_thread_id=old.message_thread_id,
            **fields,
        )
        return message.to_dict()

    async def m_deleteMessage(self, params: dict[str, Any]) -> Any:
        old = self._stored(params, action="delete")
        self.delete_message(old.chat.id, old.message_id)
        return True

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """Delete a message (as the bot or a chat admin would); it is unpinned with it."""
        self._messages.pop((chat_id, message_id), None)
        if message_id in self.pinned.get(chat_id, []):
            self.pinned[chat_id].remove(message_id)

    def deny_pin(self, chat_id: int, denied: bool = True) -> None:
        """Take away (or give back) the bot's right to pin messages in ``chat_id``."""
        if denied:
            self.no_pin_rights.add(chat_id)
        else:
            self.no_pin_rights.discard(chat_id)

    async def m_pinChatMessage(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params.get("chat_id"))
        if chat.id in self.no_pin_rights:
            raise bad_request("not enough rights to manage pinned messages in the chat")
        message = self._messages.get((chat.id, int(params.get("message_id") or 0)))
        if message is None:
            raise bad_request("message to pin not found")
        pins = self.pinned.setdefault(chat.id, [])
        if message.message_id in pins:
            pins.remove(message.message_id)
        pins.append(message.message_id)
        return True

    async def m_unpinChatMessage(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params.get("chat_id"))
        if chat.id in self.no_pin_rights:
            raise bad_request("not enough rights to manage pinned messages in the chat")
        pins = self.pinned.get(chat.id, [])
        raw = params.get("message_id")
        target = int(raw) if raw else (pins[-1] if pins else None)
        if target is None or target not in pins:
            raise bad_request("message to unpin not found")
        pins.remove(target)
        return True

    async def m_unpinAllChatMessages(self, params: dict[str, Any]) -> Any:
        chat = self._writable_chat(params.get("chat_id"))
        if chat.id in self.no_pin_rights:
            raise bad_request("not enough rights to manage pinned messages in the chat")
        self.pinned[chat.id] = []
        return True

    async def m_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self._inline_queries or self._inline_queries[query_id] is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        results = params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH" if isinstance(results, list) else "results empty")
        ids = [str(r.get("id", "")) for r in results]
        if len(set(ids)) != len(ids) or any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise bad_request("RESULT_ID_DUPLICATE" if ids else "RESULT_ID_INVALID")
        for result in results:
            self._check_inline_result(result)
        cache_time = params.get("cache_time")
        if cache_time is not None and int(cache_time) < 0:
            raise bad_request("cache_time must be non-negative")
        button = params.get("button")
        if button is not None:
            start = str(button.get("start_parameter") or "")
            if (
                not button.get("text")
                or not 1 <= len(start) <= 64
                or not all(ch.isalnum() or ch in "_-" for ch in start)
            ):
                raise bad_request("BUTTON_INVALID")
        self._inline_queries[query_id] = params
        return True

    def _check_inline_result(self, result: dict[str, Any]) -> None:
        kind = result.get("type")
        if kind == "article":
            content = result.get("input_message_content") or {}
            if not result.get("title"):
                raise bad_request("RESULT_TITLE_EMPTY")
            render(str(content.get("message_text") or ""), content.get("parse_mode"),
                   caption=False)  # fmt: skip
        elif kind == "photo" and "photo_file_id" in result:
            if result["photo_file_id"] not in self._files:
                raise bad_request("PHOTO_INVALID: wrong file identifier")
            render(str(result.get("caption") or ""), result.get("parse_mode"), caption=True)
        else:
            raise bad_request(f"unsupported inline result type in the fake: {kind}")

    async def m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if self._callback_queries.get(query_id, True):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._callback_queries[query_id] = True
        return True


def _check_modified(old: Message, new: tuple, current: tuple) -> None:
    """Telegram refuses an edit that changes neither the content nor the keyboard."""
    text, entities, markup = new
    old_text, old_entities = current
    same_entities = [_entity_key(e) for e in entities] == [_entity_key(e) for e in old_entities]
    if text == old_text and same_entities and markup == old.reply_markup:
        raise bad_request(_NOT_MODIFIED)


def _entity_key(entity: MessageEntity) -> tuple:
    return (entity.type, entity.offset, entity.length, entity.url, entity.language)
