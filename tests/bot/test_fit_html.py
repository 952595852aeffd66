"""The one rule for "fits in a caption / a message": Telegram's count, cut without breaking HTML."""

from __future__ import annotations

from telegram import Message
from telegram.ext import Application

from bot.commands.registry import Reply
from bot.delivery.replies import edit_with, send_reply
from bot.render.format import CAPTION_LIMIT, TEXT_LIMIT, fit_html, fits, telegram_len
from tests.bot.test_request import PNG
from tests.fakes.botapi import FakeBotApi
from tests.fakes.html_entities import parse_html, utf16_len
from tests.fakes.objects import make_user
from tests.fakes.offline_request import callback_update

Inproc = tuple[Application, FakeBotApi]


def _long_caption() -> str:
    """Nested tags, entities and emoji (2 UTF-16 units each) on every line, well past 1024."""
    lines = [
        f"📈 <b>row {i} <i>A &amp; B</i> <code>QQQ&lt;SPY</code></b> "
        f'<a href="https://example.com/?a=1&amp;b={i}">link</a> 🇺🇸 ' + "é" * (i % 7)
        for i in range(40)
    ]
    return "<blockquote>" + "\n".join(lines) + "</blockquote>\n<i>as of 2026-03-31 close</i>"


def test_telegram_len_counts_the_parsed_text_in_utf16() -> None:
    html = "<b>📈 A &amp; B</b>"
    assert telegram_len(html) == utf16_len(parse_html(html)[0]) == 8
    assert fits("x" * 1024)
    assert not fits("📈" * 513)
    assert fits("<b>" + "x" * 1024 + "</b>")  # tags are not counted


def test_a_text_that_fits_comes_back_unchanged() -> None:
    html = "<b>short</b> &amp; sweet"
    assert fit_html(html) == html


def test_every_cut_near_the_limit_parses_and_fits() -> None:
    html = _long_caption()
    assert telegram_len(html) > CAPTION_LIMIT + 400
    for limit in range(CAPTION_LIMIT - 120, CAPTION_LIMIT + 1):  # cuts at every kind of token
        cut = fit_html(html, limit)
        plain, _entities = parse_html(cut)  # raises on a cut tag or a tag left open
        assert utf16_len(plain) <= limit, limit
        assert cut.endswith("…")


def test_a_cut_inside_an_entity_keeps_it_whole_and_prefers_a_line_end() -> None:
    html = "<b>" + "x" * 1020 + "</b>" + "&amp;" * 5
    cut = fit_html(html)
    assert cut == "<b>" + "x" * 1020 + "</b>" + "&amp;" * 3 + "…"
    lines = "\n".join(["line " + "y" * 95] * 20)
    cut = fit_html(lines)
    assert cut.endswith("y…")
    assert cut.count("\n") == 9  # ten whole lines, not a tenth and a half


async def test_a_long_caption_edit_is_accepted_by_telegram(inproc: Inproc) -> None:
    app, fake = inproc
    user = make_user()
    keys = ((("Again", "x:1"),),)
    [sent] = await send_reply(app.bot, user.id, Reply("<b>chart</b>", photo=PNG, keyboard=keys))
    stored = fake.message(user.id, sent.message_id)
    assert isinstance(stored, Message)
    update = callback_update(app.bot, "x:1", user=user, message=stored)
    fake._callback_queries[update.callback_query.id] = False
    await edit_with(update.callback_query, Reply(_long_caption(), keyboard=keys), "")
    [edit] = [c for c in fake.calls if c.method == "editMessageCaption"]
    assert edit.ok, edit.description
    assert 900 < utf16_len(fake.message(user.id, sent.message_id).caption or "") <= CAPTION_LIMIT


async def test_a_long_text_edit_is_one_message_under_the_limit(inproc: Inproc) -> None:
    app, fake = inproc
    user = make_user()
    keys = ((("Again", "x:1"),),)
    [sent] = await send_reply(app.bot, user.id, Reply("<b>board</b>", keyboard=keys))
    stored = fake.message(user.id, sent.message_id)
    update = callback_update(app.bot, "x:1", user=user, message=stored)
    fake._callback_queries[update.callback_query.id] = False
    html = "\n".join(["<b>📈 row</b> <i>" + "z" * 80 + "</i>"] * 80)
    await edit_with(update.callback_query, Reply(html, keyboard=keys), "")
    [edit] = [c for c in fake.calls if c.method == "editMessageText"]
    assert edit.ok, edit.description
    assert 3500 < utf16_len(fake.message(user.id, sent.message_id).text or "") <= TEXT_LIMIT
