"""initData validation as Telegram documents it, and whose chat a launch may read."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from bot.webapp.initdata import InitData, InitDataError, from_header, validate
from bot.webapp.scope import ChatRefused, MemberCache, start_param, viewer_for
from tests.webapp.conftest import GROUP, NOW, TOKEN, USER, init_data, is_member

DAY = dt.timedelta(hours=24)


def test_a_hash_made_by_the_documented_recipe_is_accepted() -> None:
    """Built here step by step from Telegram's description, not through bot.webapp."""
    user = json.dumps({"id": USER, "first_name": "Ann"}, separators=(",", ":"))
    fields = {"auth_date": str(int(NOW.timestamp()) - 60), "query_id": "AAH", "user": user}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    raw = "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items()) + f"&hash={digest}"
    found = validate(raw, TOKEN, NOW, DAY)
    assert found == InitData(user_id=USER, auth_date=NOW - dt.timedelta(seconds=60))


def test_valid_initdata_gives_the_user_and_the_launch() -> None:
    raw = init_data(start_param="chat-100555", chat_type="group", chat_instance="-8123")
    found = validate(raw, TOKEN, NOW, DAY)
    assert (found.user_id, found.start_param, found.chat_type) == (USER, "chat-100555", "group")
    assert found.chat_instance == "-8123"


def test_forged_initdata_signed_with_another_token_is_refused() -> None:
    with pytest.raises(InitDataError, match="invalid initData signature"):
        validate(init_data(token="999:OTHER"), TOKEN, NOW, DAY)


@pytest.mark.parametrize("field", ["user", "auth_date", "query_id"])
def test_tampered_initdata_is_refused(field: str) -> None:
    fields = dict(parse_qsl(init_data()))
    fields[field] = {
        "user": json.dumps({"id": 1, "first_name": "Eve"}),
        "auth_date": str(int(NOW.timestamp())),
        "query_id": "other",
    }[field]
    with pytest.raises(InitDataError, match="invalid initData signature"):
        validate(urlencode(fields), TOKEN, NOW, DAY)


def test_an_added_field_is_tampering_too() -> None:
    with pytest.raises(InitDataError, match="invalid initData signature"):
        validate(init_data() + "&start_param=chat-100555", TOKEN, NOW, DAY)


def test_expired_initdata_is_refused_and_the_age_is_a_setting() -> None:
    old = init_data(auth_date=NOW - DAY - dt.timedelta(seconds=1))
    with pytest.raises(InitDataError, match="expired"):
        validate(old, TOKEN, NOW, DAY)
    assert validate(old, TOKEN, NOW, dt.timedelta(days=2)).user_id == USER
    with pytest.raises(InitDataError, match="future"):
        validate(init_data(auth_date=NOW + dt.timedelta(hours=1)), TOKEN, NOW, DAY)


@pytest.mark.parametrize(
    "raw",
    ["", "user=%7B%7D&auth_date=1", "hash=", "a=1&a=2&hash=00", "%zz", "x" * 5000],
)
def test_missing_or_malformed_initdata_is_refused(raw: str) -> None:
    with pytest.raises(InitDataError):
        validate(raw, TOKEN, NOW, DAY)


def test_signed_initdata_without_a_user_is_refused() -> None:
    from bot.webapp.initdata import sign

    raw = sign({"auth_date": str(int(NOW.timestamp()))}, TOKEN)
    with pytest.raises(InitDataError, match="no user"):
        validate(raw, TOKEN, NOW, DAY)


@pytest.mark.parametrize("header", [None, "", "tma", "tma   ", "Bearer abc", "Basic dXNlcg=="])
def test_the_header_must_be_tma(header: str | None) -> None:
    with pytest.raises(InitDataError, match="missing initData"):
        from_header(header)
    assert from_header("tma a=1&hash=2") == "a=1&hash=2"


async def test_a_launch_reads_its_own_chat_or_a_group_it_is_a_member_of() -> None:
    own = validate(init_data(), TOKEN, NOW, DAY)
    assert (await viewer_for(own, is_member)).chat_id == USER
    group = validate(init_data(start_param=start_param(GROUP)), TOKEN, NOW, DAY)
    viewer = await viewer_for(group, is_member)
    assert (viewer.chat_id, viewer.chat) == (GROUP, "group")


async def test_other_chats_are_refused() -> None:
    stranger = validate(init_data(user_id=5, start_param=start_param(GROUP)), TOKEN, NOW, DAY)
    with pytest.raises(ChatRefused, match="not a member"):
        await viewer_for(stranger, is_member)
    someone_else = validate(init_data(start_param=start_param(4242)), TOKEN, NOW, DAY)
    with pytest.raises(ChatRefused, match="not yours"):
        await viewer_for(someone_else, is_member)


async def test_membership_answers_are_remembered_for_a_while() -> None:
    asked: list[tuple[int, int]] = []
    clock = [0.0]

    async def ask(chat_id: int, user_id: int) -> bool:
        asked.append((chat_id, user_id))
        return True

    cache = MemberCache(ask, ttl=60, clock=lambda: clock[0])
    assert await cache(GROUP, USER)
    assert await cache(GROUP, USER)
    clock[0] = 61
    assert await cache(GROUP, USER)
    assert asked == [(GROUP, USER), (GROUP, USER)]
