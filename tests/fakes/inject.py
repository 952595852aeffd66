"""Inject updates into the fake server's getUpdates queue, as Telegram would create them."""

from __future__ import annotations

import itertools
from typing import Any

from telegram import (
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberUpdated,
    InlineQuery,
    Message,
    Update,
    User,
)

from tests.fakes.faults import Fault
from tests.fakes.objects import (
    chat_for_id,
    chat_member,
    command_message,
    now,
    private_chat,
    supergroup_chat,
)
from tests.fakes.records import ApiCall
from tests.fakes.state import FakeState

# The sender Telegram puts in ``from`` when a group admin posts anonymously.
ANONYMOUS_ADMIN = User(1087968824, "Group", is_bot=True, username="GroupAnonymousBot")
_query_ids = itertools.count(1)


class UpdateInjector(FakeState):
    """Builders that queue updates: commands, channel posts, button presses, membership."""

    def _as_chat(self, chat: Chat | int) -> Chat:
        if isinstance(chat, Chat):
            if chat.id not in self.chats:
                self.add_chat(chat)
            return self.chats[chat.id]
        return self.chats.get(chat) or self.add_chat(chat_for_id(chat))

    async def send_command(
        self,
        chat: Chat | int | None,
        user: User | None,
        text: str,
        *,
        anonymous: bool = False,
        message_thread_id: int | None = None,
    ) -> Update:
        """Queue a message ``text`` (e.g. ``"/rotation IWM"``) from ``user`` in ``chat``.

        ``chat=None`` means the private chat with ``user``. ``anonymous=True`` sends it as an
        anonymous group admin: ``from`` is GroupAnonymousBot and ``sender_chat`` is the chat.
        A leading ``/command`` gets its ``bot_command`` entity.
        """
        if chat is None:
            if user is None:
                raise ValueError("a private chat needs a user")
            chat = private_chat(user)
        target = self._as_chat(chat)
        sender = ANONYMOUS_ADMIN if anonymous else user
        self._note_sender(target, None if anonymous else user)
        message = command_message(
            self._new_message_id(target.id),
            target,
            sender,
            text,
            sender_chat=target if anonymous else None,
            message_thread_id=message_thread_id,
        )
        self._messages[(target.id, message.message_id)] = message
        return await self._enqueue(Update(self._next_update(), message=message))

    async def send_channel_post(self, channel: Chat | int, text: str) -> Update:
        """Queue a ``channel_post`` with ``text`` in ``channel`` (bot must be admin to see it)."""
        target = self._as_chat(channel)
        message = command_message(
            self._new_message_id(target.id), target, None, text, sender_chat=target
        )
        self._messages[(target.id, message.message_id)] = message
        return await self._enqueue(Update(self._next_update(), channel_post=message))

    async def press_button(
        self, message: ApiCall | Message | tuple[int, int], data: str, user: User
    ) -> Update:
        """Queue a ``callback_query``: ``user`` presses the button with ``data`` on a bot
        message (an ``ApiCall`` from ``sent``, a ``Message`` or ``(chat_id, message_id)``)."""
        key = _message_key(message)
        stored = self._messages.get(key)
        if stored is None:
            raise ValueError(f"no message {key} to press a button on")
        buttons = [
            b.callback_data
            for row in (stored.reply_markup.inline_keyboard if stored.reply_markup else ())
            for b in row
        ]
        if data not in buttons:
            raise ValueError(f"message {key} has no button with data {data!r}: {buttons}")
        query_id = f"{next(_query_ids)}{abs(stored.chat.id) % 10_000:04d}"
        self._callback_queries[query_id] = False
        query = CallbackQuery(
            query_id, user, chat_instance=str(stored.chat.id), message=stored, data=data
        )
        return await self._enqueue(Update(self._next_update(), callback_query=query))

    async def send_inline_query(self, user: User, query: str, *, chat_type: str = "sender") -> str:
        """Queue an ``inline_query``: ``user`` typed ``@bot <query>`` in some chat (of
        ``chat_type``). Returns the query id; its answer is ``inline_answers[query_id]``."""
        query_id = f"{next(_query_ids)}{user.id % 10_000:04d}"
        self._inline_queries[query_id] = None
        inline = InlineQuery(query_id, user, query, offset="", chat_type=chat_type)
        await self._enqueue(Update(self._next_update(), inline_query=inline))
        return query_id

    def callback_answered(self, query_id: str) -> bool:
        """True once the bot called answerCallbackQuery for ``query_id``."""
        return self._callback_queries.get(query_id, False)

    async def my_chat_member(
        self, chat: Chat | int, old_status: str, new_status: str, by_user: User
    ) -> Update:
        """Queue a ``my_chat_member`` update: the bot went from ``old_status`` to
        ``new_status`` (member/administrator/left/kicked) in ``chat``, changed by
        ``by_user``. In a private chat, ``kicked`` means the user blocked the bot."""
        target = self._as_chat(chat)
        self.bot_status[target.id] = new_status
        update = ChatMemberUpdated(
            target,
            by_user,
            now(),
            chat_member(self.bot, old_status),
            chat_member(self.bot, new_status),
        )
        return await self._enqueue(Update(self._next_update(), my_chat_member=update))

    async def member_status(
        self, chat: Chat | int, user: User, new_status: str, by_user: User
    ) -> Update:
        """Change ``user``'s status in ``chat`` (promote, demote, ban...) and queue the
        ``chat_member`` update Telegram sends to a bot that administers the chat."""
        target = self._as_chat(chat)
        _, old_status, _ = self._member_status(target, user.id)
        self.set_member(target.id, user, new_status)
        update = ChatMemberUpdated(
            target, by_user, now(), chat_member(user, old_status), chat_member(user, new_status)
        )
        return await self._enqueue(Update(self._next_update(), chat_member=update))

    async def edit_message(self, chat: Chat | int | None, user: User, message_id: int,
                           text: str) -> Update:  # fmt: skip
        """Queue an ``edited_message``: ``user`` edits their message ``message_id`` to
        ``text`` (``chat=None``: the private chat with ``user``)."""
        target = self._as_chat(private_chat(user) if chat is None else chat)
        message = command_message(message_id, target, user, text)
        edited = Message(
            message.message_id, message.date, target, from_user=user, text=message.text,
            entities=message.entities, edit_date=now(),
        )  # fmt: skip
        self._messages[(target.id, message_id)] = edited
        return await self._enqueue(Update(self._next_update(), edited_message=edited))

    async def migrate(self, chat: Chat | int, new_id: int, by_user: User | None = None) -> Chat:
        """Upgrade group ``chat`` to a supergroup with id ``new_id``.

        Queues both service messages (``migrate_to_chat_id`` in the old group,
        ``migrate_from_chat_id`` in the new one), moves members over, and from now on answers
        calls to the old id with 400 + ``migrate_to_chat_id``. Returns the new chat.
        """
        old = self._as_chat(chat)
        new = self.add_chat(supergroup_chat(new_id, old.title or "Supergroup"))
        self.members[new.id] = dict(self.members.get(old.id, {}))
        self.bot_status[new.id] = self.bot_status.get(old.id, ChatMember.MEMBER)
        sender = by_user or ANONYMOUS_ADMIN
        await self._service(old, sender, migrate_to_chat_id=new.id)
        await self._service(new, sender, migrate_from_chat_id=old.id)
        self._faults.per_chat[old.id] = Fault("migrated", None, new_chat_id=new.id)
        return new

    async def _service(self, chat: Chat, sender: User, **fields: Any) -> None:
        message = Message(self._new_message_id(chat.id), now(), chat, from_user=sender, **fields)
        self._messages[(chat.id, message.message_id)] = message
        await self._enqueue(Update(self._next_update(), message=message))


def _message_key(message: ApiCall | Message | tuple[int, int]) -> tuple[int, int]:
    if isinstance(message, Message):
        return message.chat.id, message.message_id
    if isinstance(message, ApiCall):
        if not isinstance(message.chat_id, int) or message.message_id is None:
            raise ValueError(f"call {message.method} did not produce a message")
        return message.chat_id, message.message_id
    return message
