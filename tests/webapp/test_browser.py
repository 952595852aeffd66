"""The Mini App in a real browser: Debian's chromium, driven by Playwright, against the real
server over the filled sample, with a mocked ``window.Telegram.WebApp`` carrying initData
signed with the test token. Screenshots go to test-artefacts/webapp/ for a person to look at.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, Playwright, Route, async_playwright

from bot.render.format import pp
from bot.services import Services
from bot.webapp.server import make_app
from storage.chats import get_chat, update_settings, upsert_chat
from storage.custom import add_watch
from storage.subscriptions import subscribe
from tests.webapp.conftest import CONFIG, NOW, USER, init_data, is_member

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "webapp"
PHONE = {"width": 390, "height": 844}
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f1f1f1",
}
DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (/usr/bin/chromium); .ci/run installs it",
)


def mock_webapp(raw: str, theme: dict[str, str]) -> str:
    """What stands in for Telegram's WebApp script: the object the page talks to."""
    return (
        "window.Telegram = {WebApp: {"
        f"initData: {json.dumps(raw)}, initDataUnsafe: {{}}, themeParams: {json.dumps(theme)},"
        "colorScheme: 'light', viewportHeight: 844, viewportStableHeight: 844,"
        "ready() { window.__ready = true; }, expand() {}, onEvent() {}, offEvent() {}"
        "}};"
    )


@pytest_asyncio.fixture
async def site(services: Services) -> AsyncIterator[str]:
    """The web app on a local port; yields the page's URL."""
    server = TestServer(make_app(services, CONFIG, is_member, clock=lambda: NOW))
    await server.start_server()
    try:
        yield str(server.make_url(CONFIG.path))
    finally:
        await server.close()


async def open_page(
    site: str, theme: dict[str, str], errors: list[str]
) -> tuple[Playwright, Browser, Page]:
    """Chromium at phone size on ``site``, console errors collected into ``errors``."""
    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    page = await browser.new_page(viewport=PHONE, device_scale_factor=2)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    script = mock_webapp(init_data(), theme)

    async def telegram(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/javascript", body=script)

    await page.route("**/static/vendor/telegram-web-apps.js", telegram)
    await page.goto(site)
    return pw, browser, page


async def shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def set_benchmark(db, chat_id: int, benchmark: str) -> None:
    chat = get_chat(db, chat_id)
    assert chat is not None
    update_settings(db, replace(chat, watch_benchmark=benchmark), now=NOW)


async def test_every_view_renders_without_a_console_error(site: str, services: Services) -> None:
    from bot.queries.readapi import snapshot_for

    subscribe(services.db, USER, "smallcaps", "preset", now=NOW)
    upsert_chat(services.db, USER, "private", now=NOW)
    add_watch(services.db, USER, ["KRE", "XLK", "AAPL"], now=NOW)
    set_benchmark(services.db, USER, "IWM")
    errors: list[str] = []
    pw, browser, page = await open_page(site, LIGHT, errors)
    try:
        await page.wait_for_selector("#board-pairs li")
        assert await page.evaluate("window.__ready") is True
        snap = await snapshot_for(services, None)
        iwm = page.locator('#board-pairs li[data-pair="IWM/SPY"]')
        assert f"1M {pp(snap.pairs['IWM/SPY'].spreads_pp['1m'])}" in await iwm.inner_text()
        assert await page.locator('[data-asof="board"]').inner_text() == "as of 2026-03-31 close"
        await shot(page, "1-board")

        await iwm.click()
        await page.wait_for_selector("#pair-chart canvas")
        assert await page.locator("#pair-title").inner_text() == "IWM / SPY"
        assert "SPY leads since 2026-03-10" in await page.locator("#pair-regime").inner_text()
        assert await page.locator('[data-asof="pair"]').inner_text() == "as of 2026-03-31 close"
        assert await page.locator("#pair-chart canvas").count() >= 2
        await shot(page, "2-pair-1y")

        async with page.expect_response(lambda r: "horizon=2y" in r.url):
            await page.click('#pair-horizons button[data-value="2y"]')
        await page.wait_for_selector('#pair-horizons button[data-value="2y"][aria-pressed="true"]')
        flips_2y = await page.locator("#pair-flips li").count()
        await shot(page, "3-pair-2y")
        async with page.expect_response(lambda r: "horizon=3m" in r.url):
            await page.click('#pair-horizons button[data-value="3m"]')
        await page.wait_for_selector('#pair-horizons button[data-value="3m"][aria-pressed="true"]')
        assert await page.locator("#pair-flips li").count() < flips_2y

        await page.click('#tabs button[data-view="map"]')
        await page.wait_for_selector("#map-chart svg circle[data-key]")
        points = await page.locator("#map-chart svg circle[data-key]").count()
        assert points == len([k for k in snap.quadrants if "/" not in k])
        assert await page.locator('[data-asof="map"]').inner_text() == "as of 2026-03-31 close"
        await shot(page, "4-map")
        async with page.expect_response(lambda r: "set=sectors" in r.url):
            await page.click('#map-sets button[data-value="sectors"]')
        await page.wait_for_selector('#map-sets button[data-value="sectors"][aria-pressed="true"]')
        assert await page.locator('#map-chart svg circle[data-key="XLF"]').count() == 1
        await shot(page, "4b-map-sectors")
        async with page.expect_response(lambda r: "set=watch" in r.url):
            await page.click('#map-sets button[data-value="watch"]')
        await page.wait_for_selector('#map-sets button[data-value="watch"][aria-pressed="true"]')
        await page.wait_for_selector('#map-chart svg circle[data-key="KRE"]')
        watched = await page.locator("#map-chart svg circle[data-key]").all()
        assert {await c.get_attribute("data-key") for c in watched} == {"KRE", "XLK", "AAPL"}
        assert await page.locator("#map-title").inner_text() == "Your watchlist vs IWM"
        assert await page.locator('[data-asof="map"]').inner_text() == "as of 2026-03-31 close"
        await shot(page, "4c-map-watchlist")

        await page.click('#tabs button[data-view="subs"]')
        await page.wait_for_selector("#subs-list li")
        assert await page.locator("#subs-list").inner_text() == "preset smallcaps"
        assert "IWM/SPY, ^RUT/^GSPC" in await page.locator("#subs-pairs").inner_text()
        assert await page.locator('[data-asof="subs"]').inner_text() == "as of 2026-03-31 close"
        await shot(page, "5-subscriptions")
    finally:
        await browser.close()
        await pw.stop()
    assert errors == []


async def test_the_page_follows_the_dark_theme(site: str) -> None:
    errors: list[str] = []
    pw, browser, page = await open_page(site + "?view=pair&pair=KRE/SPY&horizon=all", DARK, errors)
    try:
        await page.wait_for_selector("#pair-chart canvas")
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(23, 33, 43)"
        assert await page.locator("#pair-title").inner_text() == "KRE / SPY"
        await shot(page, "6-pair-dark-all")
    finally:
        await browser.close()
        await pw.stop()
    assert errors == []
