"""The daily pipeline: guard, snapshot, rules, fan-out into the outbox, idempotency."""

from __future__ import annotations

import datetime as dt

import pytest

import jobs.daily
from analytics.events import decode
from bot.render.alerts import alert_html
from jobs.daily import run_daily
from market.calendar import NyseCalendar
from market.universe import load_universe, universe_hash
from storage.alert_state import load_state
from storage.chats import get_chat, update_settings, upsert_chat
from storage.jobruns import last_done_session, recent_runs
from storage.outbox import counts, rows_for
from storage.rules import add_rule
from storage.snapshots import load_snapshot
from storage.subscriptions import subscribe
from tests.fake_prices import FakeProvider

FLIP_DAY = dt.date(2025, 10, 31)  # IWM/SPY and ^RUT/^GSPC flip to "B" (bundled data)
NOW = dt.datetime(2025, 10, 31, 21, 0, tzinfo=dt.UTC)  # 17:00 ET


@pytest.fixture(scope="module")
def cal() -> NyseCalendar:
    return NyseCalendar(today=dt.date(2026, 1, 1))


@pytest.fixture(scope="module")
def universe():
    return load_universe()


def _chat(db, chat_id, kind, target="smallcaps", sub_kind="preset"):
    upsert_chat(db, chat_id, kind, now=NOW)
    subscribe(db, chat_id, target, sub_kind, now=NOW)


async def _run(db, sample_dir, cal, universe, session=FLIP_DAY, **faults):
    provider = FakeProvider(sample_dir, asof=session, **faults)
    return await run_daily(db, provider, cal, universe, session, now=NOW)


async def test_a_flip_reaches_every_follower_once_with_a_digest(db, sample_dir, cal, universe):
    _chat(db, 111, "private")
    _chat(db, -222, "group")
    _chat(db, 333, "private", "KRE/SPY", "pair")  # follows a pair that did not flip
    result = await _run(db, sample_dir, cal, universe)
    assert result.status == "done"
    # IWM/SPY and its context pair ^RUT/^GSPC flipped together: one theme, one event
    (theme,) = [e for e in result.events if e.kind == "flip" and e.pair == "IWM/SPY"]
    assert theme.pairs == ("IWM/SPY", "^RUT/^GSPC")
    assert not [e for e in result.events if e.kind == "flip" and e.pair == "^RUT/^GSPC"]
    for chat_id in (111, -222):
        rows = rows_for(db, chat_id=chat_id)
        flips = [decode(r.kind, r.payload) for r in rows if r.kind == "flip"]
        assert [tuple(m.pair for m in f.moves) for f in flips if f.theme == "IWM/SPY"] == [
            ("IWM/SPY", "^RUT/^GSPC")
        ]
        assert all(f.chart is not None and f.chart.pair == f.theme for f in flips)
        assert [r.kind for r in rows].count("digest") == 1
        assert all(r.urgent for r in rows if r.kind != "digest")
    assert [r.kind for r in rows_for(db, chat_id=333)] == ["digest"]
    assert last_done_session(db) == FLIP_DAY
    assert load_snapshot(db, FLIP_DAY, universe_hash(universe)) is not None
    assert load_state(db)["flip:IWM/SPY"]["state"] == "B"
    assert recent_runs(db, 1, "daily")[0].status == "ok"


async def test_running_the_same_session_again_queues_nothing(db, sample_dir, cal, universe):
    _chat(db, 111, "private")
    first = await _run(db, sample_dir, cal, universe)
    before = counts(db)
    again = await _run(db, sample_dir, cal, universe)
    assert first.queued > 0
    assert again.status == "already_done"
    assert counts(db) == before


async def test_a_stale_leg_holds_back_only_its_pairs(db, sample_dir, cal, universe):
    _chat(db, 111, "private")
    result = await _run(db, sample_dir, cal, universe, stale={"IWM"})
    assert result.status == "partial"
    assert result.stale == ("IWM",)
    assert result.stale_since == {"IWM": dt.date(2025, 10, 30)}
    assert result.waiting == {"IWM/SPY": dt.date(2025, 10, 30), "IWM/QQQ": dt.date(2025, 10, 30)}
    flips = {p for e in result.events if e.kind == "flip" for p in e.pairs}
    assert flips == {"^RUT/^GSPC"}  # no alert on stale data, none held back either
    assert "flip:IWM/SPY" not in load_state(db) or load_state(db)["flip:IWM/SPY"]["state"] != "B"
    assert not any(e.kind == "breadth" for e in result.events)  # breadth reads IWM/SPY
    digest = next(r for r in rows_for(db, chat_id=111) if r.kind == "digest")
    assert digest.payload["no_close"] == {"IWM/SPY": "2025-10-30", "IWM/QQQ": "2025-10-30"}
    assert "IWM/SPY" not in [row["pair"] for row in digest.payload["rows"]]
    assert recent_runs(db, 1, "daily")[0].status == "partial"

    retry = await _run(db, sample_dir, cal, universe)  # the late close arrives before the deadline
    assert retry.status == "done"
    assert {p for e in retry.events if e.kind == "flip" for p in e.pairs} == {"IWM/SPY"}
    rows = rows_for(db, chat_id=111)
    moved = [m.pair for r in rows if r.kind == "flip" for m in decode(r.kind, r.payload).moves]
    assert sorted(moved) == ["IWM/SPY", "^RUT/^GSPC"]  # each once, none on stale data
    assert [r.kind for r in rows].count("digest") == 1
    assert (await _run(db, sample_dir, cal, universe)).status == "already_done"


