"""Webhook mode: the bot's one aiohttp server on loopback (updates and the Mini App), fed over
HTTP, secret token enforced."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from telegram import Update

from bot.app.builder import build_application
from bot.app.webhook import WebhookConfig, serve_webhook, webhook_config
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings
from bot.webapp.initdata import sign
from bot.webapp.server import WebAppConfig
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import builder_for, polling
from tests.fakes.objects import command_message, make_user, private_chat

SECRET = "s3cret-Webhook_token"
WRONG = "not-the-secret-123"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _update(update_id: int, user_id: int, text: str) -> dict:
    user = make_user(user_id)
    message = command_message(update_id, private_chat(user), user, text)
    return Update(update_id, message=message).to_dict()


async def _post(port: int, payload: object, secret: str | None) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/hook", json=payload, headers=headers) as answer,
    ):
        return answer.status


async def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    url = f"http://127.0.0.1:{port}{path}"
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as answer:
        return answer.status, await answer.text()


async def test_one_server_takes_updates_and_serves_the_web_app(
    services: Services, fake_botapi: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Webhook mode in process: the real Application (no Updater) fed by the webhook route of
    the one aiohttp server, which also serves the Mini App's page and api/ on the same port."""
    fake = fake_botapi
    # the updates below are posted to the webhook by the test, not by the fake: tell it the
    # chats they come from, as Telegram would know them
    fake.know_chats(501, 502, 503, 504, 505, 601)
    config = WebhookConfig(
        url="https://bot.example.com/hook", listen="127.0.0.1", port=_free_port(),
        path="hook", secret=SECRET,
    )  # fmt: skip
    webapp = WebAppConfig(
        url="https://bot.example.com/rotation-app/", listen="127.0.0.1", port=_free_port(),
        path="/rotation-app/", max_age=dt.timedelta(hours=24),
    )  # fmt: skip
    app = build_application(services, builder_for(fake), webhook=True)
    for job in app.job_queue.jobs():
        job.schedule_removal()
    caplog.set_level(logging.INFO)
    serving = asyncio.create_task(serve_webhook(app, config, webapp, signals=False))
    try:
        [hook] = await fake.wait_for(
            lambda: [c for c in fake.calls if c.method == "setWebhook"] or None, timeout=30
        )
        assert hook.params["url"] == "https://bot.example.com/hook"
        assert hook.params["secret_token"] == SECRET
        assert set(hook.params["allowed_updates"]) == set(Update.ALL_TYPES)
        assert hook.params.get("drop_pending_updates") in (False, None)

        assert await _post(config.port, _update(1, 501, "/help"), SECRET) == 200
        answer = await fake.wait_for_message(501)
        assert "/rotation" in (answer.rendered or "")

        assert await _post(config.port, _update(2, 502, "/help"), WRONG) == 403
        assert await _post(config.port, _update(3, 503, "/help"), None) == 403
        assert await _post(config.port, _update(4, 504, "/help"), SECRET[:-1]) == 403
        assert await _post(config.port, _update(5, 505, "/help"), SECRET + "x") == 403
        await asyncio.sleep(0.2)  # give a wrongly accepted update time to be answered
        for refused in (502, 503, 504, 505):
            assert fake.messages_to(refused) == []
        assert await _post(config.port, [1, 2], SECRET) == 400  # JSON, but not an update

        # the Mini App on the webhook's own port: the page, and api/ with signed launch data
        status, page = await _get(config.port, "/rotation-app/")
        assert status == 200
        assert "lightweight-charts" in page
        signed = sign(
            {"auth_date": str(int(services.clock().timestamp()) - 60), "query_id": "AAQ",
             "user": json.dumps({"id": 601, "first_name": "Ann"})},
            services.settings.require_token(),
        )  # fmt: skip
        status, board = await _get(
            config.port, "/rotation-app/api/board", {"Authorization": f"tma {signed}"}
        )
        assert status == 200
        assert json.loads(board)["asof"] == "2026-03-31"
        status, _ = await _get(config.port, "/rotation-app/api/board")
        assert status == 401
        menu = fake.menu_buttons.get(None)
        assert menu == {"type": "web_app", "text": "Charts", "web_app": {"url": webapp.url}}
        with pytest.raises(aiohttp.ClientConnectionError):  # nothing on the web app's own port
            await _get(webapp.port, "/rotation-app/")
    finally:
        assert app.bot_data.stop is not None
        app.bot_data.stop()
        await asyncio.wait_for(serving, timeout=30)
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals.count("webhook request refused (403): wrong secret token") == 3
    assert "webhook request refused (403): no secret token" in refusals
    assert not any(SECRET in r.getMessage() or WRONG in r.getMessage() for r in caplog.records)
    with pytest.raises(aiohttp.ClientConnectionError):  # stopped: the port is closed
        await _get(config.port, "/rotation-app/")

    # Back to long polling: PTB deletes the webhook first, and commands arrive again.
    again = build_application(services, builder_for(fake))
    async with polling(again, poll_timeout=0.5):
        user = make_user(504)
        await fake.send_command(None, user, "/help")
        await fake.wait_for_message(504)
    assert any(c.method == "deleteWebhook" for c in fake.calls)


