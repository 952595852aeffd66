"""Mini App ``initData``: validated exactly as Telegram documents it, before any data is read.

Telegram signs the launch parameters it hands the page: the data-check string is every
``key=value`` pair except ``hash``, sorted by key and joined by line feeds; the secret key is
HMAC-SHA256 of the bot token keyed with ``"WebAppData"``; the hash is the hex HMAC-SHA256 of the
data-check string under that secret. A request is trusted only when its hash matches (compared
in constant time) and ``auth_date`` is recent enough. Nothing here logs the token or the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

#: The scheme of the Authorization header the page sends: ``Authorization: tma <initData>``.
AUTH_SCHEME = "tma"
#: Real initData is a few hundred characters; anything far longer is refused unread.
MAX_INIT_DATA = 4096
#: A client clock slightly ahead of ours is not an attack.
CLOCK_SKEW = dt.timedelta(seconds=60)


class InitDataError(Exception):
    """initData that is missing, malformed, forged, tampered with or too old; ``reason`` is
    the short text the API answers with (HTTP 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class InitData:
    """The trusted launch parameters: who opened the page, when, and from where.

    ``chat_type`` / ``chat_instance`` come only with some launches (direct links, the
    attachment menu); ``start_param`` is the ``startapp`` value of a link, chosen by whoever
    wrote the link, so it says which chat is asked for, never that the user may see it.
    """

    user_id: int
    auth_date: dt.datetime
    start_param: str | None = None
    chat_type: str | None = None
    chat_instance: str | None = None
    chat_id: int | None = None


def secret_key(token: str) -> bytes:
    """HMAC-SHA256 of the bot token with the key "WebAppData"."""
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def data_check_string(fields: Mapping[str, str]) -> str:
    """Every field but ``hash``, as ``key=value``, sorted by key, joined by line feeds."""
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def signature(fields: Mapping[str, str], token: str) -> str:
    """The hex hash Telegram puts in ``hash`` for ``fields``."""
    return hmac.new(
        secret_key(token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()


def sign(fields: Mapping[str, str], token: str) -> str:
    """``fields`` as an initData query string with its ``hash`` (what Telegram sends; the
    tests and the benchmark sign with their own token through this)."""
    clean = {k: v for k, v in fields.items() if k != "hash"}
    return urlencode({**clean, "hash": signature(clean, token)})


def from_header(header: str | None) -> str:
    """The initData of an ``Authorization: tma <initData>`` header; InitDataError otherwise."""
    if not header:
        raise InitDataError("missing initData")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != AUTH_SCHEME or not value.strip():
        raise InitDataError("missing initData")
    return value.strip()


def validate(raw: str, token: str, now: dt.datetime, max_age: dt.timedelta) -> InitData:
    """The trusted InitData of ``raw``; InitDataError when it is malformed, not signed with
    ``token``, older than ``max_age`` at ``now`` or has no user."""
    if not raw:
        raise InitDataError("missing initData")
    if len(raw) > MAX_INIT_DATA:
        raise InitDataError("malformed initData")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed initData") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("malformed initData")
    given = fields.get("hash", "")
    if not given:
        raise InitDataError("initData is not signed")
    if not hmac.compare_digest(signature(fields, token), given.lower()):
        raise InitDataError("invalid initData signature")
    return _parse(fields, now, max_age)


def _parse(fields: Mapping[str, str], now: dt.datetime, max_age: dt.timedelta) -> InitData:
    try:
        auth_date = dt.datetime.fromtimestamp(int(fields["auth_date"]), dt.UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        raise InitDataError("initData has no valid auth_date") from None
    if now - auth_date > max_age:
        raise InitDataError("initData has expired; reopen the app")
    if auth_date - now > CLOCK_SKEW:
        raise InitDataError("initData is dated in the future")
    user = _json_object(fields.get("user"))
    user_id = user.get("id") if user is not None else None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InitDataError("initData names no user")
    chat = _json_object(fields.get("chat"))
    chat_id = chat.get("id") if chat is not None else None
    return InitData(
        user_id=user_id,
        auth_date=auth_date,
        start_param=fields.get("start_param") or None,
        chat_type=fields.get("chat_type") or None,
        chat_instance=fields.get("chat_instance") or None,
        chat_id=chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None,
    )


def _json_object(text: str | None) -> dict[str, object] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise InitDataError("malformed initData") from None
    return value if isinstance(value, dict) else None
