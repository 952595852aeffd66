"""Yahoo faults through the scheduled daily job: unmodified yfinance fed generated chart JSON.

Each fault must end as a failed fetch naming the symbols, with the stored prices of those
symbols untouched, one operator message for the session (not one per attempt), and a retry
scheduled on the JobQueue. When every symbol fails, nothing is computed (rule state and outbox
untouched). When some fail, only the pairs with a failing leg wait: they get no alert (never
one on stale data), the others are computed and sent as usual.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from telegram.ext import Application

from bot.scheduler import JOB_DAILY, DailyJobData, job_daily
from bot.services import Services
from market.yahoo import RetryPolicy, YahooProvider
from storage.jobruns import recent_runs
from storage.outbox import counts, rows_for
from tests.fakes.botapi import FakeBotApi
from tests.fakes.yahoo_chart import FakeYahoo, load_bundled_bars, patch_curl_cffi
from tests.reliability.conftest import (
    FLIP_DAY,
    OPERATOR,
    PRIOR_DAY,
    add_subscriber,
    running_app,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:yfinance.*")

SUBSCRIBERS = (7001, 7002)


def _served(universe_symbols: tuple[str, ...]) -> FakeYahoo:
    return FakeYahoo().serve(universe_symbols)


def empty_frames(fy: FakeYahoo, symbols: tuple[str, ...]) -> tuple[str, ...]:
    for s in symbols:
        fy.bars[s] = fy.bars[s].iloc[:0]
    return symbols


def some_missing(fy: FakeYahoo, symbols: tuple[str, ...]) -> tuple[str, ...]:
    fy.not_found |= {"IWM", "KRE"}
    return ("IWM", "KRE")


def nan_tail(fy: FakeYahoo, symbols: tuple[str, ...]) -> tuple[str, ...]:
    bars = fy.bars["SPY"].loc[: pd.Timestamp(FLIP_DAY)].copy()
    bars.loc[pd.Timestamp(FLIP_DAY), ["open", "high", "low", "close", "volume"]] = np.nan
    fy.bars["SPY"] = bars
    return ("SPY",)


def stale_last_session(fy: FakeYahoo, symbols: tuple[str, ...]) -> tuple[str, ...]:
    fy.bars["^RUT"] = fy.bars["^RUT"].loc[: pd.Timestamp(PRIOR_DAY)]
    fy.bars["QQQ"] = fy.bars["QQQ"].loc[: pd.Timestamp(PRIOR_DAY)]
    return ("^RUT", "QQQ")


def rate_limited(fy: FakeYahoo, symbols: tuple[str, ...]) -> tuple[str, ...]:
    fy.rate_limited = True
    return symbols


def unreachable(fy: FakeYahoo, symbols: tuple[str, ...]) -> tuple[str, ...]:
    fy.unreachable = True
    return symbols


FAULTS: dict[str, Callable[[FakeYahoo, tuple[str, ...]], tuple[str, ...]]] = {
    "empty frame": empty_frames,
    "some symbols missing": some_missing,
    "NaN tail": nan_tail,
    "stale last session": stale_last_session,
    "rate limited": rate_limited,
    "unreachable": unreachable,
}


def _stored(services: Services, symbols: tuple[str, ...]) -> list[tuple]:
    marks = ",".join("?" * len(symbols))
    return services.db.execute(
        f"SELECT symbol, date, close, fetched_at FROM prices WHERE symbol IN ({marks}) "
        "ORDER BY symbol, date",
        list(symbols),
    ).fetchall()


async def _run_job(app: Application, services: Services, fake: FakeBotApi, attempt: int) -> None:
    stale_runs = (
        "SELECT COUNT(*) FROM job_runs WHERE job = 'daily' AND status IN ('stale', 'partial')"
    )
    before = services.db.execute(stale_runs).fetchone()[0]
    app.job_queue.run_once(job_daily, when=0, data=DailyJobData(FLIP_DAY, attempt))
    await fake.wait_for(lambda: services.db.execute(stale_runs).fetchone()[0] > before, timeout=60)
    # then the operator notice (first attempt only), then the retry is scheduled
    await fake.wait_for(lambda: any(d.attempt > attempt for d in _retries(app)), timeout=10)


def _retries(app: Application) -> list[DailyJobData]:
    return [
        j.data
        for j in app.job_queue.jobs()
        if j.name == JOB_DAILY and isinstance(j.data, DailyJobData) and j.data.attempt > 1
    ]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_yahoo_fault_fails_the_run_safely(
    fault, services, fake, monkeypatch, tmp_path
) -> None:
    symbols = services.universe.all_symbols()
    fy = patch_curl_cffi(monkeypatch, _served(symbols))
    failing = FAULTS[fault](fy, symbols)
    for chat in SUBSCRIBERS:
        add_subscriber(services.db, chat, digest=True)
    prior = _stored(services, failing)
    state = services.db.execute("SELECT * FROM alert_state ORDER BY slot").fetchall()
    yahoo = _yahoo_services(services, RetryPolicy(attempts=2, base_delay=0.0), tmp_path)
    async with running_app(yahoo, fake) as app:
        await _fails_safely(app, services, fake, fy, failing, prior, state)


def _yahoo_services(services: Services, retry: RetryPolicy, tmp_path) -> Services:
    """The suite's services with real yfinance as the source, the clock half an hour after
    the flip day's close, and retries an hour apart (scheduled, not run, in these tests)."""
    close = services.calendar.close_time(FLIP_DAY)
    return dataclasses.replace(
        services,
        prices=lambda asof: YahooProvider(tmp_path / "yf-cache", retry=retry, threads=False),
        clock=lambda: close + dt.timedelta(minutes=30),
        stale_retry_base=dt.timedelta(hours=1),
    )