def test_webhook_settings_are_checked_and_documented() -> None:
    with pytest.raises(SettingsError) as missing:
        webhook_config(Settings(telegram_bot_token="1:x"))
    assert "WEBHOOK_URL" in str(missing.value)
    assert "WEBHOOK_SECRET" in str(missing.value)
    env = {"WEBHOOK_URL": "http://x", "WEBHOOK_SECRET": "bad secret!", "WEBHOOK_PORT": "70000"}
    with pytest.raises(SettingsError) as bad:
        load_settings(env, env_file=None)
    assert len(bad.value.problems) == 3
    assert "bad secret!" not in str(bad.value)
    good = load_settings(
        {"WEBHOOK_URL": "https://bot.example.com/rotation/", "WEBHOOK_SECRET": SECRET},
        env_file=None,
    )
    config = webhook_config(good)
    assert (config.listen, config.port, config.path) == ("127.0.0.1", 8080, "rotation")
    assert SECRET not in repr(good)
    assert SECRET not in repr(config)


async def test_rotation_bot_run_webhook_answers_and_refuses(
    fake_botapi: FakeBotApi, services: Services, tmp_path: Path
) -> None:
    """`rotation-bot run --webhook` as a real process: setWebhook, an update over HTTP with the
    right secret is answered, a wrong one is refused and logged without either token."""
    fake = fake_botapi
    # the updates below are posted to the webhook by the test, not by the fake: tell it the
    # chats they come from, as Telegram would know them
    fake.know_chats(501, 502, 503, 504, 601)
    db_path = Path(services.db.execute("PRAGMA database_list").fetchone()[2])
    services.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    port = _free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_PATH": str(db_path),
        "MARKET_DATA_SOURCE": "csv",
        "LOG_LEVEL": "WARNING",
        "WEBHOOK_URL": "https://bot.example.com/hook",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--webhook", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake.wait_for(
            lambda: [c for c in fake.calls if c.method == "setWebhook"] or None, timeout=60
        )
        status = 0
        for _ in range(100):  # the server may bind a moment after setWebhook
            try:
                status = await _post(port, _update(7, 601, "/rotation"), SECRET)
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
        assert status == 200
        board = await fake.wait_for(
            lambda: [c for c in fake.messages_to(601) if "Rotation" in (c.rendered or "")] or None,
            timeout=60,
        )
        assert "as of 2026-03-31 close" in (board[0].rendered or "")
        assert await _post(port, _update(8, 602, "/help"), WRONG) == 403
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=20)
    _, stderr = await proc.communicate()
    log = stderr.decode()
    assert code == 0, log[-2000:]
    assert "webhook request refused (403): wrong secret token" in log
    assert SECRET not in log
    assert WRONG not in log
    assert fake.token.split(":")[1] not in log
    assert fake.messages_to(602) == []
