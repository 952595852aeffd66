"""Who may do what: operators (OPERATOR_IDS), group admins, and whether the bot can post.

``require_admin`` is the one group-admin check of the project (commands marked
``admins_only_in_groups``, the ``/start sub_...`` deep link, subscribing a channel). Every such
command writes, so a remembered "is an admin" is trusted for WRITE_TRUST_SECONDS only, and
``chat_member`` updates (a promotion, a demotion, someone leaving) forget it at once.

Asking Telegram is the lookup ``AdminCache`` is given (``bot.delivery.members.member_status``,
wired by ``bot.services``): this module imports no telegram, at module level or in a function.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: the lookup that talks to Telegram is given to AdminCache
    import telegram

    from bot.settings import Settings

from bot.commands.registry import Request, UserError

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 60.0
#: A remembered admin lookup older than this is asked again before a write.
WRITE_TRUST_SECONDS = 5.0
# ChatMemberStatus.ADMINISTRATOR and .OWNER (a StrEnum: equal to these strings)
ADMINISTRATOR = "administrator"
OWNER = "creator"
_ADMIN_STATUSES = frozenset({ADMINISTRATOR, OWNER})


@dataclass(frozen=True)
class Membership:
    """A member's status in a chat ("administrator", "creator", "member"...) and, for an
    admin, whether it may post messages (channels)."""

    status: str
    can_post_messages: bool = True


#: Asks Telegram for (bot, chat_id, user_id)'s membership; None when Telegram refused (the
#: lookup logs why).
MemberLookup = Callable[["telegram.Bot", int, int], Awaitable[Membership | None]]


async def _no_lookup(bot: telegram.Bot, chat_id: int, user_id: int) -> Membership | None:
    raise RuntimeError("AdminCache was built without a Telegram member lookup")


class AdminCache:
    """Recent group-admin lookups, kept for ``ttl`` seconds (one per Services), and the
    ``lookup`` that asks Telegram."""

    def __init__(
        self,
        ttl: float = ADMIN_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        lookup: MemberLookup = _no_lookup,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.lookup = lookup
        # (chat_id, user_id) -> (is_admin, clock time of the lookup)
        self._seen: dict[tuple[int, int], tuple[bool, float]] = {}

    def get(self, chat_id: int, user_id: int, max_age: float | None = None) -> bool | None:
        """The remembered answer, or None when unknown or older than ``ttl`` (or ``max_age``)."""
        found = self._seen.get((chat_id, user_id))
        limit = self.ttl if max_age is None else min(self.ttl, max_age)
        if found is None or self.clock() - found[1] >= limit:
            return None
        return found[0]

    def forget(self, chat_id: int, user_id: int | None = None) -> None:
        """Forget one member's lookup, or every lookup of the chat (``user_id`` None)."""
        for key in [k for k in self._seen if k[0] == chat_id and user_id in (None, k[1])]:
            del self._seen[key]

    def put(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        """Remember one lookup."""
        self._seen[(chat_id, user_id)] = (is_admin, self.clock())

    def clear(self) -> None:
        """Forget every lookup (after a chat migration, say)."""
        self._seen.clear()


def is_operator(settings: Settings, user_id: int | None) -> bool:
    """True when ``user_id`` is listed in OPERATOR_IDS."""
    return user_id is not None and user_id in settings.operator_ids


async def is_chat_admin(
    bot: telegram.Bot,
    chat_id: int,
    user_id: int | None,
    sender_chat_id: int | None = None,
    *,
    cache: AdminCache,
    max_age: float | None = None,
) -> bool:
    """True when the sender administers ``chat_id`` (anonymous admins included).

    A message whose sender_chat is the chat itself comes from an anonymous admin. Lookups are
    remembered in ``cache``; a failed lookup counts as "not an admin".
    """
    if sender_chat_id is not None and sender_chat_id == chat_id:
        return True
    if user_id is None:
        return False
    cached = cache.get(chat_id, user_id, max_age)
    if cached is not None:
        return cached
    member = await cache.lookup(bot, chat_id, user_id)
    result = member is not None and member.status in _ADMIN_STATUSES
    cache.put(chat_id, user_id, result)
    return result


async def require_admin(request: Request, refusal: str, *, chat_id: int | None = None) -> None:
    """The group-admin check: raise UserError(``refusal``) unless the sender administers
    ``chat_id`` (default: the request's chat). Offline faces (no bot) pass."""
    if request.bot is None:
        return
    target = request.chat_id if chat_id is None else chat_id
    sender_chat = request.sender_chat_id if target == request.chat_id else None
    if not await is_chat_admin(
        request.bot,
        target,
        request.user_id,
        sender_chat,
        cache=request.services.admins,
        max_age=WRITE_TRUST_SECONDS,
    ):
        raise UserError(refusal)


async def can_post(bot: telegram.Bot, channel_id: int, cache: AdminCache) -> bool:
    """True when the bot's own membership in ``channel_id`` lets it post messages."""
    member = await cache.lookup(bot, channel_id, bot.id)
    if member is None:
        return False
    if member.status == OWNER:
        return True
    return member.status == ADMINISTRATOR and member.can_post_messages
