"""One path from a problem the user can fix to text: every face shows the same line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram.ext import Application
from typer.testing import CliRunner

from bot.cli.main import app as cli
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import make_user
from tests.fakes.offline_request import command_update

BAD_INPUT = ["/pair FOO/", "/pair IWM IWM", "/ticker <b>x</b>", "/rotation 10y", "/frobnicate"]


@pytest.mark.parametrize("text", BAD_INPUT)
async def test_telegram_ask_and_console_say_the_same_line(
    text: str, env: Path, inproc: tuple[Application, FakeBotApi]
) -> None:
    app, fake = inproc
    user = make_user()
    await app.process_update(command_update(app.bot, text, user=user))
    [message] = fake.messages_to(user.id)
    assert message.ok, message.description
    shown = message.rendered or ""
    assert shown.startswith("⚠️ ")

    # the command line runs its own event loop: in a thread, beside this test's
    asked = await asyncio.to_thread(CliRunner().invoke, cli, ["ask", text])
    assert asked.exit_code == 2
    assert asked.stderr.strip() == shown

    console = await asyncio.to_thread(CliRunner().invoke, cli, ["console"], input=f"{text}\nquit\n")
    assert console.exit_code == 0
    assert console.stderr.strip() == shown
