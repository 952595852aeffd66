"""Where a button opens the Mini App: the page itself (private chats) or the bot's Mini App link.

Telegram allows an inline Web App button only in private chats; in groups and channels the
button is a link, ``https://t.me/<bot>?startapp=chat<id>``, which opens the bot's main Mini App
(set in @BotFather to the same URL) with that chat named in its signed launch data.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from bot.webapp.scope import start_param

BUTTON_TEXT = "📈 Open charts"
MENU_TEXT = "Charts"


@dataclass(frozen=True)
class AppLink:
    """Which view of the Mini App an answer opens (``params``: its query, e.g. the pair)."""

    view: str
    params: tuple[tuple[str, str], ...] = ()


def page_url(base: str, view: str, **params: str) -> str:
    """The page at ``base`` opened on ``view`` (board, pair, map, subs) with its parameters."""
    return f"{base}?{urlencode({'view': view, **params})}"


def chat_link(bot_username: str, chat_id: int) -> str:
    """The t.me link that opens the bot's Mini App for ``chat_id``."""
    return f"https://t.me/{bot_username}?startapp={start_param(chat_id)}"
