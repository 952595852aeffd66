"""End to end: the real Application polling the fake Bot API over HTTP (loopback)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from telegram.ext import Application

from bot.app.builder import build_application, publish_commands
from bot.commands.registry import Reply
from bot.delivery.replies import send_reply
from bot.services import Services
from tests.bot.conftest import OPERATOR
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import builder_for, polling
from tests.fakes.objects import make_user


@pytest_asyncio.fixture
async def live(
    fake_botapi: FakeBotApi, services: Services
) -> AsyncIterator[tuple[Application, FakeBotApi]]:
    app = build_application(services, builder_for(fake_botapi))
    async with polling(app, poll_timeout=0.5):
        yield app, fake_botapi


async def test_refresh_and_horizon_buttons_edit_the_same_message(live) -> None:
    _app, fake = live
    user = make_user()
    await fake.send_command(None, user, "/rotation")
    board = await fake.wait_for(
        lambda: [c for c in fake.messages_to(user.id) if "rot:1m:r" in c.button_data()]
    )
    message = board[0]
    assert "as of 2026-03-31 close" in (message.rendered or "")
    await fake.press_button(message, "rot:ytd", user)
    await fake.wait_for(lambda: "Rotation · YTD" in fake.message(user.id, message.message_id).text)
    await fake.press_button(fake.message(user.id, message.message_id), "rot:ytd:r", user)
    answers = await fake.wait_for(
        lambda: [c for c in fake.calls if c.method == "answerCallbackQuery"][1:] or None
    )
    assert answers[0].ok
    assert answers[0].params.get("text") == "Already up to date"
    edits = [c for c in fake.calls if c.method == "editMessageText"]
    assert all(c.message_id == message.message_id for c in edits)
    assert len(fake.messages_to(user.id)) == 2  # the photo and the scoreboard, nothing more


async def test_long_answer_is_split_under_the_limit(live) -> None:
    app, fake = live
    user = make_user()
    fake.know_chats(user.id)  # a user who wrote to the bot before
    long_html = "\n".join(f"<b>row {i}</b> " + "x" * 90 for i in range(200))
    await send_reply(app.bot, user.id, Reply(long_html, keyboard=((("Again", "rot:1m"),),)))
    sent = fake.messages_to(user.id)
    assert len(sent) >= 5
    assert all(c.ok and len(c.rendered or "") <= 4096 for c in sent)
    assert [bool(c.button_data()) for c in sent] == [False] * (len(sent) - 1) + [True]
    assert "\n".join(c.rendered or "" for c in sent).count("row ") == 200


async def test_photo_with_caption_under_1024_and_bad_input(live) -> None:
    _, fake = live
    user = make_user()
    await fake.send_command(None, user, "/ticker IWM")
    await fake.send_command(None, user, "/ticker ;DROP TABLE prices")
    await fake.wait_for_message(user.id, count=2)
    sent = fake.messages_to(user.id)[:2]  # updates are handled concurrently: any order
    [photo] = [c for c in sent if c.method == "sendPhoto"]
    [error] = [c for c in sent if c.method == "sendMessage"]
    assert photo.method == "sendPhoto"
    assert photo.photo_bytes
    assert len(photo.rendered or "") < 1024
    assert "52-week range" in (photo.rendered or "")
    assert "as of 2026-03-31 close" in (photo.rendered or "")
    assert "Too many arguments" in (error.rendered or "")


async def test_commands_are_published(live) -> None:
    app, fake = live
    await publish_commands(app)
    names = [c.command for c in fake.commands]
    mine = ["rotation", "ticker", "pair", "quadrant", "history", "help"]
    assert [n for n in names if n in mine] == mine
    assert "status" not in names  # operators only
    assert "start" not in names  # hidden
    assert all(c.description for c in fake.commands)


async def test_rotation_bot_run_answers_every_command(
    fake_botapi: FakeBotApi, services: Services, tmp_path: Path
) -> None:
    """`rotation-bot run` as a real process against the fake; SIGTERM stops it cleanly."""
    fake = fake_botapi
    db_path = Path(services.db.execute("PRAGMA database_list").fetchone()[2])
    services.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_PATH": str(db_path),
        "MARKET_DATA_SOURCE": "csv",
        "OPERATOR_IDS": str(OPERATOR),
        "LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake.wait_for(lambda: fake.commands or None, timeout=60)
        user, operator = make_user(), make_user(OPERATOR)
        commands = ["/start", "/help", "/rotation 3m", "/ticker MAG7", "/pair IWM vs QQQ",
                    "/quadrant", "/history", "/nonsense", "/pair IWM IWM"]  # fmt: skip
        for text in commands:
            await fake.send_command(None, user, text)
        await fake.send_command(None, operator, "/status")
        await fake.send_command(None, user, "/status")
        await fake.wait_for_message(operator.id, timeout=60)
        expected = ["tracks market leadership", "Commands", "Rotation · 3M", "Magnificent Seven",
                    "IWM / QQQ", "Strength quadrant", "Flip history", "Unknown command",
                    "two different symbols", "operators only"]  # fmt: skip

        def missing() -> list[str]:
            texts = [c.rendered or "" for c in fake.messages_to(user.id)]
            return [n for n in expected if not any(n in t for t in texts)]

        # Replies arrive in any order (handlers run concurrently): wait for each one.
        await fake.wait_for(lambda: not missing() or None, timeout=60)
        assert missing() == []
        assert "Latest stored session" in (fake.messages_to(operator.id)[0].rendered or "")
        assert all(c.ok for c in fake.sent), [c.description for c in fake.sent if not c.ok]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=20)
    _, stderr = await proc.communicate()
    assert code == 0, stderr.decode()[-2000:]
    assert fake.token.split(":")[1] not in stderr.decode()
