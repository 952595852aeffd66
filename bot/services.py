"""The shared services, typed: settings, database, calendar, universe, price source, caches.

``build_services`` is the one place they are made (the CLI, the bot and the tests all call it,
or the ``Services`` constructor with fakes in place of the network edges).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from analytics.types import Universe
from bot.commands.access import AdminCache
from bot.commands.flood import FloodGuard
from bot.delivery.members import member_status
from bot.delivery.reports import OperatorReports
from bot.delivery.throttle import Throttle
from bot.queries.cache import LruCache
from bot.queries.fetcher import Fetcher
from bot.settings import Settings
from market.calendar import NyseCalendar, nyse
from market.csv_provider import CsvCache, CsvProvider
from market.provider import PriceProvider
from market.universe import load_universe
from storage.db import Database, FileIdentity, file_identity, open_db

#: Commands and button presses one user may send in any USER_WINDOW seconds.
USER_RATE = 30
USER_WINDOW = 60.0
#: A price source for ``asof`` (None: the latest); ``asof`` hides csv rows after it.
ProviderFactory = Callable[[dt.date | None], PriceProvider]
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The wall clock, timezone-aware."""
    return dt.datetime.now(dt.UTC)


@dataclass(eq=False)
class Services:
    """Shared services built once at the entry point and handed to handlers and jobs.

    ``prices`` replaces the configured price source (tests, demos), ``clock`` the wall clock
    of the daily job, ``stale_retry_base`` the first retry delay after stale data. The caches,
    flood guard, fetcher and admin lookups live as long as the process.
    """

    settings: Settings
    db: Database
    calendar: NyseCalendar
    universe: Universe
    prices: ProviderFactory | None = None
    clock: Clock = utc_now
    stale_retry_base: dt.timedelta | None = None
    snapshots: LruCache = field(default_factory=LruCache, repr=False)
    charts: LruCache = field(default_factory=LruCache, repr=False)
    flood: FloodGuard = field(default_factory=FloodGuard, repr=False)
    fetcher: Fetcher = field(default_factory=Fetcher, repr=False)
    admins: AdminCache = field(default_factory=lambda: AdminCache(lookup=member_status), repr=False)
    #: Commands and button presses per user (bot.app.builder.rate_gate), every user but operators.
    rate: FloodGuard = field(default_factory=lambda: FloodGuard(USER_RATE, USER_WINDOW))
    #: "Slow down" is said once per window per user; then the extra updates are dropped.
    rate_notices: Throttle = field(default_factory=lambda: Throttle(USER_WINDOW), repr=False)
    reports: OperatorReports = field(default_factory=OperatorReports, repr=False)
    #: Parsed csv files shared by every CsvProvider of these services (by path and mtime).
    csv_frames: CsvCache = field(default_factory=dict, repr=False)
    #: The database file as opened (device, inode): replaced or removed means stop.
    db_identity: FileIdentity | None = field(default=None, repr=False)
    #: Why the bot stopped itself (the database became unusable); None while all is well.
    fatal: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.db_identity is None:
            self.db_identity = file_identity(self.db)

    def provider(self, asof: dt.date | None = None) -> PriceProvider:
        """The price source (``prices`` when given, else the configured one)."""
        if self.prices is not None:
            return self.prices(asof)
        if self.settings.market_data_source == "csv":
            return CsvProvider(self.settings.market_data_dir, asof=asof, cache=self.csv_frames)
        providers = [self._source(name) for name in self.settings.sources]
        if len(providers) == 1:
            return providers[0]
        from market.chain import SourceChain

        return SourceChain(providers)

    def _source(self, name: str) -> PriceProvider:
        """One named network source, configured from the settings."""
        settings = self.settings
        if name == "tiingo":
            from market.tiingo import TiingoProvider

            return TiingoProvider(settings.tiingo_api_key, api_url=settings.tiingo_api_url)
        if name == "fred":
            from market.fred import FredProvider

            return FredProvider(api_url=settings.fred_api_url)
        from market.yahoo import RetryPolicy, YahooProvider  # lazily: yfinance is slow to import

        return YahooProvider(
            cache_dir=settings.yahoo_cache_dir, retry=RetryPolicy(attempts=settings.yahoo_attempts)
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
            provider = CsvProvider(self.settings.market_data_dir, cache=self.csv_frames)
            on_file = provider.latest_date(self.universe.all_symbols())
            if on_file is not None and on_file < latest:
                return self.calendar.latest_session_on_or_before(on_file)
        return latest


def build_services(
    settings: Settings,
    *,
    prices: ProviderFactory | None = None,
    clock: Clock = utc_now,
    stale_retry_base: dt.timedelta | None = None,
) -> Services:
    """Load the universe (a bad file is refused before anything is created), then open the
    database (migrating it) and the calendar."""
    universe = load_universe(settings.universe_file)
    return Services(
        settings=settings,
        db=open_db(settings.database_path),
        calendar=nyse(),
        universe=universe,
        prices=prices,
        clock=clock,
        stale_retry_base=stale_retry_base,
    )
