"""Inline mode end to end: inline queries through the Bot API fake, answered from SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram.ext import Application

from bot.app.builder import build_application
from bot.app.inline import START_PARAMETER, parse_query
from bot.services import Services
from storage.dashboards import chart_file
from tests.bot.conftest import prices_fingerprint
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import builder_for, polling
from tests.fakes.objects import make_user

# 2026-03-31 at 18:00 New York: the next run is 2026-04-01 16:30 New York (close + 30 min).
NOW = dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)
UNTIL_NEXT_CLOSE = 22 * 3600 + 30 * 60
SESSION = dt.date(2026, 3, 31)


@pytest_asyncio.fixture
async def live(
    fake_botapi: FakeBotApi, services: Services
) -> AsyncIterator[tuple[Application, FakeBotApi]]:
    services.clock = lambda: NOW
    application = build_application(services, builder_for(fake_botapi))
    for job in application.job_queue.jobs():
        job.schedule_removal()  # no daily run: these tests only answer commands
    async with polling(application, poll_timeout=0.5):
        yield application, fake_botapi


async def _ask(fake: FakeBotApi, query: str) -> dict:
    user = make_user()
    query_id = await fake.send_inline_query(user, query)
    return await fake.wait_for(lambda: fake.inline_answers.get(query_id))


def _articles(answer: dict) -> list[dict]:
    return [r for r in answer["results"] if r["type"] == "article"]


def _photos(answer: dict) -> list[dict]:
    return [r for r in answer["results"] if r["type"] == "photo"]


async def test_empty_query_is_the_scoreboard_cached_until_the_next_close(live) -> None:
    _app, fake = live
    answer = await _ask(fake, "")
    [article] = _articles(answer)
    text = article["input_message_content"]["message_text"]
    assert "Rotation" in text
    assert "as of 2026-03-31 close" in text
    assert article["input_message_content"]["parse_mode"] == "HTML"
    assert "2026-03-31" in article["description"]
    assert _photos(answer) == []  # no chart was sent yet
    assert answer["cache_time"] == UNTIL_NEXT_CLOSE
    assert "button" not in answer


async def test_pair_answer_reuses_the_chart_sent_before(live, services: Services) -> None:
    _app, fake = live
    before = await _ask(fake, "IWM/SPY")
    assert _photos(before) == []
    [article] = _articles(before)
    assert "IWM / SPY" in article["input_message_content"]["message_text"]
    assert "as of 2026-03-31 close" in article["input_message_content"]["message_text"]

    user = make_user()
    await fake.send_command(None, user, "/pair IWM SPY")
    sent = await fake.wait_for_message(user.id)
    assert sent.method == "sendPhoto"
    await fake.wait_for(lambda: chart_file(services.db, "ratio:IWM/SPY", SESSION))
    file_id = sent.result["photo"][-1]["file_id"]
    after = await _ask(fake, "iwm vs spy")
    [photo] = _photos(after)
    assert photo["photo_file_id"] == file_id
    assert "as of 2026-03-31 close" in photo["caption"]
    assert len(_articles(after)) == 1


async def test_rotation_chart_serves_the_scoreboard_photo(live, services: Services) -> None:
    _app, fake = live
    user = make_user()
    await fake.send_command(None, user, "/rotation")
    await fake.wait_for(lambda: chart_file(services.db, "ratio:IWM/SPY", SESSION))
    photo_call = [c for c in fake.messages_to(user.id) if c.method == "sendPhoto"]
    answer = await _ask(fake, "")
    [photo] = _photos(answer)
    assert photo["photo_file_id"] == photo_call[0].result["photo"][-1]["file_id"]


@pytest.mark.parametrize(
    ("query", "expected"), [("IWM", "52-week range"), ("mag7", "Magnificent Seven")]
)
async def test_symbol_and_basket_cards(live, query: str, expected: str) -> None:
    _app, fake = live
    answer = await _ask(fake, query)
    [article] = _articles(answer)
    text = article["input_message_content"]["message_text"]
    assert expected in text
    assert "as of 2026-03-31 close" in text
    assert answer["cache_time"] == UNTIL_NEXT_CLOSE


@pytest.mark.parametrize(
    "query",
    ["<b>x</b>", "IWM SPY QQQ", "A" * 100, "ZZZZ", "IWM/IWM", "; DROP TABLE prices", "💥"],
)
async def test_garbage_gets_no_results_and_a_button_never_an_error(
    live, services: Services, query: str
) -> None:
    _app, fake = live
    before = prices_fingerprint(services)
    answer = await _ask(fake, query)
    assert answer["results"] == []
    assert answer["button"]["start_parameter"] == START_PARAMETER
    assert all(c.ok for c in fake.calls if c.method == "answerInlineQuery")
    assert prices_fingerprint(services) == before  # nothing fetched or written


def test_query_kinds(services: Services) -> None:
    assert parse_query(services, "  ").kind == "board"
    pair = parse_query(services, "IWM vs SPY")
    assert (pair.kind, pair.a, pair.b) == ("pair", "IWM", "SPY")
    symbol = parse_query(services, "^rut")
    assert (symbol.kind, symbol.a) == ("symbol", "^RUT")
    assert parse_query(services, "what is going on") is None


async def test_sectors_inline_answers_the_board(services: Services) -> None:
    from bot.app.inline import answer_query

    assert parse_query(services, "sectors") is not None
    answer = await answer_query(services, "Sectors", NOW)
    assert answer.results
    article = answer.results[0]
    assert "Sector rotation" in article.title
    text = article.input_message_content.message_text  # type: ignore[attr-defined]
    assert "XLK" in text
    assert "Technology" in text
    assert "as of 2026-03-31 close" in text
