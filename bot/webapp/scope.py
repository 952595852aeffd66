"""Whose chat data a Mini App request may read: the user's own chat, or a group they are in.

The page is opened from a private chat (a Web App button, the menu button): the chat is the
user's own (its id is the user id). From a group, buttons are links to the bot's Mini App
with ``startapp=chat<id>``; anyone can write such a link, so the group's data is given only
after Telegram confirms (``getChatMember``) that the signed user is a member of that chat.
A ``chat`` object inside initData (the attachment menu) is signed by Telegram and trusted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bot.webapp.initdata import InitData

#: ``startapp`` value of a group's link: "chat-1001234567890" (only A-Z a-z 0-9 _ - allowed).
START_PARAM_RE = re.compile(r"chat(-?\d{1,20})")
#: Asks Telegram whether a user is a member of a chat: (chat_id, user_id) -> member or not.
MemberCheck = Callable[[int, int], Awaitable[bool]]
MEMBER_CACHE_SECONDS = 60.0
#: ChatMember statuses that can read the chat (RESTRICTED counts only with ``is_member``).
MEMBER_STATUSES = frozenset({"creator", "administrator", "member"})


class ChatRefused(Exception):
    """The signed user asked for a chat they are not in (HTTP 403); ``reason`` is short."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Viewer:
    """A validated user and the chat whose data they may read."""

    user_id: int
    chat_id: int
    chat: Literal["private", "group"]


def start_param(chat_id: int) -> str:
    """The ``startapp`` value that opens the Mini App for ``chat_id``."""
    return f"chat{chat_id}"


def asked_chat(init: InitData) -> int | None:
    """The group chat the launch names (signed ``chat`` or a ``chat<id>`` start parameter)."""
    if init.chat_id is not None:
        return init.chat_id
    match = START_PARAM_RE.fullmatch(init.start_param or "")
    return int(match.group(1)) if match else None


async def viewer_for(init: InitData, is_member: MemberCheck) -> Viewer:
    """The Viewer of a validated launch; ChatRefused for another user's private chat or a
    group the user is not a member of."""
    chat_id = asked_chat(init)
    if chat_id is None or chat_id == init.user_id:
        return Viewer(init.user_id, init.user_id, "private")
    if chat_id > 0:
        raise ChatRefused("that chat is not yours")
    if init.chat_id == chat_id or await is_member(chat_id, init.user_id):
        return Viewer(init.user_id, chat_id, "group")
    raise ChatRefused("you are not a member of that chat")


class MemberCache:
    """Remembered membership answers, ``ttl`` seconds each, in front of a MemberCheck."""

    def __init__(
        self,
        ask: MemberCheck,
        ttl: float = MEMBER_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ask = ask
        self.ttl = ttl
        self.clock = clock
        self._seen: dict[tuple[int, int], tuple[bool, float]] = {}

    async def __call__(self, chat_id: int, user_id: int) -> bool:
        found = self._seen.get((chat_id, user_id))
        if found is not None and self.clock() - found[1] < self.ttl:
            return found[0]
        answer = await self.ask(chat_id, user_id)
        self._seen[(chat_id, user_id)] = (answer, self.clock())
        return answer
