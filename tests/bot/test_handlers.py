"""Handler tests in-process (python-telegram-bot style): updates through process_update."""

from __future__ import annotations

import pytest
from telegram.ext import Application

from bot.commands.registry import Command, Reply, Request
from bot.services import Services
from tests.bot.conftest import OPERATOR, prices_fingerprint
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import group_chat, make_user
from tests.fakes.offline_request import (
    OfflineRequest,
    callback_update,
    command_update,
    group_command_update,
    offline_application,
)

Inproc = tuple[Application, FakeBotApi]


def texts(fake: FakeBotApi, chat_id: int) -> list[str]:
    return [c.rendered or "" for c in fake.messages_to(chat_id)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", "tracks market leadership"),
        ("/help", "/pair A B"),
        ("/rotation", "as of 2026-03-31 close"),
        ("/ticker IWM", "52-week range"),
        ("/pair IWM QQQ", "QQQ leads since"),
        ("/quadrant", "Strength quadrant"),
        ("/history IWM/SPY", "The new leader gained over the next 20 sessions"),
    ],
)
async def test_every_command_answers(inproc: Inproc, text: str, expected: str) -> None:
    app, fake = inproc
    user = make_user()
    await app.process_update(command_update(app.bot, text, user=user))
    assert any(expected in t for t in texts(fake, user.id)), texts(fake, user.id)
    assert all(c.ok for c in fake.calls), [c.description for c in fake.calls if not c.ok]


async def test_chart_commands_send_a_photo_with_a_short_caption(inproc: Inproc) -> None:
    app, fake = inproc
    user = make_user()
    await app.process_update(command_update(app.bot, "/rotation", user=user))
    photos = [c for c in fake.messages_to(user.id) if c.method == "sendPhoto"]
    assert len(photos) == 1
    assert photos[0].photo_bytes
    assert photos[0].photo_bytes > 10_000
    assert photos[0].rendered
    assert len(photos[0].rendered) < 1024
    text = [c for c in fake.messages_to(user.id) if c.method == "sendMessage"][-1]
    assert "rot:1m:r" in text.button_data()


async def test_unknown_command_and_bad_arguments(inproc: Inproc, services: Services) -> None:
    app, fake = inproc
    user = make_user()
    before = prices_fingerprint(services)
    for text in ("/frobnicate", "/pair IWM IWM", "/ticker <script>", "/rotation 10y"):
        await app.process_update(command_update(app.bot, text, user=user))
    got = texts(fake, user.id)
    assert got[0] == "⚠️ Unknown command /frobnicate; see /help."
    assert "two different symbols" in got[1]
    assert "Usage: /pair A B" in got[1]
    assert "is not a symbol" in got[2]
    assert "<script>" in got[2]
    assert "Unknown horizon" in got[3]
    assert prices_fingerprint(services) == before


async def test_group_command_addressed_to_the_bot(inproc: Inproc) -> None:
    app, fake = inproc
    chat = group_chat()
    await app.process_update(group_command_update(app.bot, "/help@RotationTestBot", chat=chat))
    await app.process_update(group_command_update(app.bot, "/other@SomeOtherBot", chat=chat))
    await app.process_update(group_command_update(app.bot, "/nope", chat=chat))
    got = texts(fake, chat.id)
    assert len(got) == 1
    assert "Commands" in got[0]


async def test_status_is_for_operators_only(inproc: Inproc) -> None:
    app, fake = inproc
    stranger, operator = make_user(), make_user(OPERATOR)
    await app.process_update(command_update(app.bot, "/status", user=stranger))
    await app.process_update(command_update(app.bot, "/status", user=operator))
    assert "operators only" in texts(fake, stranger.id)[0]
    status = texts(fake, operator.id)[0]
    assert "Latest stored session: 2026-03-31" in status
    assert "Last job runs" in status


