"""Bot API method handlers of the fake server: each ``m_<method>`` takes decoded parameters and
returns the ``result`` JSON, or raises ``ApiError`` with Telegram's description."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from telegram import BotCommand, Chat, ChatMember, File, User, WebhookInfo

from tests.fakes.faults import ApiError, bad_request
from tests.fakes.messages import MessageMethods
from tests.fakes.objects import chat_member, full_info
from tests.fakes.state import DEFAULT_ALLOWED

_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class BotApiMethods(MessageMethods):
    """getMe, polling, commands, chats and members; message methods come from the base."""

    def _method_table(self) -> dict[str, Callable[..., Any]]:
        """Bot API method name (lower case) -> its implementation, built once per fake."""
        table: dict[str, Callable[..., Any]] | None = self.__dict__.get("_methods")
        if table is None:
            table = {
                name[2:].lower(): getattr(self, name) for name in dir(self) if name.startswith("m_")
            }
            self.__dict__["_methods"] = table
        return table

    async def m_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot.to_dict()

    async def m_logOut(self, params: dict[str, Any]) -> Any:
        return True

    async def m_close(self, params: dict[str, Any]) -> Any:
        return True

    # -- polling ---------------------------------------------------------------------------

    async def m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED
        self._confirm(int(params.get("offset") or 0))
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        self._poll_generation += 1
        generation = self._poll_generation
        async with self._updates_changed:
            self._updates_changed.notify_all()  # an older long poll now ends with 409
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._updates_changed.wait_for(
                        lambda: (
                            self._updates or self._closing or generation != self._poll_generation
                        )
                    ),
                    timeout,
                )
        if generation != self._poll_generation and not self._closing:
            raise ApiError(409, _CONFLICT)
        return self._updates[:limit]

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    async def m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def m_setWebhook(self, params: dict[str, Any]) -> Any:
        self._webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return WebhookInfo(self._webhook_url, False, len(self._updates)).to_dict()

    # -- commands --------------------------------------------------------------------------

    def _command_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return str(scope.get("type", "default")), str(params.get("language_code") or "")

    async def m_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = [BotCommand(c["command"], c["description"]) for c in params["commands"]]
        for command in commands:
            if not command.command or len(command.command) > 32 or not command.description:
                raise bad_request("BOT_COMMAND_INVALID")
            if command.command != command.command.lower() or not all(
                ch.isalnum() or ch == "_" for ch in command.command
            ):
                raise bad_request("BOT_COMMAND_INVALID")
        self._commands[self._command_key(params)] = commands
        return True

    async def m_getMyCommands(self, params: dict[str, Any]) -> Any:
        return [c.to_dict() for c in self._commands.get(self._command_key(params), [])]

    async def m_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        self._commands.pop(self._command_key(params), None)
        return True

    async def m_setChatMenuButton(self, params: dict[str, Any]) -> Any:
        button = params.get("menu_button") or {"type": "default"}
        kind = button.get("type")
        if kind not in ("commands", "web_app", "default"):
            raise bad_request("BUTTON_TYPE_INVALID")
        if kind == "web_app":
            url = str((button.get("web_app") or {}).get("url", ""))
            if not url.startswith("https://") or not button.get("text"):
                raise bad_request("BUTTON_URL_INVALID")
        chat_id = params.get("chat_id")
        self.menu_buttons[int(chat_id) if chat_id is not None else None] = button
        return True

    async def m_getChatMenuButton(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        key = int(chat_id) if chat_id is not None else None
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "commands"}

    # -- chats -----------------------------------------------------------------------------

    async def m_sendChatAction(self, params: dict[str, Any]) -> Any:
        self._writable_chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def m_getChat(self, params: dict[str, Any]) -> Any:
        return full_info(self._chat(params.get("chat_id"))).to_dict()

    async def m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params.get("chat_id"))
        user_id = int(params.get("user_id") or 0)
        user, status, can_post = self._member_status(chat, user_id)
        if user is None:
            if chat.type == Chat.PRIVATE and user_id == chat.id:
                user = User(chat.id, chat.first_name or f"User{chat.id}", is_bot=False)
            elif user_id <= 0:
                raise bad_request("user not found")
            else:
                user = User(user_id, f"User{user_id}", is_bot=False)
        return chat_member(user, status, can_post_messages=can_post).to_dict()

    async def m_getChatAdministrators(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params.get("chat_id"))
        if chat.type == Chat.PRIVATE:
            raise bad_request("there are no administrators in the private chat")
        admins = [
            chat_member(user, status, can_post_messages=can_post).to_dict()
            for user, status, can_post in self.members.get(chat.id, {}).values()
            if status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
        ]
        if self.bot_status.get(chat.id) == ChatMember.ADMINISTRATOR:
            admins.append(chat_member(self.bot, ChatMember.ADMINISTRATOR).to_dict())
        return admins

    async def m_getChatMemberCount(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params.get("chat_id"))
        return 1 + len(self.members.get(chat.id, {}))

    async def m_leaveChat(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params.get("chat_id"))
        if chat.type == Chat.PRIVATE:
            raise bad_request("chat member status can't be changed in private chats")
        self.bot_status[chat.id] = ChatMember.LEFT
        return True

    # -- files -----------------------------------------------------------------------------

    async def m_getFile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id") or "")
        if file_id not in self._files:
            raise bad_request("invalid file_id")
        data, path = self._files[file_id]
        return File(file_id, f"u{file_id}", file_size=len(data), file_path=path).to_dict()
