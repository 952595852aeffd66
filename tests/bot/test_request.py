"""The bot's HTTP layer (bot.delivery.http.BotRequest) against the Bot API fake over loopback: what
it sends arrives as PTB's own layer sends it, and transport failures map to PTB's errors."""

from __future__ import annotations

import socket
import struct
import zlib

import pytest
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.ext import ExtBot

from bot.delivery.http import BotRequest
from tests.fakes.botapi import FakeBotApi


def _png(width: int, height: int) -> bytes:
    """A real (grey) PNG image of that size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png(64, 48)


def _bot(fake: FakeBotApi, request: BotRequest) -> ExtBot:
    return ExtBot(
        fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url, request=request
    )


async def test_text_and_markup_arrive_as_sent(fake_botapi: FakeBotApi) -> None:
    fake_botapi.know_chats(41)
    async with _bot(fake_botapi, BotRequest()) as bot:
        sent = await bot.send_message(
            41, "<b>IWM/SPY</b> & co", parse_mode="HTML", disable_notification=True
        )
    assert sent.text == "IWM/SPY & co"
    assert sent.chat.id == 41
    (call,) = fake_botapi.messages_to(41)
    assert call.params["parse_mode"] == "HTML"
    assert call.params["disable_notification"] is True


async def test_a_photo_is_uploaded_with_its_name_and_caption(fake_botapi: FakeBotApi) -> None:
    fake_botapi.know_chats(42)
    async with _bot(fake_botapi, BotRequest()) as bot:
        sent = await bot.send_photo(
            42, InputFile(PNG, filename="ratio.png"), caption="<i>chart</i>", parse_mode="HTML"
        )
    assert sent.caption == "chart"
    (call,) = fake_botapi.messages_to(42)
    assert call.photo_bytes == len(PNG)


async def test_a_closed_port_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = BotRequest(connect_timeout=2.0)
    bot = ExtBot("123:TEST", base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await bot.get_me()
        assert not isinstance(raised.value, TimedOut)
        assert "aiohttp.ClientConnectorError" in str(raised.value)
    finally:
        await request.shutdown()


async def test_an_answer_that_does_not_come_is_timed_out(fake_botapi: FakeBotApi) -> None:
    fake_botapi.know_chats(43)
    fake_botapi.delay = 2.0
    async with _bot(fake_botapi, BotRequest(read_timeout=0.3)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(43, "late")


async def test_shutdown_then_use_opens_a_new_session(fake_botapi: FakeBotApi) -> None:
    fake_botapi.know_chats(44)
    request = BotRequest()
    bot = _bot(fake_botapi, request)
    async with bot:
        await bot.send_message(44, "one")
    await request.shutdown()  # twice: harmless
    async with bot:
        await bot.send_message(44, "two")
    assert [c.params["text"] for c in fake_botapi.messages_to(44)] == ["one", "two"]
