"""The Mini App's server: the page, static files and the JSON API, over the filled sample."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from aiohttp.test_utils import TestClient

from bot.queries.readapi import pair_view, snapshot_for
from bot.render.format import pct, pp
from bot.render.market import pair_html
from bot.services import Services
from bot.webapp import api
from bot.webapp.scope import start_param
from storage.subscriptions import subscribe
from tests.webapp.conftest import GROUP, NOW, TOKEN, USER, auth, init_data

BASE = "/rotation-app/"


async def test_board_is_the_rotation_scoreboard(client: TestClient, services: Services) -> None:
    response = await client.get(BASE + "api/board", headers=auth(init_data()))
    assert response.status == 200
    assert response.headers["Cache-Control"] == "private, max-age=60"
    body = await response.json()
    snap = await snapshot_for(services, None)
    assert body["asof"] == snap.session.isoformat() == "2026-03-31"
    keys = [p["key"] for p in body["pairs"]]
    assert keys[0] == "IWM/SPY"
    assert len(keys) == 7
    for row in body["pairs"]:
        stats = snap.pairs[row["key"]]
        assert row["spreads_pp"] == stats.spreads_pp
        assert row["ratio_vs_trend"] == stats.ratio_vs_trend
    iwm = body["pairs"][0]
    assert (iwm["regime"]["leader"], iwm["regime"]["since"]) == ("SPY", "2026-03-10")
    assert [h["symbol"] for h in body["headline"]] == ["^RUT", "^GSPC", "^IXIC"]
    assert pct(body["headline"][0]["returns"]["ytd"]) == "+0.58 %"


async def test_pair_numbers_are_the_pair_commands(client: TestClient, services: Services) -> None:
    response = await client.get(
        BASE + "api/pair", params={"pair": "IWM/SPY", "horizon": "1y"}, headers=auth(init_data())
    )
    assert response.status == 200
    body = await response.json()
    view = await pair_view(services, "IWM", "SPY", None)
    text = pair_html(view, None)
    assert body["asof"] == "2026-03-31"
    for horizon, value in body["stats"]["spreads_pp"].items():
        assert value == view.stats.spreads_pp[horizon]
        assert pp(value) in text
    assert pct(body["stats"]["ratio_vs_trend"]) in text
    series = body["series"]
    assert len(series["dates"]) == 252
    assert series["dates"][-1] == "2026-03-31"
    assert series["ratio"][-1] == pytest.approx(view.series["ratio"].iloc[-1], rel=1e-5)
    assert series["state"][-1] == -1  # SPY leads
    assert {"date": "2026-03-10", "leader": "SPY"} in body["flips"]
    assert all(f["date"] >= series["dates"][0] for f in body["flips"])


@pytest.mark.parametrize(("horizon", "points"), [("3m", 63), ("6m", 126), ("2y", 504)])
async def test_pair_horizons(client: TestClient, horizon: str, points: int) -> None:
    response = await client.get(
        BASE + "api/pair",
        params={"pair": "KRE vs SPY", "horizon": horizon},
        headers=auth(init_data()),
    )
    body = await response.json()
    assert (body["horizon"], len(body["series"]["dates"])) == (horizon, points)


async def test_pair_all_is_every_common_session(client: TestClient, services: Services) -> None:
    response = await client.get(
        BASE + "api/pair", params={"pair": "IWM/SPY", "horizon": "all"}, headers=auth(init_data())
    )
    body = await response.json()
    view = await pair_view(services, "IWM", "SPY", None, sessions=None)
    assert len(body["series"]["dates"]) == len(view.series) > 504
    assert body["series"]["dates"][0] == "2024-01-02"


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"pair": "IWM/SPY", "horizon": "5y"}, 400, "Unknown horizon"),
        ({"pair": "IWM"}, 400, "two symbols"),
        ({}, 400, "Which pair"),
        ({"pair": "IWM/<b>"}, 400, "is not a symbol"),
        ({"pair": "IWM/ZZZQ"}, 404, "ZZZQ: no prices stored yet"),
    ],
)
async def test_bad_pair_requests_get_one_line(
    client: TestClient, params: dict[str, str], status: int, words: str
) -> None:
    response = await client.get(BASE + "api/pair", params=params, headers=auth(init_data()))
    assert response.status == status
    body = await response.json()
    assert list(body) == ["error"]
    assert words in body["error"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_quadrant_of_the_universe(client: TestClient, services: Services) -> None:
    response = await client.get(BASE + "api/quadrant?set=universe", headers=auth(init_data()))
    body = await response.json()
    snap = await snapshot_for(services, None)
    assert body["asof"] == "2026-03-31"
    assert body["benchmark"] == "SPY"
    keys = {t["key"] for t in body["trails"]}
    assert keys == {k for k, t in snap.quadrants.items() if "/" not in k and t.current}
    iwm = next(t for t in body["trails"] if t["key"] == "IWM")
    assert iwm["current"]["strength"] == snap.quadrants["IWM"].current.strength
    assert len(iwm["tail"]) == len(snap.quadrants["IWM"].tail)
    bad = await client.get(BASE + "api/quadrant?set=planets", headers=auth(init_data()))
    assert bad.status == 400
    assert "Unknown set" in (await bad.json())["error"]


async def test_subscriptions_of_the_own_chat_and_a_members_group(
    client: TestClient, services: Services
) -> None:
    subscribe(services.db, USER, "banks", "preset", now=NOW)
    subscribe(services.db, GROUP, "IWM/QQQ", "pair", now=NOW)
    mine = await (await client.get(BASE + "api/subscriptions", headers=auth(init_data()))).json()
    assert mine["chat"] == "private"
    assert mine["subscriptions"] == [{"target": "banks", "kind": "preset"}]
    assert mine["pairs"] == ["KRE/SPY"]
    assert mine["asof"] == "2026-03-31"
    group = init_data(start_param=start_param(GROUP))
    theirs = await (await client.get(BASE + "api/subscriptions", headers=auth(group))).json()
    assert (theirs["chat"], theirs["pairs"]) == ("group", ["IWM/QQQ"])


async def test_another_chats_data_is_refused(client: TestClient, services: Services) -> None:
    subscribe(services.db, GROUP, "IWM/QQQ", "pair", now=NOW)
    stranger = init_data(user_id=5, start_param=start_param(GROUP))
    response = await client.get(BASE + "api/subscriptions", headers=auth(stranger))
    assert response.status == 403
    assert await response.json() == {"error": "you are not a member of that chat"}
    other_user = init_data(start_param=start_param(4242))
    response = await client.get(BASE + "api/subscriptions", headers=auth(other_user))
    assert response.status == 403


def _forged() -> str:
    return init_data(token="999:OTHER")


def _tampered() -> str:
    return init_data().replace("%22id%22%3A+777", "%22id%22%3A+778")


def _expired() -> str:
    return init_data(auth_date=NOW - dt.timedelta(hours=25))


API_PATHS = ["api/board", "api/pair?pair=IWM/SPY", "api/quadrant", "api/subscriptions"]


@pytest.mark.parametrize("path", API_PATHS)
@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing initData"),
        ({"Authorization": "Bearer x"}, "missing initData"),
        ("forged", "invalid initData signature"),
        ("tampered", "invalid initData signature"),
        ("expired", "initData has expired; reopen the app"),
    ],
)
async def test_no_data_without_valid_initdata(
    client: TestClient, path: str, headers: dict[str, str] | str, reason: str
) -> None:
    if isinstance(headers, str):
        raw = {"forged": _forged, "tampered": _tampered, "expired": _expired}[headers]()
        assert headers != "tampered" or raw != init_data()
        headers = auth(raw)
    response = await client.get(BASE + path, headers=headers)
    assert response.status == 401
    assert await response.json() == {"error": reason}
    assert response.headers["Cache-Control"] == "no-store"


async def test_an_unexpected_error_shows_no_traceback_and_no_secret(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> object:
        raise RuntimeError(f"boom with {TOKEN}")

    monkeypatch.setattr(api, "board", broken)
    response = await client.get(BASE + "api/board", headers=auth(init_data()))
    assert response.status == 500
    text = await response.text()
    assert json.loads(text) == {"error": "internal error"}
    assert TOKEN not in text
    assert "Traceback" not in text


async def test_the_page_and_its_files(client: TestClient) -> None:
    page = await client.get(BASE)
    assert page.status == 200
    assert page.content_type == "text/html"
    assert page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = await page.text()
    assert TOKEN not in html
    assert "https://telegram.org/js" not in html
    chart_js = "static/vendor/lightweight-charts.standalone.production.js"
    for src in ("static/app.js", "static/app.css", chart_js):
        assert src in html
        asset = await client.get(BASE + src)
        assert asset.status == 200
        assert asset.headers["Cache-Control"] == "public, max-age=3600"
    bare = await client.get(BASE.rstrip("/") + "?view=map", allow_redirects=False)
    assert (bare.status, bare.headers["Location"]) == (308, BASE + "?view=map")
    missing = await client.get(BASE + "static/../server.py")
    assert missing.status == 404
    unknown = await client.get(BASE + "api/nothing", headers=auth(init_data()))
    assert unknown.status == 404
    assert list(await unknown.json()) == ["error"]


def test_the_attribution_and_licences_ship_with_the_page() -> None:
    from bot.webapp.server import STATIC_DIR

    html = (STATIC_DIR / "index.html").read_text()
    assert "https://www.tradingview.com/" in html
    notice = (STATIC_DIR / "vendor" / "lightweight-charts.NOTICE").read_text()
    assert "TradingView Lightweight Charts" in notice
    assert "Apache License" in (STATIC_DIR / "vendor" / "lightweight-charts.LICENSE").read_text()
    assert "MIT License" in (STATIC_DIR / "vendor" / "telegram-web-apps.LICENSE").read_text()


async def test_answers_are_kept_per_session_and_follow_a_new_one(
    client: TestClient, services: Services
) -> None:
    """The answer cache is keyed by the stored session: a new close is a new answer."""
    from bot.settings import BUNDLED_DATA_DIR
    from jobs.refresh import refresh_prices
    from market.csv_provider import CsvProvider

    first = await client.get(BASE + "api/board", headers=auth(init_data()))
    assert (await first.json())["asof"] == "2026-03-31"
    assert first.headers["Content-Encoding"] == "gzip"
    again = await client.get(BASE + "api/board", headers=auth(init_data()))
    assert await again.read() == await first.read()
    await refresh_prices(
        services.db,
        CsvProvider(BUNDLED_DATA_DIR, asof=dt.date(2026, 4, 1)),
        services.calendar,
        list(services.universe.all_symbols()),
        dt.date(2026, 4, 1),
        fetched_at=NOW,
    )
    later = await client.get(BASE + "api/board", headers=auth(init_data()))
    assert (await later.json())["asof"] == "2026-04-01"
    plain = await client.get(
        BASE + "api/board", headers={**auth(init_data()), "Accept-Encoding": "identity"}
    )
    assert "Content-Encoding" not in plain.headers
    assert (await plain.json())["asof"] == "2026-04-01"


async def test_quadrant_of_the_sectors_is_the_sectors_board(
    client: TestClient, services: Services
) -> None:
    from bot.handlers.sectors import sector_board

    response = await client.get(BASE + "api/quadrant?set=sectors", headers=auth(init_data()))
    assert response.status == 200
    body = await response.json()
    board = sector_board(await snapshot_for(services, None))
    assert body["asof"] == board.session.isoformat() == "2026-03-31"
    assert body["benchmark"] == board.benchmark
    trails = {t["key"]: t["current"]["strength"] for t in body["trails"]}
    expected = {
        r.symbol: r.trail.current.strength for r in board.rows if r.trail and r.trail.current
    }
    assert trails == expected
    assert "XLF" in trails


async def test_quadrant_of_the_watchlist_is_the_chats_own_watch_board(
    client: TestClient, services: Services
) -> None:
    from dataclasses import replace

    from bot.queries.readapi import watch_view
    from storage.chats import get_chat, update_settings, upsert_chat
    from storage.custom import add_watch

    upsert_chat(services.db, USER, "private", now=NOW)
    add_watch(services.db, USER, ["KRE", "XLK", "AAPL"], now=NOW)
    chat = get_chat(services.db, USER)
    assert chat is not None
    update_settings(services.db, replace(chat, watch_benchmark="IWM"), now=NOW)
    upsert_chat(services.db, GROUP, "supergroup", now=NOW)
    add_watch(services.db, GROUP, ["XLE"], now=NOW)

    response = await client.get(BASE + "api/quadrant?set=watch", headers=auth(init_data()))
    assert response.status == 200
    body = await response.json()
    view = await watch_view(services, USER, None)
    assert view.board is not None
    assert body["asof"] == view.session.isoformat() == "2026-03-31"
    assert (body["set"], body["benchmark"]) == ("watch", "IWM")
    expected = {
        r.symbol: (r.trail.current.strength, r.trail.current.momentum)
        for r in view.board.rows
        if r.trail and r.trail.current
    }
    got = {t["key"]: (t["current"]["strength"], t["current"]["momentum"]) for t in body["trails"]}
    assert got == expected
    assert set(got) == {"KRE", "XLK", "AAPL"}

    group = init_data(start_param=start_param(GROUP))  # a member reads the group's list
    theirs = await (await client.get(BASE + "api/quadrant?set=watch", headers=auth(group))).json()
    assert [t["key"] for t in theirs["trails"]] == ["XLE"]
    assert theirs["benchmark"] == "SPY"
    stranger = init_data(user_id=5, start_param=start_param(GROUP))
    refused = await client.get(BASE + "api/quadrant?set=watch", headers=auth(stranger))
    assert (refused.status, await refused.json()) == (
        403,
        {"error": "you are not a member of that chat"},
    )
    other = await client.get(BASE + "api/quadrant?set=watch", headers=auth(init_data(user_id=5)))
    assert (await other.json())["trails"] == []  # another user: their own (empty) list

    add_watch(services.db, USER, ["NVDA"], now=NOW)  # never an answer kept from before
    again = await (
        await client.get(BASE + "api/quadrant?set=watch", headers=auth(init_data()))
    ).json()
    assert "NVDA" in {t["key"] for t in again["trails"]}


async def test_the_pages_problems_read_as_the_chats(client: TestClient, services: Services) -> None:
    from bot.commands.problems import problem_text
    from bot.commands.registry import UserError
    from bot.handlers import answer

    for query, text in (("pair=IWM/IWM", "/pair IWM IWM"), ("pair=IWM/B%24D", "/pair IWM B$D")):
        response = await client.get(BASE + "api/pair?" + query, headers=auth(init_data()))
        assert response.status == 400
        with pytest.raises(UserError) as chat:
            await answer(services, text)
        first = problem_text(chat.value).splitlines()[0]
        assert first == "⚠️ " + (await response.json())["error"]


async def test_a_member_too_new_for_the_quadrant_is_left_off_the_map(
    client: TestClient, services: Services
) -> None:
    """A member with a few weeks of closes has no quadrant point yet: /quadrant and the map
    leave it out (the one rule, ``analytics.snapshot.quadrant_tails``), and no trail goes
    out without a current point."""
    services.db.conn.execute("DELETE FROM prices WHERE symbol = 'IWN' AND date < '2026-03-02'")
    snap = await snapshot_for(services, None)
    assert "IWN" not in snap.quadrants
    assert "IWO" in snap.quadrants
    response = await client.get(BASE + "api/quadrant?set=universe", headers=auth(init_data()))
    keys = [t["key"] for t in (await response.json())["trails"]]
    assert "IWN" not in keys
    assert "IWO" in keys
