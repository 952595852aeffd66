"""The fake Bot API's world: chats, memberships, stored messages, files and the update queue."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import BotCommand, Chat, ChatMember, Message, Update, User

from tests.fakes.faults import ApiError, FaultPlan, bad_request
from tests.fakes.objects import chat_for_id

# Update types Telegram sends when allowed_updates is empty or was never given.
DEFAULT_ALLOWED = frozenset(Update.ALL_TYPES) - {
    Update.CHAT_MEMBER,
    Update.MESSAGE_REACTION,
    Update.MESSAGE_REACTION_COUNT,
}
_NOT_MEMBER = (ChatMember.LEFT, ChatMember.BANNED)


class FakeState:
    """State shared by the method handlers and the update injectors."""

    bot: User
    strict_chats: bool

    def __init__(self) -> None:
        self.chats: dict[int, Chat] = {}
        self.bot_status: dict[int, str] = {}
        self.members: dict[int, dict[int, tuple[User, str, bool]]] = {}
        self._messages: dict[tuple[int, int], Message] = {}
        #: Pinned message ids per chat, the most recently pinned last.
        self.pinned: dict[int, list[int]] = {}
        self.no_pin_rights: set[int] = set()
        self._next_message_id: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 100_001
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED
        self._poll_generation = 0
        self._updates_changed = asyncio.Condition()
        self._closing = False
        self._webhook_url = ""
        self._commands: dict[tuple[str, str], list[BotCommand]] = {}
        #: Menu button per chat id (None: the default for every private chat).
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._callback_queries: dict[str, bool] = {}
        # Inline query id -> its answerInlineQuery parameters (None until answered).
        self._inline_queries: dict[str, dict[str, Any] | None] = {}
        self._files: dict[str, tuple[bytes, str]] = {}
        self._file_paths: dict[str, bytes] = {}
        self._faults = FaultPlan()

    # -- chats -----------------------------------------------------------------------------

    def add_chat(self, chat: Chat) -> Chat:
        """Make ``chat`` known (the bot is a member; an admin in channels)."""
        self.chats[chat.id] = chat
        if chat.id not in self.bot_status:
            admin = chat.type == Chat.CHANNEL
            self.bot_status[chat.id] = ChatMember.ADMINISTRATOR if admin else ChatMember.MEMBER
        return chat

    def _resolve_chat_id(self, raw: Any) -> int | str | None:
        """Turn a chat_id parameter into an int id (``@username`` mapped when known)."""
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self.chats.values():
                if chat.username and f"@{chat.username}".lower() == raw.lower():
                    return chat.id
            return raw
        if isinstance(raw, str):
            try:
                return int(raw)
            except ValueError:
                return raw
        return raw if isinstance(raw, int) else None

    def _chat(self, raw: Any) -> Chat:
        """The chat a method addresses, or the Bot API's error for a bad chat_id."""
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat_id = self._resolve_chat_id(raw)
        if isinstance(chat_id, int) and chat_id in self.chats:
            return self.chats[chat_id]
        if isinstance(chat_id, int) and chat_id != 0 and not self.strict_chats:
            return self.add_chat(chat_for_id(chat_id))
        raise bad_request("chat not found")

    def _writable_chat(self, raw: Any) -> Chat:
        """The chat to post into, refusing as Telegram does when the bot may not post."""
        chat = self._chat(raw)
        status = self.bot_status.get(chat.id, ChatMember.MEMBER)
        if chat.type == Chat.PRIVATE and status == ChatMember.BANNED:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        kind = {Chat.GROUP: "group", Chat.SUPERGROUP: "supergroup", Chat.CHANNEL: "channel"}
        if chat.type in kind and status == ChatMember.BANNED:
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind[chat.type]} chat")
        if chat.type in kind and status == ChatMember.LEFT:
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind[chat.type]} chat")
        if chat.type == Chat.CHANNEL and status != ChatMember.ADMINISTRATOR:
            raise bad_request("need administrator rights in the channel chat")
        return chat

    def set_member(
        self, chat_id: int, user: User, status: str, *, can_post_messages: bool = True
    ) -> None:
        """Set ``user``'s status in ``chat_id`` (creator/administrator/member/left/kicked)."""
        self.members.setdefault(chat_id, {})[user.id] = (user, status, can_post_messages)

    def set_admins(
        self,
        chat_id: int,
        admins: list[User],
        *,
        creator: User | None = None,
        can_post_messages: bool = True,
    ) -> None:
        """Make ``admins`` administrators (and ``creator`` the owner) of ``chat_id``."""
        if creator is not None:
            self.set_member(chat_id, creator, ChatMember.OWNER)
        for user in admins:
            self.set_member(
                chat_id, user, ChatMember.ADMINISTRATOR, can_post_messages=can_post_messages
            )

    def _member_status(self, chat: Chat, user_id: int) -> tuple[User | None, str, bool]:
        if user_id == self.bot.id:
            status = self.bot_status.get(chat.id, ChatMember.MEMBER)
            return self.bot, status, True
        known = self.members.get(chat.id, {}).get(user_id)
        if known is not None:
            return known
        if chat.type == Chat.PRIVATE and user_id == chat.id:
            return None, ChatMember.MEMBER, False
        return None, ChatMember.LEFT, False

    def _note_sender(self, chat: Chat, user: User | None) -> None:
        """A user who writes in a group is at least a member of it."""
        if user is None or chat.type == Chat.PRIVATE:
            return
        if user.id not in self.members.get(chat.id, {}):
            self.set_member(chat.id, user, ChatMember.MEMBER)

    # -- messages --------------------------------------------------------------------------

    def _new_message_id(self, chat_id: int) -> int:
        next_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = next_id + 1
        return next_id

    def _stored(self, params: dict[str, Any], *, action: str = "edit") -> Message:
        chat = self._chat(params.get("chat_id"))
        message = self._messages.get((chat.id, params.get("message_id", 0)))
        if message is None:
            raise bad_request(f"message to {action} not found")
        return message

    # -- updates ---------------------------------------------------------------------------

    async def _enqueue(self, update: Update) -> Update:
        """Queue ``update`` for getUpdates (dropped if the bot did not allow its type)."""
        payload = update.to_dict()
        kind = next(k for k in payload if k != "update_id")
        if kind in self._allowed_updates:
            self._updates.append(payload)
        async with self._updates_changed:
            self._updates_changed.notify_all()
        return update

    def _next_update(self) -> int:
        self._next_update_id += 1
        return self._next_update_id - 1

    @property
    def inline_answers(self) -> dict[str, dict[str, Any]]:
        """The accepted answerInlineQuery parameters, by inline query id."""
        return {k: v for k, v in self._inline_queries.items() if v is not None}

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot (via a later getUpdates offset)."""
        return len(self._updates)
