"""Fair use through the real Application polling the Bot API fake: a per-user rate limit on
commands and button presses, per-user shares of the fetch slots, failures remembered per
symbol, the csv source parsed once (in worker threads), a cap on alert rules per chat, and
operator reports deduplicated and rate limited."""

from __future__ import annotations

import asyncio
import threading

from bot.delivery.reports import OperatorReports
from bot.handlers.subscriptions import MAX_RULES_PER_CHAT
from bot.queries.fetcher import MAX_PENDING_PER_USER
from bot.services import USER_RATE
from market import csv_provider
from market.provider import FetchResult
from storage.rules import chat_rules
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import make_user
from tests.reliability.conftest import OPERATOR, dump


def _texts(fake: FakeBotApi, chat_id: int) -> list[str]:
    return [c.rendered or c.text or "" for c in fake.messages_to(chat_id)]


async def test_one_user_past_the_rate_limit_is_dropped_others_are_served(app, fake):
    flooder, other, operator = make_user(), make_user(), make_user(user_id=OPERATOR)
    extra = 15
    for _ in range(USER_RATE + extra):
        await fake.send_command(None, flooder, "/help")
    await fake.send_command(None, other, "/help")
    await fake.wait_for_message(other.id, timeout=60)  # not held up by the flood
    await fake.wait_for(lambda: len(fake.messages_to(flooder.id)) >= USER_RATE + 1, timeout=60)
    await asyncio.sleep(1.0)
    texts = _texts(fake, flooder.id)
    assert len(texts) == USER_RATE + 1  # every allowed command, and one "slow down"
    assert sum("Too many requests" in t for t in texts) == 1
    for _ in range(USER_RATE + extra):  # operators are not limited
        await fake.send_command(None, operator, "/help")
    await fake.wait_for(lambda: len(fake.messages_to(OPERATOR)) >= USER_RATE + extra, 60)


async def test_button_presses_count_too(app, fake):
    user = make_user()
    await fake.send_command(None, user, "/start")
    start = await fake.wait_for_message(user.id, timeout=30)
    for _ in range(USER_RATE + 10):
        await fake.press_button(start, "help", user)
    answered = lambda: [c for c in fake.calls if c.method == "answerCallbackQuery"]  # noqa: E731
    await fake.wait_for(lambda: len(answered()) >= USER_RATE, timeout=60)
    await asyncio.sleep(1.0)
    notices = [c for c in answered() if "Too many requests" in str(c.params.get("text"))]
    assert len(notices) == 1
    assert len(answered()) == USER_RATE  # 29 presses answered, one notice, the rest dropped


class SlowSource:
    """A price source that holds every fetch until released, counting what it was asked."""

    name = "slow"

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.asked: list[str] = []

    async def fetch(self, symbols, start, end, *, expected_last=None) -> FetchResult:
        self.asked.extend(symbols)
        await self.release.wait()
        return FetchResult(bars={}, failures={s: "no such symbol" for s in symbols}, source="slow")


async def test_fetch_slots_are_shared_per_user_and_misses_are_remembered(app, services, fake):
    source = SlowSource()
    services.prices = lambda asof: source
    greedy, other = make_user(), make_user()
    names = [f"ZQ{chr(65 + i)}" for i in range(MAX_PENDING_PER_USER + 2)]
    for name in names:
        await fake.send_command(None, greedy, f"/ticker {name}")
    await fake.wait_for(lambda: len(fake.messages_to(greedy.id)) >= len(names), timeout=60)
    texts = _texts(fake, greedy.id)
    assert sum("Fetching" in t or "fetching" in t for t in texts) == MAX_PENDING_PER_USER
    assert sum("already have" in t for t in texts) == 2
    await fake.send_command(None, other, "/ticker ZQZ")  # another user still gets a slot
    assert "etching" in (await fake.wait_for_message(other.id, timeout=30)).rendered
    source.release.set()
    await fake.wait_for(lambda: len(fake.messages_to(other.id)) >= 2, timeout=60)
    asked = len(source.asked)
    await fake.send_command(None, other, "/ticker ZQZ")  # remembered: no second fetch
    reply = await fake.wait_for_message(other.id, count=3, timeout=30)
    assert "not found" in (reply.rendered or "")
    assert len(source.asked) == asked


