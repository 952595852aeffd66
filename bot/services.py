"""The composition root's services: settings, database, calendar, universe, price provider."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from analytics.types import Universe
from bot.settings import Settings
from market.calendar import NyseCalendar, nyse
from market.csv_provider import CsvProvider
from market.provider import PriceProvider
from market.universe import load_universe
from storage.db import open_db


@dataclass
class Services:
    """Shared services built once at the entry point and handed to handlers and jobs."""

    settings: Settings
    db: sqlite_utils.Database
    calendar: NyseCalendar
    universe: Universe
    # Runtime caches and helpers keyed by owner (bot.context.runtime): snapshots, charts,
    # flood limiter, background fetcher. Not configuration; never compared or printed.
    extras: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def provider(self, asof: dt.date | None = None) -> PriceProvider:
        """The configured price source; ``asof`` hides csv rows after it (replays)."""
        if self.settings.market_data_source == "csv":
            return CsvProvider(self.settings.market_data_dir, asof=asof)
        from market.yahoo import RetryPolicy, YahooProvider  # lazily: yfinance is slow to import

        return YahooProvider(
            cache_dir=self.settings.yahoo_cache_dir,
            retry=RetryPolicy(attempts=self.settings.yahoo_attempts),
        )

    def expected_session(self, now: dt.datetime, asof: dt.date | None = None) -> dt.date:
        """The session a refresh should reach.

        With ``asof``: the last session on or before it. With the csv source: the newest
        session in the folder (a frozen market), never later than the real clock allows.
        Otherwise: the latest completed NYSE session at ``now``.
        """
        if asof is not None:
            return self.calendar.latest_session_on_or_before(asof)
        latest = self.calendar.latest_completed_session(now)
        if self.settings.market_data_source == "csv":
            provider = CsvProvider(self.settings.market_data_dir)
            on_file = provider.latest_date(self.universe.all_symbols())
            if on_file is not None and on_file < latest:
                return self.calendar.latest_session_on_or_before(on_file)
        return latest


def build_services(settings: Settings) -> Services:
    """Open the database (migrating it) and load the universe and the calendar."""
    return Services(
        settings=settings,
        db=open_db(settings.database_path),
        calendar=nyse(),
        universe=load_universe(settings.universe_file),
    )
