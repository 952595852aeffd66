"""Load: 100 simulated users send commands concurrently to the real Application (polling the
Bot API fake, AIORateLimiter on) for a while; every command is answered, nothing fails, and
the reply latency (p50, p95) is printed. Timing is reported, never asserted."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest

from bot.commands.flood import FloodGuard
from bot.render.common import internal_error_html
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import make_user
from tests.reliability.conftest import OPERATOR

# A reply the fake Bot API cut off while a chart upload was in flight (a TimedOut under heavy
# load) leaves aiohttp's spooled upload file to the garbage collector: the fake's, not the bot's.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning"
)

USERS = 100
TEXTS = ("/help", "/ticker IWM", "/history IWM/SPY", "/subscriptions", "/settings",
         "/pair IWM QQQ", "/rotation", "/alerts", "/why", "/start")  # fmt: skip


async def _user(fake: FakeBotApi, index: int, until: float, latencies: list[float]) -> int:
    user = make_user()
    sent = 0
    while time.monotonic() < until:
        text = TEXTS[(index + sent) % len(TEXTS)]
        before = len(fake.messages_to(user.id))
        start = time.monotonic()
        await fake.send_command(None, user, text)
        reply = await fake.wait_for_message(user.id, count=before + 1, timeout=120)
        latencies.append(reply.at - start)
        sent += 1
        # a chart command may be followed by its text part: let it land before the next one
        await asyncio.sleep(0.05)
    return sent


async def _load(app, fake: FakeBotApi, seconds: float, report_figures, label: str = "load") -> None:
    # Measured here: throughput, not the per-user rate limit (its own test: test_fair_use).
    app.bot_data.services.rate = FloodGuard(1_000_000, 60.0)
    latencies: list[float] = []
    until = time.monotonic() + seconds
    counts = await asyncio.gather(*(_user(fake, i, until, latencies) for i in range(USERS)))
    await asyncio.sleep(0.5)
    failed = [(c.method, c.description) for c in fake.calls if not c.ok]
    crashed = [c for c in fake.calls if (c.text or "") == internal_error_html()]
    p95 = statistics.quantiles(latencies, n=20)[18] * 1000
    p50, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
    errors = len(failed) + len(crashed)
    report_figures(
        f"{label}: {USERS} users, {seconds:.0f} s, {sum(counts)} commands, "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms, errors {errors}"
    )
    assert failed == []
    assert crashed == []
    assert fake.messages_to(OPERATOR) == []
    assert all(n > 0 for n in counts)


@pytest.mark.timeout(300)
async def test_hundred_users_short(app, fake, report_figures):
    await _load(app, fake, 8.0, report_figures)


@pytest.fixture
def no_overall_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lift the bot's overall 28 msg/s send limit (Telegram's ~30) before the app is built."""
    monkeypatch.setattr("bot.delivery.limits.OVERALL_RATE", 1_000_000)


@pytest.mark.timeout(300)
async def test_hundred_users_without_the_telegram_cap(no_overall_cap, app, fake, report_figures):
    """The same load with the 28 msg/s cap lifted: what the bot itself adds per reply. With
    the cap, 100 users who never pause ask for more than Telegram lets a bot send, so replies
    queue in the rate limiter (the figure above)."""
    await _load(app, fake, 8.0, report_figures, label="load without the 28 msg/s cap")


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_hundred_users_soak(app, fake, report_figures):
    await _load(app, fake, 60.0, report_figures)
