"""Where a button opens the Mini App: the page itself (private chats) or the bot's Mini App link.

Telegram allows an inline Web App button only in private chats; in groups and channels the
button is a link, ``https://t.me/<bot>?startapp=chat<id>``, which opens the bot's main Mini App
(set in @BotFather to the same URL) with that chat named in its signed launch data.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from bot.webapp.scope import start_param

BUTTON_TEXT = "📈 Open charts"
MENU_TEXT = "Charts"


def page_base(url: str) -> str:
    """WEBAPP_URL as the page's address: its path ends in "/" (the page's files and API are
    beside it), no query, no fragment."""
    parts = urlsplit(url)
    path = "/" + parts.path.strip("/") + "/" if parts.path.strip("/") else "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def page_url(base: str, view: str, **params: str) -> str:
    """The page at ``base`` (WEBAPP_URL) opened on ``view`` (board, pair, map, subs)."""
    return f"{page_base(base)}?{urlencode({'view': view, **params})}"


def chat_link(bot_username: str, chat_id: int) -> str:
    """The t.me link that opens the bot's Mini App for ``chat_id``."""
    return f"https://t.me/{bot_username}?startapp={start_param(chat_id)}"
