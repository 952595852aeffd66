"""A fetch that failed because the source was down is not reported as an unknown symbol."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.queries.fetcher import Fetcher, FetchFailure, fetch_now
from bot.queries.readapi import not_found_text
from bot.services import Services
from tests.fake_prices import FakeProvider


def test_only_real_misses_are_remembered() -> None:
    fetcher = Fetcher(clock=lambda: 100.0)
    fetcher.note_missing(
        {
            "ZZZZ": FetchFailure("no file ZZZZ.csv in /data"),
            "IWM": FetchFailure("rate limited by Yahoo", unreachable=True),
        }
    )
    assert fetcher.recently_missing("ZZZZ")
    assert not fetcher.recently_missing("IWM")


def test_an_outage_says_try_later_and_a_miss_names_close_matches(services: Services) -> None:
    outage = not_found_text(services, "IWX", FetchFailure("rate limited", unreachable=True))
    assert "try later" in outage
    assert "not found" not in outage
    miss = not_found_text(services, "IWX", FetchFailure("no data at the source"))
    assert "IWX was not found at the price source" in miss
    assert "IWM" in miss


async def test_fetch_now_carries_the_providers_unreachable_flag(
    services: Services, sample_dir
) -> None:
    provider = FakeProvider(sample_dir, asof=dt.date(2026, 3, 31), rate_limited=True)
    services = dataclasses.replace(services, prices=lambda asof: provider)
    failures = await fetch_now(services, ["ZZZZ"], asof=dt.date(2026, 3, 31))
    assert failures["ZZZZ"].unreachable
