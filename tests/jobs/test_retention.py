"""The daily run prunes delivered rows older than the retention, once its session is queued."""

from __future__ import annotations

import datetime as dt

import pytest

from jobs.daily import run_daily
from market.calendar import NyseCalendar
from market.universe import load_universe
from storage.chats import upsert_chat
from storage.db import transaction
from storage.outbox import NewMessage, enqueue, idem_key, mark_sent, rows_for
from storage.subscriptions import subscribe
from tests.fake_prices import FakeProvider

FLIP_DAY = dt.date(2025, 10, 31)
NOW = dt.datetime(2025, 10, 31, 21, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=10)


@pytest.mark.parametrize(("retention", "kept"), [(dt.timedelta(days=7), False), (None, True)])
async def test_old_delivered_rows_are_pruned_after_the_run(db, sample_dir, retention, kept):
    upsert_chat(db, 111, "private", now=OLD)
    subscribe(db, 111, "smallcaps", "preset", now=OLD)
    key = "digest:2025-10-20"
    with transaction(db) as conn:
        enqueue(conn, [NewMessage(idem_key(key, 111), key, 111, "digest", OLD.date(), False,
                                  {"rows": []}, OLD)], now=OLD)  # fmt: skip
    (old,) = rows_for(db)
    mark_sent(db, old.id, now=OLD, message_id=1)
    provider = FakeProvider(sample_dir, asof=FLIP_DAY)
    cal = NyseCalendar(today=dt.date(2026, 1, 1))
    result = await run_daily(db, provider, cal, load_universe(), FLIP_DAY, now=NOW,
                             retention=retention)  # fmt: skip
    assert result.status == "done"
    ids = {r.id for r in rows_for(db)}
    assert (old.id in ids) is kept
    assert len(ids) == result.queued + int(kept)
