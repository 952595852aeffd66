"""Yahoo faults through the scheduled daily job: unmodified yfinance fed generated chart JSON.

Each failing fault must end as a failed fetch naming the symbols, with the stored prices of
those symbols untouched, one operator message for the session (not one per attempt), and a
retry scheduled on the JobQueue. When every symbol fails, nothing is computed (rule state and
outbox untouched). When some fail, only the pairs with a failing leg wait: they get no alert
(never one on stale data), the others are computed and sent as usual.

A symbol Yahoo answers for with an older last close (halted, late, or a NaN close on the
session) is not a failure: its valid rows are stored, it is reported stale with its last
close, and pairs using it wait exactly like pairs with a failing leg.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from telegram.ext import Application

from bot.app.daily import JOB_DAILY, DailyJobData, job_daily
from bot.services import Services
from bot.settings import BUNDLED_DATA_DIR
from jobs.daily import run_daily
from market.calendar import nyse
from market.csv_provider import CsvProvider
from market.universe import load_universe
from market.yahoo import RetryPolicy, YahooProvider
from storage.chats import upsert_chat
from storage.db import open_db
from storage.jobruns import recent_runs
from storage.outbox import counts, rows_for
from storage.subscriptions import subscribe
from tests.fakes.botapi import FakeBotApi
from tests.fakes.yahoo_chart import FakeYahoo, load_bundled_bars, patch_curl_cffi
from tests.reliability.conftest import (
    FLIP_DAY,
    NOW,
    OPERATOR,
    PRIOR_DAY,
    add_subscriber,
    running_app,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:yfinance.*")

SUBSCRIBERS = (7001, 7002)
#: Follows ^RUT/^GSPC (which flips on FLIP_DAY too) in the stale-symbol tests.
INDEX_CHAT = 7003
#: The stale-symbol tests first remove the stale symbols' stored rows after this session, so
#: storing Yahoo's (stale) answer has rows to bring back.
CUT = dt.date(2025, 10, 24)


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


Fault = Callable[[FakeYahoo, tuple[str, ...]], tuple[str, ...]]

#: Faults that fail the symbols they touch.
FAULTS: dict[str, Fault] = {
    "empty frame": empty_frames,
    "some symbols missing": some_missing,
    "rate limited": rate_limited,
    "unreachable": unreachable,
}

#: Faults that leave the symbols they touch stale: valid rows up to PRIOR_DAY, none on FLIP_DAY.
STALE_FAULTS: dict[str, Fault] = {
    "NaN tail": nan_tail,
    "stale last session": stale_last_session,
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
        else:
            named = [str(m["pair"]) for m in row.payload.get("moves") or ()]
            if row.payload.get("pair"):
                named.append(str(row.payload["pair"]))
            for pair in named:
                assert not set(pair.split("/")) & set(failing), (pair, row.event_key)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fault", list(STALE_FAULTS))
async def test_yahoo_stale_symbols_keep_their_valid_rows(
    fault, services, fake, monkeypatch, tmp_path, prior_db_file
) -> None:
    symbols = services.universe.all_symbols()
    fy = patch_curl_cffi(monkeypatch, _served(symbols))
    stale = STALE_FAULTS[fault](fy, symbols)
    _add_chats(services.db)
    expected = await _intact_rows(prior_db_file, tmp_path)
    full = _stored(services, stale)  # every row up to PRIOR_DAY (from the bundled sample)
    marks = ",".join("?" * len(stale))
    services.db.execute(
        f"DELETE FROM prices WHERE symbol IN ({marks}) AND date > ?", [*stale, CUT.isoformat()]
    )
    services.db.conn.commit()
    assert _stored(services, stale) != full
    yahoo = _yahoo_services(services, RetryPolicy(attempts=2, base_delay=0.0), tmp_path)
    fetched_at = yahoo.clock().isoformat()

    async with running_app(yahoo, fake) as app:
        await _run_job(app, services, fake, attempt=1)

        # Every valid row up to the last valid close is stored again, with the same closes,
        # fetched now from Yahoo; the NaN or missing session is not stored.
        stored = _stored(services, stale)
        assert [row[:3] for row in stored] == [row[:3] for row in full]
        for symbol in stale:
            assert max(row[1] for row in stored if row[0] == symbol) == PRIOR_DAY.isoformat()
        restored = [row for row in stored if row[1] > CUT.isoformat()]
        assert len(restored) == 4 * len(stale)  # 10-27 .. 10-30 of each symbol
        assert {row[3] for row in restored} == {fetched_at}
        sources = services.db.execute(
            f"SELECT DISTINCT source FROM prices WHERE symbol IN ({marks}) AND date > ?",
            [*stale, CUT.isoformat()],
        ).fetchall()
        assert sources == [("yahoo",)]

        # Reported stale with its last close: in the run and to the operators, once.
        run = recent_runs(services.db, 1, "daily")[0]
        assert (run.status, run.session) == ("partial", FLIP_DAY.isoformat())
        assert all(symbol in (run.detail or "") for symbol in stale)
        told = fake.messages_to(OPERATOR)
        assert len(told) == 1
        for symbol in stale:
            assert f"{symbol}: last close {PRIOR_DAY}" in told[0].text

        # No alert names a pair using a stale symbol; every other pair's alerts are those
        # of the same session on intact data, and they were delivered.
        _only_fresh_pairs_alerted(services, stale)
        # (A theme's flip goes to the followers of any of its pairs, so which chats get a
        # pair's move depends on which pairs of the theme are computable: compared per pair.)
        got = _alert_rows(services.db)
        fresh = {row for row in expected if not set(row[2].split("/")) & set(stale)}
        assert fresh  # a flip of a pair not using the stale symbols is on this session
        assert {row[1:] for row in got} == {row[1:] for row in fresh}
        followers = {"IWM/SPY": SUBSCRIBERS, "^RUT/^GSPC": (INDEX_CHAT,)}
        for pair in {row[2] for row in fresh}:
            for chat in followers.get(pair, ()):
                assert any(row[:3] == (chat, "flip", pair) for row in got), (chat, pair)
                assert any(pair in (m.body or "") for m in fake.messages_to(chat)), (chat, pair)
        assert [d.attempt for d in _retries(app)] == [2]
        assert fy.unexpected == []


def _add_chats(db) -> None:
    """IWM/SPY followers (with digests) and one ^RUT/^GSPC follower."""
    for chat in SUBSCRIBERS:
        add_subscriber(db, chat, digest=True)
    now = dt.datetime.now(dt.UTC)
    upsert_chat(db, INDEX_CHAT, "private", now=now)
    subscribe(db, INDEX_CHAT, "^RUT/^GSPC", "pair", now=now)


def _alert_rows(db) -> set[tuple[int, str, str, str]]:
    """(chat, kind, pair, the pair's own figures) of every queued alert of FLIP_DAY, one per
    pair it names (a theme's flip names each of its pairs in ``moves``); digests left out.
    Breadth confirmation is left out of the figures: it reads other pairs."""
    out = set()
    for row in rows_for(db, session=FLIP_DAY):
        if row.kind == "digest":
            continue
        moves = [m for m in row.payload.get("moves") or () if isinstance(m, dict)]
        for move in moves:
            own = {k: v for k, v in move.items() if k != "breadth"}
            out.add((row.chat_id, row.kind, str(move["pair"]), json.dumps(own, sort_keys=True)))
        if row.payload.get("pair"):
            out.add((row.chat_id, row.kind, str(row.payload["pair"]), ""))
    return out


async def _intact_rows(prior_db_file: Path, tmp_path: Path) -> set[tuple[int, str, str]]:
    """The pair alerts FLIP_DAY queues for the same chats when no symbol is stale."""
    path = tmp_path / "intact.db"
    shutil.copy(prior_db_file, path)
    db = open_db(path)
    _add_chats(db)
    result = await run_daily(
        db, CsvProvider(BUNDLED_DATA_DIR, asof=FLIP_DAY), nyse(), load_universe(), FLIP_DAY, now=NOW
    )
    assert result.status == "done"
    rows = _alert_rows(db)
    db.conn.close()
    return rows


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