async def test_status_counts_job_runs_outbox_and_chats(services: Services) -> None:
    import datetime as dt

    from bot.commands.offline import reply_to_plain
    from bot.handlers import answer
    from storage.chats import set_active, upsert_chat
    from storage.jobruns import finish_run, start_run

    now = dt.datetime(2026, 3, 31, 21, 0, tzinfo=dt.UTC)
    for chat_id in (1, 2, 3):
        upsert_chat(services.db, chat_id, "private", now=now)
    set_active(services.db, 3, False, now=now, reason="blocked")
    run = start_run(services.db, "daily", dt.date(2026, 3, 31), now=now)
    finish_run(services.db, run, "ok", "3 events", now=now)
    status = reply_to_plain(await answer(services, "/status"))
    assert "daily 2026-03-31: ok at 2026-03-31T21:00:00+00:00 — 3 events" in status
    assert "Outbox: empty" in status
    assert "Chats: active 2, inactive 1" in status


async def test_flood_protection_on_chart_commands(inproc: Inproc) -> None:
    app, fake = inproc
    user = make_user()
    for _ in range(6):
        await app.process_update(command_update(app.bot, "/quadrant", user=user))
    got = texts(fake, user.id)
    # the sixth still answers, in text: the chart is left out, with the reason
    assert "too many charts" in got[-1]
    assert "Strength quadrant" in got[-1]
    assert sum("too many charts" in t for t in got) == 1
    await app.process_update(command_update(app.bot, "/help", user=user))
    assert "Commands" in texts(fake, user.id)[-1]


async def test_stale_or_forged_button_gets_a_polite_answer(inproc: Inproc) -> None:
    app, fake = inproc
    for data in ("rot:7y", "garbage", "rot:1m:x"):
        update = callback_update(app.bot, data)
        fake._callback_queries[update.callback_query.id] = False
        await app.process_update(update)
    answers = [c for c in fake.calls if c.method == "answerCallbackQuery"]
    assert len(answers) == 3
    assert all(c.ok for c in answers)
    assert all("expired" in c.params.get("text", "") for c in answers)
    assert not [c for c in fake.calls if c.method.startswith("edit")]


async def test_crash_is_logged_reported_and_redacted(
    inproc: Inproc, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app, fake = inproc
    import bot.handlers.market as market

    async def boom(request: Request) -> Reply:
        raise RuntimeError(
            "token 123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ leaked " + "x" * 9000
        )

    crashing = Command("help", "All commands", "/help", boom)
    monkeypatch.setattr(market, "COMMANDS", (*market.COMMANDS[:-1], crashing))
    from bot.app.builder import command_callback

    app.handlers[0] = [h for h in app.handlers[0] if "help" not in getattr(h, "commands", ())]
    from telegram.ext import CommandHandler

    app.add_handler(CommandHandler("help", command_callback(crashing)))
    user = make_user()
    await app.process_update(command_update(app.bot, "/help", user=user))
    assert "was logged" in texts(fake, user.id)[0]
    report = texts(fake, OPERATOR)[0]
    assert "RuntimeError" in report
    assert "AAbbCCdd" not in report
    assert len(report) < 4096
    assert "update caused an error" in caplog.text


async def test_offline_request_never_touched_by_the_offline_face(services: Services) -> None:
    from bot.handlers import answer

    layer = OfflineRequest()
    app = offline_application(layer)
    await app.initialize()
    try:
        reply = await answer(services, "/ticker SPY")
    finally:
        await app.shutdown()
    assert "SPY" in reply.html
    assert layer.attempts == []


async def test_status_lists_sources_stale_symbols_and_disagreements(services: Services) -> None:
    import datetime as dt

    from bot.commands.offline import reply_to_plain
    from bot.handlers import answer
    from storage.prices import record_disagreements
    from storage.stale_symbols import StaleMark, save_marks

    now = dt.datetime(2026, 3, 31, 21, 0, tzinfo=dt.UTC)
    since, last = dt.date(2026, 3, 2), dt.date(2026, 2, 27)
    save_marks(services.db, {"MDY": StaleMark(since=since, last_close=last, told=since)})
    record_disagreements(
        services.db, [("IWM", "2026-03-30", "yahoo", 241.5, "tiingo", 244.06)], now
    )

    status = reply_to_plain(await answer(services, "/status"))

    assert "Sources (of each symbol's latest close)" in status
    assert "csv: " in status  # the bundled sample's rows
    assert "MDY: no close since 2026-02-27 (stale since 2026-03-02)" in status
    assert "IWM 2026-03-30: yahoo 241.50, tiingo 244.06" in status
