"""The fake Bot API against the real python-telegram-bot client, polling over loopback HTTP."""

from __future__ import annotations

import datetime as dtm
import struct
import zlib

import pytest
from telegram import (
    Bot,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes import (
    FakeBotApi,
    channel_chat,
    fixtures,
    group_chat,
    make_user,
    supergroup_chat,
)
from tests.fakes.fixtures import builder_for, polling
from tests.fakes.html_entities import EntityParseError, parse_html
from tests.fakes.offline_request import (
    FakeRequest,
    NetworkCallAttempted,
    OfflineRequest,
    callback_update,
    command_update,
    group_command_update,
    offline_application,
)

fake_botapi = fixtures.fake_botapi  # the fixture other suites import in their conftest

ALICE = make_user(501, "Alice", username="alice")
BOB = make_user(502, "Bob")


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def test_command_handler_receives_injected_command_and_replies(fake_botapi: FakeBotApi):
    seen: list[tuple[int, list[str]]] = []

    async def rotation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append((update.effective_chat.id, context.args))
        await update.effective_message.reply_html(
            "<b>IWM</b> leads &amp; <i>SPY</i> lags", disable_notification=True
        )

    app = builder_for(fake_botapi).build()
    app.add_handler(CommandHandler("rotation", rotation))
    group = group_chat(-4242, "Desk")
    async with polling(app):
        await fake_botapi.send_command(None, ALICE, "/rotation IWM")
        await fake_botapi.send_command(group, BOB, "/rotation@RotationTestBot SPY")
        await fake_botapi.wait_for_message(group.id)
        private = await fake_botapi.wait_for_message(ALICE.id)

    assert seen == [(ALICE.id, ["IWM"]), (group.id, ["SPY"])]
    assert private.rendered == "IWM leads & SPY lags"
    assert private.parse_mode == "HTML"
    assert private.disable_notification is True
    assert [e["type"] for e in private.result["entities"]] == ["bold", "italic"]
    reply = fake_botapi.messages_to(group.id)[0]
    assert reply.params["reply_parameters"]["message_id"] == 1  # quoted the command in a group
    assert fake_botapi.pending_updates == 0  # the final getUpdates confirmed everything


async def test_too_long_and_malformed_messages_are_bad_requests(fake_botapi: FakeBotApi):
    fake_botapi.know_chats(ALICE.id, BOB.id)  # both wrote to the bot before
    app = builder_for(fake_botapi).build()
    async with polling(app):
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await app.bot.send_message(ALICE.id, "x" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await app.bot.send_message(ALICE.id, "📈" * 2049)  # 4098 UTF-16 units
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await app.bot.send_message(ALICE.id, "IWM <b>up", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await app.bot.send_message(ALICE.id, "<b> </b>", parse_mode=ParseMode.HTML)
        exact = await app.bot.send_message(
            ALICE.id, f"<b>{'x' * 4096}</b>", parse_mode=ParseMode.HTML
        )
    assert len(exact.text) == 4096
    assert [c.ok for c in fake_botapi.sent] == [False, False, False, False, True]
    assert fake_botapi.sent[0].error_code == 400


async def test_fault_kinds_map_to_ptb_exceptions(
    fake_botapi: FakeBotApi, monkeypatch: pytest.MonkeyPatch
):
    fake_botapi.know_chats(ALICE.id, BOB.id)  # both wrote to the bot before
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter warns about ints otherwise
    fake_botapi.fail_chat(ALICE.id, "forbidden")
    fake_botapi.fail_chat(-77, "migrated", new_chat_id=-1007700)
    fake_botapi.fail_chat(BOB.id, "flood", retry_after=3, times=1)
    fake_botapi.fail_chat(-999, "not_found")
    app = builder_for(fake_botapi).build()
    async with polling(app):
        with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
            await app.bot.send_message(ALICE.id, "hi")
        with pytest.raises(ChatMigrated) as migrated:
            await app.bot.send_message(-77, "hi")
        with pytest.raises(RetryAfter) as flood:
            await app.bot.send_message(BOB.id, "hi")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.send_message(-999, "hi")
        await app.bot.send_message(BOB.id, "after the flood")  # times=1 was used up
    assert migrated.value.new_chat_id == -1007700
    assert flood.value.retry_after == dtm.timedelta(seconds=3)
    assert fake_botapi.floods == 1
    assert [c.chat_id for c in fake_botapi.delivered] == [BOB.id]


async def test_migrate_injects_service_messages_and_old_id_fails(fake_botapi: FakeBotApi):
    migrations: list[tuple[int, int]] = []

    async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message.migrate_to_chat_id:
            migrations.append((message.chat.id, message.migrate_to_chat_id))

    app = builder_for(fake_botapi).build()
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    old = group_chat(-5150, "Desk")
    async with polling(app):
        new = await fake_botapi.migrate(old, -1005150, by_user=ALICE)
        await fake_botapi.wait_for(lambda: fake_botapi.pending_updates == 0 and migrations)
        with pytest.raises(ChatMigrated) as exc:
            await app.bot.send_message(old.id, "hi")
        sent = await app.bot.send_message(new.id, "hi")
    assert migrations == [(-5150, -1005150)]
    assert exc.value.new_chat_id == -1005150
    assert sent.chat.type == "supergroup"


async def test_send_photo_with_caption_and_download(fake_botapi: FakeBotApi):
    fake_botapi.know_chats(ALICE.id, BOB.id)  # both wrote to the bot before
    image = png(40, 30)
    app = builder_for(fake_botapi).build()
    async with polling(app):
        message = await app.bot.send_photo(
            ALICE.id, image, caption="<b>RSP</b> chart", parse_mode=ParseMode.HTML
        )
        with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
            await app.bot.send_photo(ALICE.id, image, caption="y" * 1025)
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await app.bot.send_photo(ALICE.id, b"not an image")
        file = await message.photo[-1].get_file()
        downloaded = await file.download_as_bytearray()
    assert message.caption == "RSP chart"
    assert (message.photo[-1].width, message.photo[-1].height) == (40, 30)
    assert bytes(downloaded) == image
    call = fake_botapi.messages_to(ALICE.id)[0]
    assert (call.method, call.photo_bytes, call.caption) == (
        "sendPhoto",
        len(image),
        "<b>RSP</b> chart",
    )


async def test_set_my_commands_is_recorded(fake_botapi: FakeBotApi):
    app = builder_for(fake_botapi).build()
    async with polling(app):
        await app.bot.set_my_commands([("rotation", "Leadership now"), ("help", "Usage")])
        listed = await app.bot.get_my_commands()
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await app.bot.set_my_commands([("Bad-Name", "x")])
    assert [(c.command, c.description) for c in fake_botapi.commands] == [
        ("rotation", "Leadership now"),
        ("help", "Usage"),
    ]
    assert [c.command for c in listed] == ["rotation", "help"]


async def test_button_press_reaches_handler_and_edits(fake_botapi: FakeBotApi):
    fake_botapi.know_chats(ALICE.id, BOB.id)  # both wrote to the bot before
    keyboard = InlineKeyboardMarkup.from_button(
        InlineKeyboardButton("Refresh", callback_data="refresh:IWM")
    )
    edits: list[str] = []

    async def refresh(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer()
        await query.edit_message_text("IWM v2", reply_markup=keyboard)
        try:
            await query.edit_message_text("IWM v2", reply_markup=keyboard)
        except BadRequest as exc:
            edits.append(exc.message)

    app = builder_for(fake_botapi).build()
    app.add_handler(CallbackQueryHandler(refresh, pattern="^refresh:"))
    async with polling(app):
        sent = await app.bot.send_message(ALICE.id, "IWM v1", reply_markup=keyboard)
        update = await fake_botapi.press_button(fake_botapi.sent[0], "refresh:IWM", BOB)
        await fake_botapi.wait_for(lambda: edits)
        with pytest.raises(ValueError, match="no button"):
            await fake_botapi.press_button(fake_botapi.sent[0], "nope", BOB)

    assert fake_botapi.callback_answered(update.callback_query.id)
    assert edits[0].lower().startswith("message is not modified")
    current = fake_botapi.message(ALICE.id, sent.message_id)
    assert current.text == "IWM v2"
    assert current.edit_date is not None
    assert [c.method for c in fake_botapi.sent if c.ok] == [
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
    ]


async def test_chat_members_admins_and_my_chat_member(fake_botapi: FakeBotApi):
    fake_botapi.know_chats(ALICE.id, BOB.id)  # both wrote to the bot before
    group = supergroup_chat(-100123, "Desk")
    channel = channel_chat(-100456, "Alerts", username="alerts")
    fake_botapi.add_chat(group)
    fake_botapi.set_admins(group.id, [BOB], creator=ALICE)
    statuses: list[str] = []

    async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        statuses.append(update.my_chat_member.new_chat_member.status)

    app = builder_for(fake_botapi).build()
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    async with polling(app):
        await fake_botapi.my_chat_member(channel, "left", "administrator", ALICE)
        owner = await app.bot.get_chat_member(group.id, ALICE.id)
        admin = await app.bot.get_chat_member(group.id, BOB.id)
        stranger = await app.bot.get_chat_member(group.id, 999)
        me = await app.bot.get_chat_member("@alerts", app.bot.id)
        admins = await app.bot.get_chat_administrators(group.id)
        await app.bot.send_message("@alerts", "posted")
        await fake_botapi.my_chat_member(ALICE.id, "member", "kicked", ALICE)
        await fake_botapi.wait_for(lambda: len(statuses) == 2)
        with pytest.raises(Forbidden, match=r"(?i)blocked"):
            await app.bot.send_message(ALICE.id, "hi")
        assert await app.bot.leave_chat(group.id)
        with pytest.raises(Forbidden, match=r"(?i)not a member"):
            await app.bot.send_message(group.id, "hi")
    assert (owner.status, admin.status, stranger.status) == ("creator", "administrator", "left")
    assert me.status == ChatMember.ADMINISTRATOR
    assert me.can_post_messages
    assert {m.user.id for m in admins} == {ALICE.id, BOB.id}
    assert statuses == ["administrator", "kicked"]
    assert fake_botapi.messages_to(channel.id)[0].rendered == "posted"


async def test_channel_post_reaches_command_handler(fake_botapi: FakeBotApi):
    posts: list[int] = []

    async def rotation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        posts.append(update.channel_post.sender_chat.id)

    app = builder_for(fake_botapi).build()
    # CommandHandler only looks at channel posts when asked to.
    app.add_handler(CommandHandler("rotation", rotation, filters.UpdateType.CHANNEL_POSTS))
    channel = channel_chat(-100789, "Alerts")
    async with polling(app):
        await fake_botapi.send_channel_post(channel, "/rotation")
        await fake_botapi.wait_for(lambda: posts)
    assert posts == [channel.id]


async def test_outage_fail_next_and_rate_limit(
    fake_botapi: FakeBotApi, monkeypatch: pytest.MonkeyPatch
):
    fake_botapi.know_chats(ALICE.id, BOB.id)  # both wrote to the bot before
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    bot = Bot(fake_botapi.token, base_url=fake_botapi.base_url)
    async with bot:
        fake_botapi.fail_next(1, "bad_gateway")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(ALICE.id, "a")
        fake_botapi.outage(True)
        with pytest.raises(NetworkError):
            await bot.get_chat(ALICE.id)
        fake_botapi.outage(True, mode="drop")
        with pytest.raises(NetworkError):
            await bot.send_message(ALICE.id, "b")
        fake_botapi.outage(False)
        fake_botapi.max_per_second = 2
        await bot.send_message(ALICE.id, "1")
        await bot.send_message(ALICE.id, "2")
        with pytest.raises(RetryAfter):
            await bot.send_message(ALICE.id, "3")
    assert fake_botapi.floods == 1
    assert [c.rendered for c in fake_botapi.delivered] == ["1", "2"]


async def test_delay_after_delivery_times_out_but_delivers(fake_botapi: FakeBotApi):
    fake_botapi.know_chats(ALICE.id, BOB.id)  # both wrote to the bot before
    bot = Bot(fake_botapi.token, base_url=fake_botapi.base_url)
    fake_botapi.delay = 5.0
    fake_botapi.delay_after_delivery = True  # the answer is lost, the message is not
    async with bot:
        with pytest.raises(TimedOut):
            await bot.send_message(ALICE.id, "maybe", read_timeout=0.05)
    assert [c.rendered for c in fake_botapi.messages_to(ALICE.id)] == ["maybe"]


async def test_get_updates_offset_limit_and_allowed_updates(fake_botapi: FakeBotApi):
    bot = Bot(fake_botapi.token, base_url=fake_botapi.base_url)
    async with bot:
        for n in range(3):
            await fake_botapi.send_command(None, ALICE, f"/n {n}")
        first = await bot.get_updates(limit=2, timeout=0)
        rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
        assert [u.message.text for u in first] == ["/n 0", "/n 1"]
        assert [u.message.text for u in rest] == ["/n 2"]
        await bot.get_updates(offset=rest[-1].update_id + 1, allowed_updates=["callback_query"])
        await fake_botapi.send_command(None, ALICE, "/ignored")  # filtered by allowed_updates
        assert fake_botapi.pending_updates == 0
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message("@nobody", "x")


async def test_offline_application_processes_updates_without_network():
    request = OfflineRequest()
    app = offline_application(request)
    replies: list[str] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        replies.append(update.effective_user.first_name)
        await update.effective_message.reply_text("hello")

    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.process_update(command_update(app.bot, "/start", user=ALICE))
    assert replies == ["Alice"]
    assert [method for method, _ in request.attempts] == ["sendMessage"]
    assert issubclass(NetworkCallAttempted, RuntimeError)


async def test_in_process_fake_request_answers_like_the_server():
    fake = FakeBotApi(any_chat=True)  # the group's update is handed to the app, not the fake
    app = offline_application(FakeRequest(fake))
    pressed: list[str] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text("group hello")

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed.append(update.callback_query.data)
        await update.callback_query.answer()

    app.add_handlers([CommandHandler("start", start), CallbackQueryHandler(button)])
    async with app:
        group_update = group_command_update(app.bot, "/start", user=BOB)
        await app.process_update(group_update)
        await app.process_update(callback_update(app.bot, "refresh", user=BOB))
    # Telegram never saw the group command, so the quoted reply target is unknown to it.
    assert fake.sent[0].description == "Bad Request: message to be replied not found"
    assert pressed == ["refresh"]
    assert fake.sent[1].method == "answerCallbackQuery"
    assert not fake.sent[1].ok


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("é<foo>", 'Unsupported start tag "foo" at byte offset 2'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_html_errors_match_telegram(source: str, error: str):
    with pytest.raises(EntityParseError) as exc:
        parse_html(source)
    assert str(exc.value) == error


def test_html_entities_offsets_in_utf16():
    text, entities = parse_html(
        '📈 <b>IWM</b> &lt;&amp;&gt; <a href="https://x.org/?a=1&amp;b=2">link</a> '
        '<pre><code class="language-python">x = 1</code></pre>'
    )
    assert text == "📈 IWM <&> link x = 1"
    assert entities == [
        MessageEntity("bold", 3, 3),
        MessageEntity("text_link", 11, 4, url="https://x.org/?a=1&b=2"),
        MessageEntity("pre", 16, 5, language="python"),
    ]


def test_bound_updates_reply_through_their_bot():
    app = offline_application()
    update = command_update(app.bot, "/start", chat=group_chat(-1), anonymous=True)
    assert isinstance(update.message, Message)
    assert update.message.sender_chat.id == update.message.chat.id == -1
    assert update.message.get_bot() is app.bot


async def test_unknown_chats_methods_and_parameters_are_refused(fake_botapi: FakeBotApi):
    """As Telegram: a chat the bot never met is "chat not found", an unknown method 404;
    stricter than Telegram, a parameter the method does not take is a 400."""
    app = builder_for(fake_botapi).build()
    async with polling(app):
        with pytest.raises(BadRequest, match=r"^Chat not found$"):
            await app.bot.send_message(ALICE.id, "hi")
        fake_botapi.know_chats(ALICE.id)
        await app.bot.send_message(ALICE.id, "hi")
        status, body = await fake_botapi.answer(fake_botapi.token, "sendMesage", {})
        assert (status, body["description"]) == (404, "Not Found")
        with pytest.raises(BadRequest, match=r"(?i)unknown parameter 'message_thread'"):
            await app.bot.send_message(ALICE.id, "hi", api_kwargs={"message_thread": 7})
        with pytest.raises(BadRequest, match=r"(?i)unknown parameter 'caption'"):
            await app.bot.send_message(ALICE.id, "hi", api_kwargs={"caption": "x"})
    assert [c.rendered for c in fake_botapi.messages_to(ALICE.id)] == ["hi"]


async def test_unchanged_media_and_caption_edits_are_not_modified(fake_botapi: FakeBotApi):
    fake_botapi.know_chats(ALICE.id)
    image, other = png(40, 30), png(41, 30)
    app = builder_for(fake_botapi).build()
    async with polling(app):
        sent = await app.bot.send_photo(ALICE.id, image, caption="v1")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await app.bot.edit_message_caption(ALICE.id, sent.message_id, caption="v1")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await app.bot.edit_message_media(
                InputMediaPhoto(image, caption="v1"), chat_id=ALICE.id, message_id=sent.message_id
            )
        await app.bot.edit_message_media(
            InputMediaPhoto(image, caption="v2"), chat_id=ALICE.id, message_id=sent.message_id
        )
        await app.bot.edit_message_media(
            InputMediaPhoto(other, caption="v2"), chat_id=ALICE.id, message_id=sent.message_id
        )
    assert fake_botapi.message(ALICE.id, sent.message_id).caption == "v2"
