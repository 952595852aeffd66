"""Buttons that open the Mini App: a Web App button in private chats, a t.me link elsewhere."""

from __future__ import annotations

import pytest
from telegram import Bot, User

from bot.commands.registry import AppLink
from bot.delivery.replies import app_button, markup
from bot.webapp.links import chat_link, page_base, page_url
from tests.webapp.conftest import GROUP

URL = "https://bot.example.com/rotation-app"


class NamedBot(Bot):
    """A Bot that knows its username without asking Telegram (no network here)."""

    @property
    def bot(self) -> User:
        return User(1, "Rotation Bot", is_bot=True, username="RotationTestBot")


@pytest.fixture
def bot() -> Bot:
    return NamedBot("123:TEST")


def test_private_chats_get_a_web_app_button_on_the_view(bot: Bot) -> None:
    button = app_button(bot, 777, AppLink("pair", (("pair", "IWM/SPY"),)), URL)
    assert button is not None
    assert button.web_app is not None
    assert button.web_app.url == "https://bot.example.com/rotation-app/?view=pair&pair=IWM%2FSPY"
    assert button.url is None


def test_groups_and_channels_get_the_bots_mini_app_link(bot: Bot) -> None:
    button = app_button(bot, GROUP, AppLink("board"), URL)
    assert button is not None
    assert button.web_app is None
    assert button.url == "https://t.me/RotationTestBot?startapp=chat-100555"
    assert app_button(Bot("123:TEST"), GROUP, AppLink("board"), URL) is None  # no getMe yet


def test_no_button_without_a_web_app_or_a_view(bot: Bot) -> None:
    assert app_button(bot, 777, AppLink("board"), "") is None
    assert app_button(bot, 777, None, URL) is None
    keys = markup(((("1D", "rot:1d"),),), app_button(bot, 777, AppLink("board"), URL))
    assert keys is not None
    assert [len(row) for row in keys.inline_keyboard] == [1, 1]
    assert markup(None, None) is None


def test_links() -> None:
    assert page_base("https://x.example/app?x=1") == "https://x.example/app/"
    assert page_base("https://x.example") == "https://x.example/"
    assert page_url("https://x.example/app/", "map") == "https://x.example/app/?view=map"
    assert chat_link("Bot", -1001234) == "https://t.me/Bot?startapp=chat-1001234"
