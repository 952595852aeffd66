"""`rotation-bot run` with WEBAPP_URL set, as a real process against the Bot API fake: the web
app is served (in polling mode on its own port, in webhook mode on the webhook's), the menu
button opens it, answers carry the button that opens it, and only signed, member launches get
a chat's data."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Update

from bot.services import Services
from bot.webapp.initdata import sign
from bot.webapp.scope import start_param
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import command_message, group_chat, make_user, private_chat

APP_URL = "https://bot.example.com/rotation-app/"
SECRET = "s3cret-Webhook_token"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _init(token: str, user_id: int, **extra: str) -> dict[str, str]:
    import time

    user = json.dumps({"id": user_id, "first_name": "Ann"})
    fields = {"auth_date": str(int(time.time())), "query_id": "AAQ", "user": user, **extra}
    return {"Authorization": f"tma {sign(fields, token)}"}


async def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{port}/rotation-app/{path}"
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as answer:
        body = await answer.text()
        try:
            return answer.status, json.loads(body)
        except ValueError:
            return answer.status, body


async def _serving(port: int) -> None:
    for _ in range(300):
        try:
            await _get(port, "")
            return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    raise AssertionError("the web app never listened")


def _buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [b for row in (markup or {}).get("inline_keyboard", []) for b in row]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_run_serves_the_mini_app_and_links_to_it(
    fake_botapi: FakeBotApi, services: Services, tmp_path: Path, mode: str
) -> None:
    fake = fake_botapi
    db_path = Path(services.db.execute("PRAGMA database_list").fetchone()[2])
    services.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    port, hook_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_PATH": str(db_path),
        "MARKET_DATA_SOURCE": "csv",
        "LOG_LEVEL": "INFO",
        "WEBAPP_URL": APP_URL,
        "WEBAPP_LISTEN": "127.0.0.1",
        "WEBAPP_PORT": str(port),
    }
    if mode == "webhook":
        env |= {
            "WEBHOOK_URL": "https://bot.example.com/hook",
            "WEBHOOK_PORT": str(hook_port),
            "WEBHOOK_SECRET": SECRET,
        }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    if mode == "webhook":  # one server: the web app answers on the webhook's port, not its own
        port = hook_port
    group = fake.add_chat(group_chat(-4711))
    member, stranger = make_user(901), make_user(902)
    try:
        await _serving(port)
        menu = await fake.wait_for(lambda: fake.menu_buttons.get(None), timeout=60)
        assert menu == {"type": "web_app", "text": "Charts", "web_app": {"url": APP_URL}}

        status, page = await _get(port, "")
        assert status == 200
        assert "lightweight-charts" in page
        status, board = await _get(port, "api/board", _init(fake.token, 901))
        assert status == 200
        assert board["asof"] in ("2026-03-31", "2026-04-01")  # the start-up catch-up may run
        status, refused = await _get(port, "api/board", _init("999:FORGED", 901))
        assert (status, refused) == (401, {"error": "invalid initData signature"})

        await _command(fake, mode, hook_port, None, member, "/rotation")
        await _command(fake, mode, hook_port, group, member, "/pair IWM SPY")
        [private] = await fake.wait_for(lambda: _with_buttons(fake, member.id), timeout=60)
        [app_button] = [b for b in _buttons(private.reply_markup) if "web_app" in b]
        assert app_button["web_app"]["url"] == APP_URL + "?view=board"
        if mode == "polling":  # a horizon switch edits the message and keeps the button
            await fake.press_button(private, "rot:1w", member)
            await fake.wait_for(
                lambda: [c for c in fake.calls if c.method.startswith("editMessage")] or None,
                timeout=60,
            )
            edited = fake.message(member.id, private.message_id)
            assert edited is not None
            assert edited.reply_markup is not None
            urls = [
                b.web_app.url for r in edited.reply_markup.inline_keyboard for b in r if b.web_app
            ]
            assert urls == [APP_URL + "?view=board"]
        [in_group] = await fake.wait_for(lambda: _with_buttons(fake, group.id), timeout=60)
        [link] = _buttons(in_group.reply_markup)
        assert link == {
            "text": "📈 Open charts",
            "url": f"https://t.me/{fake.bot.username}?startapp=chat-4711",
        }

        launch = start_param(group.id)
        status, theirs = await _get(
            port, "api/subscriptions", _init(fake.token, 901, start_param=launch)
        )
        assert (status, theirs["chat"]) == (200, "group")
        status, other = await _get(
            port, "api/subscriptions", _init(fake.token, 902, start_param=launch)
        )
        assert (status, other) == (403, {"error": "you are not a member of that chat"})
        assert stranger.id not in {c.chat_id for c in fake.delivered}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=30)
    _, stderr = await proc.communicate()
    log = stderr.decode()
    assert code == 0, log[-2000:]
    if mode == "polling":
        assert f"web app on 127.0.0.1:{port}/rotation-app/" in log
    else:
        assert f"webhook server on 127.0.0.1:{port}/hook" in log
        assert "web app on the webhook's server: /rotation-app/" in log
    assert fake.token.split(":")[1] not in log
    assert "tma " not in log


def _with_buttons(fake: FakeBotApi, chat_id: int) -> list[Any] | None:
    return [c for c in fake.messages_to(chat_id) if c.reply_markup] or None


async def _command(
    fake: FakeBotApi, mode: str, hook_port: int, chat: Any, user: Any, text: str
) -> None:
    """A command from ``user``: queued for polling, or posted to the webhook."""
    if mode == "polling":
        await fake.send_command(chat, user, text)
        return
    where = chat if chat is not None else fake.add_chat(private_chat(user))
    if chat is not None:
        fake.set_member(chat.id, user, "member")
    update_id = 7000 + user.id + len(text)
    message = command_message(update_id, where, user, text)
    payload = Update(update_id, message=message).to_dict()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    url = f"http://127.0.0.1:{hook_port}/hook"
    for _ in range(300):  # the webhook server may bind a moment after the web app
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.post(url, json=payload, headers=headers) as answer,
            ):
                assert answer.status == 200
                return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    raise AssertionError("the webhook never listened")
