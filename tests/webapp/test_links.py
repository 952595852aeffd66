"""Buttons that open the Mini App: a Web App button in private chats, a t.me link elsewhere."""

from __future__ import annotations

from bot.webapp.links import AppLink, chat_link, page_url
from bot.webapp.telegram import open_button
from tests.webapp.conftest import CONFIG, GROUP


def test_private_chats_get_a_web_app_button_on_the_view() -> None:
    link = AppLink("pair", (("pair", "IWM/SPY"),))
    button = open_button(CONFIG, link, "private", 777, "RotationTestBot")
    assert button is not None
    assert button.web_app is not None
    assert button.web_app.url == "https://bot.example.com/rotation-app/?view=pair&pair=IWM%2FSPY"
    assert button.url is None


def test_groups_and_channels_get_the_bots_mini_app_link() -> None:
    for kind in ("group", "supergroup", "channel"):
        button = open_button(CONFIG, AppLink("board"), kind, GROUP, "RotationTestBot")
        assert button is not None
        assert button.web_app is None
        assert button.url == "https://t.me/RotationTestBot?startapp=chat-100555"
    assert open_button(CONFIG, AppLink("board"), "group", GROUP, None) is None


def test_links() -> None:
    assert page_url("https://x.example/app/", "map") == "https://x.example/app/?view=map"
    assert chat_link("Bot", -1001234) == "https://t.me/Bot?startapp=chat-1001234"
