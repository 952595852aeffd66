"""The bot token never leaks: not in any log record at DEBUG (httpx, httpcore, PTB, APScheduler,
ours), not in an error report to operators, not in anything a user sees."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest

from bot.app import builder as bot_app
from bot.logs import REDACTED, setup_logging
from tests.fakes.objects import make_user
from tests.reliability.conftest import FLIP_DAY, NOW, OPERATOR, TOKEN, add_subscriber

LOUD = ("httpx", "httpcore", "telegram", "telegram.ext", "apscheduler", "yfinance", "bot", "jobs")
SECRET = TOKEN.split(":", 1)[1]


@pytest.fixture
def all_logs() -> Iterator[io.StringIO]:
    """Every record at DEBUG from every library, through the bot's own logging set-up."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    levels = {name: logging.getLogger(name).level for name in LOUD}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    setup_logging("DEBUG")
    for name in LOUD:  # undo the quieting: the filter alone must keep the token out
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for extra in [h for h in root.handlers if h not in saved[1]]:
            root.removeHandler(extra)
        for h in saved[1]:
            h.filters = [f for f in h.filters if type(f).__name__ != "RedactTokenFilter"]
        root.setLevel(saved[0])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_token_is_in_no_log_report_or_reply(all_logs, app, services, fake, monkeypatch):
    from bot.app.daily import run_pipeline
    from tests.fake_prices import FakeProvider

    user = make_user()
    add_subscriber(services.db, user.id, digest=True)
    for text in ("/start", "/help", "/rotation", "/ticker IWM", "/status", "/settings"):
        await fake.send_command(None, user, text)
    await fake.wait_for(lambda: len(fake.messages_to(user.id)) >= 6, timeout=30)

    real_run = bot_app.run_command

    async def leaky(command, request):  # an exception carrying the token, as httpx URLs do
        if command.name == "quadrant":
            raise RuntimeError(f"request to {request.bot.base_url}/sendMessage failed")
        return await real_run(command, request)

    monkeypatch.setattr(bot_app, "run_command", leaky)
    await fake.send_command(None, user, "/quadrant")
    await fake.wait_for(lambda: fake.messages_to(OPERATOR), timeout=30)
    await fake.wait_for(lambda: len(fake.messages_to(user.id)) >= 7, timeout=30)

    provider = FakeProvider(services.settings.market_data_dir, asof=FLIP_DAY, stale={"IWM"})
    await run_pipeline(app.bot, services, FLIP_DAY, provider=provider, now=NOW)
    provider = FakeProvider(services.settings.market_data_dir, asof=FLIP_DAY)
    await run_pipeline(app.bot, services, FLIP_DAY, provider=provider, now=NOW)
    fake.outage(True, "drop")  # polling fails: PTB and httpx log the failed requests
    await asyncio.sleep(1.5)
    fake.outage(False)

    logs = all_logs.getvalue()
    assert "HTTP Request" in logs or "httpx" in logs  # httpx really logged at DEBUG/INFO
    assert REDACTED in logs  # ... and the URLs were redacted, not dropped
    assert SECRET not in logs
    user_texts = " ".join(c.text or c.caption or "" for c in fake.messages_to(user.id))
    assert "went wrong" in user_texts
    report = fake.messages_to(OPERATOR)[0].text or ""
    assert "RuntimeError" in report
    assert SECRET not in report
    for call in fake.calls:
        assert SECRET not in repr(call.params), call.method
