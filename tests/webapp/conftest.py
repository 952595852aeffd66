"""Fixtures for the Mini App: signed initData, the web app over the filled sample database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.services import Services
from bot.webapp.initdata import sign
from bot.webapp.server import WebAppConfig, make_app
from tests.bot.conftest import filled_db_file, services, settings  # noqa: F401 - fixtures
from tests.fakes.fixtures import fake_botapi  # noqa: F401 - fixture

TOKEN = "123:TEST"  # the token of tests.bot.conftest.settings
NOW = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)
USER = 777
GROUP = -100555
CONFIG = WebAppConfig(
    url="https://bot.example.com/rotation-app/",
    listen="127.0.0.1",
    port=0,
    path="/rotation-app/",
    max_age=dt.timedelta(hours=24),
)
#: (chat, user) pairs the fake Telegram says are members.
MEMBERS = {(GROUP, USER)}


def init_data(
    user_id: int = USER,
    *,
    token: str = TOKEN,
    auth_date: dt.datetime = NOW - dt.timedelta(minutes=5),
    **extra: str,
) -> str:
    """initData as Telegram would send it, signed with ``token``."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Ann", "language_code": "en"}),
        "auth_date": str(int(auth_date.timestamp())),
        **extra,
    }
    return sign(fields, token)


def auth(raw: str) -> dict[str, str]:
    return {"Authorization": f"tma {raw}"}


async def is_member(chat_id: int, user_id: int) -> bool:
    return (chat_id, user_id) in MEMBERS


@pytest_asyncio.fixture
async def client(services: Services) -> AsyncIterator[TestClient]:  # noqa: F811
    """The web app over the filled sample, its clock at NOW."""
    app = make_app(services, CONFIG, is_member, clock=lambda: NOW)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
