"""A quiet operator, through `rotation-bot daily`'s own path and the Bot API fake: a symbol
that stays stale (MDY, used by no pair) is told when it goes stale, then at most weekly, and
once when back; a session whose pairs waited still gets its late-data report; a second source
that disagrees is told once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import telegram

from bot.app.daily import run_daily_cli
from bot.services import Services
from bot.settings import BUNDLED_DATA_DIR
from market.calendar import nyse
from tests.fake_prices import FakeProvider
from tests.fakes.botapi import FakeBotApi
from tests.reliability.conftest import OPERATOR, PRIOR_DAY

STOPPED = PRIOR_DAY  # MDY's source stops after the prior day


def at_close(services: Services, day: dt.date) -> Services:
    close = nyse().close_time(day) + dt.timedelta(minutes=30)
    return dataclasses.replace(services, clock=lambda: close)


def about(fake: FakeBotApi, word: str) -> list[str]:
    return [m.text for m in fake.messages_to(OPERATOR) if word in m.text]


async def test_a_symbol_stale_for_weeks_is_told_at_most_weekly_then_once_back(
    services: Services, fake: FakeBotApi, tmp_path: Path
) -> None:
    provider = FakeProvider(BUNDLED_DATA_DIR, stopped={"MDY": STOPPED})
    runs = dataclasses.replace(services, prices=lambda asof: provider)
    bot = telegram.Bot(fake.token, base_url=fake.base_url)
    days = nyse().sessions(nyse().shift(PRIOR_DAY, 1), nyse().shift(PRIOR_DAY, 12))
    for day in days:
        provider.asof = day
        outcome = await run_daily_cli(at_close(runs, day), bot, asof=day)
        assert outcome.result.stale == ("MDY",)
    told = about(fake, "MDY")
    assert len(told) == 2  # gone stale, then one reminder more than a week later
    assert "MDY: stale, last close 2025-10-30" in told[0]
    assert "MDY: still stale since 2025-10-31" in told[1]

    provider.stopped.clear()
    back = nyse().shift(days[-1], 1)
    provider.asof = back
    await run_daily_cli(at_close(runs, back), bot, asof=back)
    told = about(fake, "MDY")
    assert len(told) == 3
    assert "MDY: back (stale since 2025-10-31)" in told[2]


async def test_a_session_whose_pairs_waited_gets_its_late_data_report(
    services: Services, fake: FakeBotApi
) -> None:
    provider = FakeProvider(BUNDLED_DATA_DIR, stopped={"KRE": STOPPED})
    runs = dataclasses.replace(services, prices=lambda asof: provider)
    bot = telegram.Bot(fake.token, base_url=fake.base_url)
    for day in nyse().sessions(nyse().shift(PRIOR_DAY, 1), nyse().shift(PRIOR_DAY, 3)):
        provider.asof = day
        await run_daily_cli(at_close(runs, day), bot, asof=day)
    late = [t for t in about(fake, "KRE/SPY") if "late data" in t]
    assert len(late) == 3  # one a session: its pairs waited


async def test_a_disagreement_between_sources_is_told_once(
    services: Services, fake: FakeBotApi
) -> None:
    first = nyse().shift(PRIOR_DAY, 1)
    provider = FakeProvider(BUNDLED_DATA_DIR, name="tiingo", scale={"IWM": 1.01}, asof=first)
    runs = dataclasses.replace(services, prices=lambda asof: provider)
    bot = telegram.Bot(fake.token, base_url=fake.base_url)
    await run_daily_cli(at_close(runs, first), bot, asof=first)
    second = nyse().shift(first, 1)
    provider.asof = second
    await run_daily_cli(at_close(runs, second), bot, asof=second)

    told = about(fake, "Sources disagree")
    assert len(told) == 1
    assert "IWM 2025-10-30: stored" in told[0]
    assert "(csv), tiingo" in told[0]
