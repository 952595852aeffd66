"""Every command that echoes what the user typed, with `<`, `>`, `&` and HTML in every argument
position, through the real handlers and the fake's entity parser (Telegram's HTML rules).

The command table is the bot's own registry: a command added without examples here fails
the coverage test. For each command, valid invocations are the base; each argument in turn
is replaced by, then suffixed with, every nasty token, and one is added after the last.
Every reply must be accepted by the parser (an unescaped `<` is "unsupported start tag"),
no command may crash into "something went wrong" or page an operator, and text the user
typed must come back as typed: a marker inside a tag never shows without its tag.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from telegram.ext import Application

from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import make_user
from tests.fakes.offline_request import command_update
from tests.reliability.conftest import OPERATOR, make_inproc

# Valid invocations of every command (arguments after the name); the first of each is also
# the base of the mutations. Sequences run in one private chat, in order.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "start": ("", "sub_smallcaps"),
    "help": ("",),
    "rotation": ("1m",),
    "ticker": ("IWM",),
    "pair": ("IWM SPY 1m",),
    "quadrant": ("",),
    "history": ("IWM/SPY",),
    "subscribe": ("IWM/SPY",),
    "unsubscribe": ("IWM/SPY",),
    "subscriptions": ("",),
    "alert": (
        "IWM/SPY spread_1m < 5",
        "IWM/SPY spread_1m > 3",
        "IWM/SPY ratio_vs_trend <= -1",
        "IWM/SPY spread_1m >= 2",
    ),
    "alerts": ("",),
    "settings": ("quiet 22:00-07:00", "tz Europe/Berlin", "digest 08:30"),
    "why": ("",),
    "preview": ("",),
    "dashboard": ("@somechannel",),
    "export": ("IWM/SPY 1y",),
    "status": ("",),
    "sectors": ("1m",),
    "basket": ("BANKS KRE XLF", "BANKS KRE XLF XLE", "del BANKS"),
    "baskets": ("",),
    "watch": ("add IWM KRE", "vs IWM", "", "1w", "del KRE"),
}
# Markup with a marker in it: escaped, it shows as typed; interpreted, the marker would carry
# the markup's entity (or, for an entity, its character).
MARKED = ("<b>Zq9</b>", "&lt;Qx7", "a<i>Wv5", "<a href='tg://user?id=1'>Lk3</a>")
TOKENS = ("<", ">", "&", "< 5", *MARKED)


def mutations(args: str) -> Iterator[str]:
    """``args`` with each argument replaced by, then suffixed with, each token; and each token
    added as one more argument."""
    words = args.split()
    for i, token in itertools.product(range(len(words)), TOKENS):
        yield " ".join([*words[:i], token, *words[i + 1 :]])
        yield " ".join([*words[:i], words[i] + token, *words[i + 1 :]])
    for token in TOKENS:
        yield " ".join([*words, token])


async def _send(app: Application, fake: FakeBotApi, text: str, user_id: int) -> list:
    before = len(fake.calls)
    update = command_update(app.bot, text, user=make_user(user_id=user_id))
    message = update.message
    assert message is not None
    fake._messages[(message.chat.id, message.message_id)] = message  # as if really sent
    await app.process_update(update)
    return fake.calls[before:]


def _check(text: str, calls: list, where: int) -> None:
    refused = [
        (c.method, c.description)
        for c in calls
        if not c.ok and c.method.startswith(("send", "edit", "answer"))
    ]
    assert not refused, (text, refused)
    replies = [c for c in calls if c.chat_id == where and c.method.startswith("send")]
    assert replies, f"no reply to {text!r}"
    assert not [c for c in calls if c.chat_id == OPERATOR and where != OPERATOR], (
        f"{text!r} paged the operators"
    )
    for call in replies:
        shown = call.rendered or ""
        assert "went wrong" not in shown, (text, shown)
        assert "<Qx7" not in shown, f"{text!r}: an entity the user typed was decoded: {shown!r}"
        message = call.result or {}
        for entity in message.get("entities") or message.get("caption_entities") or []:
            covered = _utf16_slice(shown, entity["offset"], entity["length"])
            assert covered not in ("Zq9", "Wv5"), f"{text!r}: user markup rendered: {entity}"
            assert entity.get("url") != "tg://user?id=1", f"{text!r}: user link rendered"


def _utf16_slice(text: str, offset: int, length: int) -> str:
    raw = text.encode("utf-16-le")
    return raw[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")


@pytest.mark.timeout(900)
async def test_every_command_is_covered_by_examples(services) -> None:
    app, _fake, close = await make_inproc(services)
    try:
        names = {c.name for c in app.bot_data.commands}
    finally:
        await close()
    assert names == set(EXAMPLES), "give the new command examples above"


@pytest.mark.timeout(1800)
async def test_user_text_with_html_comes_back_as_typed(services) -> None:
    app, fake, close = await make_inproc(services)
    users = itertools.count(30_000_000)
    cases = 0
    try:
        for command in app.bot_data.commands:
            who = OPERATOR if command.operators_only else None
            valid = EXAMPLES[command.name]
            chat = next(users) if who is None else who
            for args in valid:  # the valid sequence in one chat: /alert ... then /alerts
                text = f"/{command.name} {args}".strip()
                _check(text, await _send(app, fake, text, chat), chat)
                cases += 1
            for args in mutations(valid[0]):
                chat = next(users) if who is None else who
                text = f"/{command.name} {args}"
                _check(text, await _send(app, fake, text, chat), chat)
                cases += 1
        # the stored rules come back in the list with their operators as typed
        owner = next(users)
        for args in EXAMPLES["alert"]:
            await _send(app, fake, f"/alert {args}", owner)
        (listing,) = [
            c for c in await _send(app, fake, "/alerts", owner) if c.method == "sendMessage"
        ]
        assert listing.ok
        for op in ("<", ">", "<=", ">="):
            assert f" {op} " in (listing.rendered or ""), listing.rendered
    finally:
        await close()
    assert cases > 300