async def test_csv_source_is_parsed_once_and_off_the_event_loop(app, services, fake, monkeypatch):
    parsed: list[str] = []
    real = csv_provider.parse_price_csv

    def counting(path):
        parsed.append(threading.current_thread().name)
        return real(path)

    monkeypatch.setattr(csv_provider, "parse_price_csv", counting)
    services.csv_frames.clear()
    user = make_user()
    await fake.send_command(None, user, "/history ZZQA/SPY")
    await fake.wait_for(lambda: len(fake.messages_to(user.id)) >= 2, timeout=60)
    first = len(parsed)
    assert first > 0
    await fake.send_command(None, user, "/history ZZQB/SPY")
    await fake.wait_for(lambda: len(fake.messages_to(user.id)) >= 4, timeout=60)
    assert len(parsed) == first  # nothing parsed again for the second unknown symbol
    assert threading.main_thread().name not in parsed


async def test_alert_rules_per_chat_are_capped(app, services, fake):
    user = make_user()
    for n in range(1, MAX_RULES_PER_CHAT + 1):
        await fake.send_command(None, user, f"/alert IWM/SPY spread_1m > {n}")
    await fake.wait_for(lambda: len(fake.messages_to(user.id)) >= MAX_RULES_PER_CHAT, 60)
    before = dump(services.db)
    await fake.send_command(None, user, "/alert IWM/SPY spread_1m > 99")
    reply = await fake.wait_for_message(user.id, count=MAX_RULES_PER_CHAT + 1, timeout=30)
    assert "the most allowed" in (reply.rendered or "")
    assert dump(services.db) == before
    assert len(chat_rules(services.db, user.id)) == MAX_RULES_PER_CHAT


async def test_operator_reports_are_deduplicated_with_a_count(app, services, fake, monkeypatch):
    from bot.app import builder as bot_app

    clock = [0.0]
    services.reports = OperatorReports(clock=lambda: clock[0])
    real_run = bot_app.run_command

    async def broken(command, request):
        if command.name == "quadrant":
            raise RuntimeError("a bug in /quadrant")
        return await real_run(command, request)

    monkeypatch.setattr(bot_app, "run_command", broken)
    users = [make_user() for _ in range(12)]
    for user in users:
        await fake.send_command(None, user, "/quadrant")
    for user in users:
        await fake.wait_for_message(user.id, timeout=60)  # everyone is told it was logged
    await asyncio.sleep(0.5)
    assert len(fake.messages_to(OPERATOR)) == 1  # one report, not twelve
    clock[0] += 601  # the window has passed: the next one carries the count
    await fake.send_command(None, make_user(), "/quadrant")
    report = await fake.wait_for_message(OPERATOR, count=2, timeout=60)
    assert "11 more like this" in (report.rendered or report.text or "")


async def test_a_chats_threshold_alerts_of_a_session_arrive_as_one_message(app, services, fake):
    """20 rules that all fire at the same close: one message for them, not twenty."""
    from bot.app.daily import run_pipeline
    from storage.outbox import rows_for
    from tests.fake_prices import FakeProvider
    from tests.reliability.conftest import FLIP_DAY, NOW

    user = make_user()
    for n in range(MAX_RULES_PER_CHAT):
        await fake.send_command(None, user, f"/alert IWM/SPY spread_1m > {-900 - n}")
    await fake.wait_for(lambda: len(fake.messages_to(user.id)) >= MAX_RULES_PER_CHAT, 60)
    assert len(chat_rules(services.db, user.id)) == MAX_RULES_PER_CHAT
    provider = FakeProvider(services.settings.market_data_dir, asof=FLIP_DAY)
    await run_pipeline(app.bot, services, FLIP_DAY, provider=provider, now=NOW, wait=5)
    rows = rows_for(services.db, chat_id=user.id)
    calm = [r for r in rows if not r.urgent]
    assert len(calm) == 1, [r.kind for r in rows]  # every threshold alert folded into one
    assert len(calm[0].payload["alerts"]) == MAX_RULES_PER_CHAT
    assert all(r.status == "sent" for r in rows)
    assert len(fake.messages_to(user.id)) == MAX_RULES_PER_CHAT + len(rows)