async def test_a_late_symbol_no_pair_uses_holds_back_nothing(db, sample_dir, cal, universe):
    _chat(db, 111, "private")
    result = await _run(db, sample_dir, cal, universe, stale={"MDY"})
    assert result.status == "partial"
    assert result.waiting == {}
    assert result.stale == ("MDY",)
    assert {"IWM/SPY", "^RUT/^GSPC"} <= {
        p for e in result.events if e.kind == "flip" for p in e.pairs
    }
    assert (await _run(db, sample_dir, cal, universe)).status == "already_done"


async def test_nothing_computable_commits_nothing(db, sample_dir, cal, universe):
    _chat(db, 111, "private")
    every = set(universe.all_symbols())
    result = await _run(db, sample_dir, cal, universe, stale=every)
    assert result.status == "stale"
    assert set(result.stale) == every
    assert "IWM" in str(result.error())
    assert counts(db) == {}
    assert load_state(db) == {}
    assert last_done_session(db) is None
    assert recent_runs(db, 1, "daily")[0].status == "stale"


async def test_a_crash_before_commit_leaves_no_state_and_the_rerun_queues_each_row_once(
    db, sample_dir, cal, universe, monkeypatch
):
    # The fan-out commits its rows a page of chats at a time, before the session is marked
    # done (a million chats never hold the write lock at once); state and the done mark
    # commit last. A run killed in between runs again from the same state: the rows it had
    # queued are kept, and the (event, chat) keys make each count once.
    _chat(db, 111, "private")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs.daily, "mark_session_done", boom)
    with pytest.raises(RuntimeError):
        await _run(db, sample_dir, cal, universe)
    early = rows_for(db)
    assert load_state(db) == {}
    assert last_done_session(db) is None
    monkeypatch.undo()
    result = await _run(db, sample_dir, cal, universe)
    assert result.status == "done"
    assert result.queued == 0  # every row was queued by the first run; none twice
    rows = rows_for(db)
    assert [r.idem_key for r in rows] == [r.idem_key for r in early]
    assert len({r.idem_key for r in rows}) == len(rows) > 0
    assert load_state(db) != {}


async def test_user_rule_alerts_only_its_chat(db, sample_dir, cal, universe):
    _chat(db, 111, "private")
    _chat(db, 444, "private")
    rule = add_rule(db, 444, "IWM/SPY", "spread_1d", "<", 100.0, now=NOW)
    result = await _run(db, sample_dir, cal, universe)
    keys = [e.key for e in result.events if e.rule_id == rule.rule_id]
    assert len(keys) == 1
    # a threshold is not urgent: it is folded into the owner's one message of the session
    owners = {
        r.chat_id
        for r in rows_for(db)
        if r.kind == "digest" and any(a["kind"] == "threshold" for a in r.payload["alerts"])
    }
    assert owners == {444}
    (mine,) = [r for r in rows_for(db, chat_id=444) if r.kind == "digest"]
    assert "Your alert" not in str(mine.payload)  # the body travels typed, not pre-rendered
    assert "your alert IWM/SPY spread_1d &lt; +100.00 pp" in alert_html(
        decode("digest", mine.payload)
    )


async def test_quiet_hours_hold_non_urgent_and_let_urgent_through(db, sample_dir, cal, universe):
    _chat(db, 111, "private")
    chat = get_chat(db, 111)
    from dataclasses import replace

    update_settings(db, replace(chat, quiet_start="16:00", quiet_end="08:00"), now=NOW)
    await _run(db, sample_dir, cal, universe)
    rows = {r.kind: r for r in rows_for(db, chat_id=111)}
    assert rows["flip"].not_before == NOW
    assert rows["digest"].not_before == dt.datetime(2025, 11, 1, 12, 0, tzinfo=dt.UTC)


async def test_inactive_chats_get_nothing(db, sample_dir, cal, universe):
    _chat(db, 111, "private")
    upsert_chat(db, 111, "private", now=NOW, active=False)
    result = await _run(db, sample_dir, cal, universe)
    assert result.status == "done"
    assert counts(db) == {}