async def _fails_safely(app, services, fake, fy, failing, prior, state) -> None:
    await _run_job(app, services, fake, attempt=1)

    run = recent_runs(services.db, 1, "daily")[0]
    status, session, detail = run.status, run.session, run.detail or ""
    whole = set(failing) == set(services.universe.all_symbols())
    assert (status, session) == ("stale" if whole else "partial", FLIP_DAY.isoformat())
    for symbol in failing:
        assert symbol in detail
    assert _stored(services, failing) == prior
    if whole:
        assert services.db.execute("SELECT * FROM alert_state ORDER BY slot").fetchall() == state
        assert services.db.execute("SELECT COUNT(*) FROM sessions_done").fetchone()[0] == 0
        assert counts(services.db) == {}
        for chat in SUBSCRIBERS:
            assert fake.messages_to(chat) == []
    else:
        _only_fresh_pairs_alerted(services, failing)
    told = fake.messages_to(OPERATOR)
    assert len(told) == 1
    assert all(symbol in told[0].text for symbol in failing)
    assert [d.attempt for d in _retries(app)] == [2]
    assert fy.requests  # real yfinance asked the (fake) Yahoo
    assert fy.unexpected == []

    # The retry runs (still failing): operators are not told again, the next one is scheduled.
    for job in app.job_queue.jobs():
        job.schedule_removal()
    await _run_job(app, services, fake, attempt=2)
    assert len(fake.messages_to(OPERATOR)) == 1
    assert [d.attempt for d in _retries(app)] == [3]
    assert _stored(services, failing) == prior


def _only_fresh_pairs_alerted(services: Services, failing: tuple[str, ...]) -> None:
    """No queued alert names a pair with a failing leg; digests show those as stale rows."""
    rows = rows_for(services.db, session=FLIP_DAY)
    assert rows
    for row in rows:
        if row.kind == "digest":
            for entry in row.payload["rows"]:
                assert not set(str(entry["pair"]).split("/")) & set(failing), entry
            for pair in row.payload.get("no_close") or {}:
                assert set(pair.split("/")) & set(failing), pair
        elif row.payload.get("pair"):
            assert not set(str(row.payload["pair"]).split("/")) & set(failing), row


async def test_exception_inside_yfinance_is_a_failed_fetch(
    services, fake, monkeypatch, tmp_path
) -> None:
    """yfinance itself raising (a parser bug, a new Yahoo shape) fails every symbol."""
    import yfinance.multi

    symbols = services.universe.all_symbols()
    patch_curl_cffi(monkeypatch, _served(symbols))

    def broken(*args, **kwargs):
        raise KeyError("chart")  # what a renamed field in Yahoo's JSON looks like

    monkeypatch.setattr(yfinance.multi, "_download_one", broken)
    add_subscriber(services.db, 7101)
    prior = _stored(services, symbols)
    yahoo = _yahoo_services(services, RetryPolicy(attempts=1), tmp_path)
    async with running_app(yahoo, fake) as app:
        await _run_job(app, services, fake, attempt=1)
        retries = [d.attempt for d in _retries(app)]
    run = recent_runs(services.db, 1, "daily")[0]
    status, detail = run.status, run.detail or ""
    assert status == "stale"
    assert all(s in detail for s in symbols)
    assert _stored(services, symbols) == prior
    assert counts(services.db) == {}
    assert fake.messages_to(7101) == []
    assert len(fake.messages_to(OPERATOR)) == 1
    assert retries == [2]


def test_bundled_bars_cover_the_flip_day() -> None:
    """The faults above are injected into real data that does have the session."""
    assert pd.Timestamp(FLIP_DAY) in load_bundled_bars("SPY").index
