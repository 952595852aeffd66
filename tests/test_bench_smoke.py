"""Smoke test of the benchmark harness: it imports, its data are deterministic, and its loop
baseline computes the same numbers as build_snapshot (so the speedup compares like with like).

Nothing here is timed: performance is measured by ``make bench`` only.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.snapshot import build_snapshot
from bench import __main__ as runner
from bench.data import bench_data, extend_closes, real_closes, synthetic_names
from bench.numbers import compare, snapshot_numbers
from bench.snapshot_bench import check_same_numbers
from bench.timing import p95, summary


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return real_closes()


def test_generator_is_deterministic(real: pd.DataFrame) -> None:
    first = extend_closes(real, symbols=120, sessions=300, seed=7)
    again = extend_closes(real, symbols=120, sessions=300, seed=7)
    other = extend_closes(real, symbols=120, sessions=300, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert first.shape == (300, 120)


def test_generator_keeps_real_closes_and_adds_plausible_series(real: pd.DataFrame) -> None:
    frame = extend_closes(real, symbols=300, sessions=504, seed=1)
    pd.testing.assert_frame_equal(frame[real.columns], real.iloc[-504:])
    synthetic = frame[synthetic_names(270)]
    values = synthetic.to_numpy()
    assert np.nanmin(values) > 0
    daily = np.diff(np.log(values), axis=0)
    assert 0.003 < np.nanstd(daily) < 0.08  # daily moves look like equities, not noise or constants
    assert synthetic.isna().any().sum() >= 1  # late listings and halts exist


def test_universe_covers_every_symbol() -> None:
    data = bench_data(symbols=80, sessions=300)
    universe = data.universe
    assert set(universe.all_symbols()) == set(data.closes.columns)
    assert {p.key for p in universe.pairs} >= {"IWM/SPY", "SMALLCAP_WINNERS/MAG7"}


def test_loop_baseline_gives_the_snapshot_numbers() -> None:
    data = bench_data(symbols=80, sessions=300)
    assert check_same_numbers(data) > 1000


def test_compare_notices_a_different_number() -> None:
    data = bench_data(symbols=40, sessions=300)
    numbers = snapshot_numbers(build_snapshot(data.closes, data.universe, data.asof))
    changed = snapshot_numbers(build_snapshot(data.closes, data.universe, data.asof))
    changed["symbols"]["SPY"]["returns"]["1m"] += 1e-4
    assert compare(numbers, numbers) == []
    assert compare(numbers, changed) == ["/symbols/SPY/returns/1m: " + _pair(numbers, changed)]


def _pair(a: dict, b: dict) -> str:
    return f"{a['symbols']['SPY']['returns']['1m']!r} != {b['symbols']['SPY']['returns']['1m']!r}"


def test_helpers_and_table() -> None:
    assert p95([float(i) for i in range(1, 101)]) == 95.0
    assert p95([3.0]) == 3.0
    assert summary([0.3, 0.1, 0.2])["median"] == 0.2
    assert runner.verdict(0.5, ("<=", 1.0)) == "ok"
    assert runner.verdict(4.0, (">=", 5.0)) == "MISSED"
    assert runner.verdict(None, (">=", 5.0)) == "n/a"
    text = runner.table({"snapshot_2000_symbols_s": 0.4})
    assert "| `snapshot_2000_symbols_s` | 0.4 | <= 1 | ok |" in text
    assert "| `peak_rss_mb` | null | <= 300 | n/a |" in text


def test_outbox_bench_runs_small(tmp_path, monkeypatch) -> None:
    from bench import outbox_bench

    data = outbox_bench.sample()
    assert data.flip.kind == "flip"
    monkeypatch.setattr(outbox_bench, "FLIP_CHATS", 40)
    flip = outbox_bench.flip_bytes(data, tmp_path)
    assert flip["rows"] == 40  # one flip row per chat, no digest
    monkeypatch.setattr(outbox_bench, "YEAR_SESSIONS", 15)
    lived = outbox_bench.year(data, tmp_path, chats=20)
    assert lived["sessions"] == 15
    # 15 sessions queued 20 digests each and 3 flips: pruning keeps the last week's rows and
    # each chat's last flip, not the 360 queued
    assert 0 < lived["rows_left"] <= 20 * 8
    assert lived["rows_pruned"] == 15 * 20 + 3 * 20 - lived["rows_left"]


def test_the_year_writes_the_rows_the_bot_writes(tmp_path) -> None:
    """The year simulation queues and delivers a session in one statement each: the rows are
    the ones ``enqueue`` writes and ``claim_many`` + ``mark_sent_many`` leave, column by
    column (the claim's wall-clock time aside), so the file it measures is the bot's."""
    from bench import outbox_bench
    from storage.db import open_db, transaction
    from storage.outbox import (
        Kind,
        NewMessage,
        PayloadIds,
        claim_many,
        enqueue,
        idem_key,
        mark_sent_many,
    )

    now = dt.datetime(2026, 3, 31, 21, 0, tzinfo=dt.UTC)
    later = now + dt.timedelta(minutes=5)
    sent_at = now + dt.timedelta(hours=1)
    payload = {"session": "2026-03-31", "rows": [1, 2]}
    tables = []
    for bulk in (False, True):
        db = open_db(tmp_path / f"{bulk}.db")
        outbox_bench.add_chats(db, 30)
        key = "flip:flip:IWM/SPY:2026-03-31"
        ids = PayloadIds()
        with transaction(db) as conn:
            if bulk:
                message = NewMessage("", key, 0, Kind.FLIP, now.date(), True, payload, later)
                assert outbox_bench.queue_everyone(conn, message, now=now, payloads=ids) == 30
            else:
                chats = [r[0] for r in conn.execute("SELECT chat_id FROM chats ORDER BY chat_id")]
                rows = [NewMessage(idem_key(key, c), key, c, Kind.FLIP, now.date(), True,
                                   payload, later) for c in chats]  # fmt: skip
                assert enqueue(conn, rows, now=now, payloads=ids) == 30
        queued = db.execute("SELECT * FROM outbox ORDER BY id").fetchall()
        if bulk:
            assert outbox_bench.deliver_everything(db, now=sent_at) == 30
        else:
            row_ids = [r[0] for r in db.execute("SELECT id FROM outbox ORDER BY id")]
            assert claim_many(db, row_ids) == set(row_ids)
            mark_sent_many(db, [(i, i) for i in row_ids], now=sent_at)
        cursor = db.execute("SELECT * FROM outbox ORDER BY id")
        names = [d[0] for d in cursor.description]
        sent = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        for row in sent:
            assert len(row.pop("claimed_at")) == len("2026-03-31T21:00:00")
        tables.append((queued, sent, db.execute("SELECT * FROM payloads").fetchall()))
        db.close()
    assert tables[0] == tables[1]
    assert tables[0][1][0]["status"] == "sent"
    assert tables[0][1][0]["attempts"] == 1
