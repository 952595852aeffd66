"""Pairs naming a chat's own basket through the real daily job and the outbox: a chat that
follows BANKS/SPY gets that pair's flip (with its chart) and its /alert threshold, computed
from its own BANKS; another chat with a basket of the same name and other members gets its
own numbers and never the first chat's flip. What the messages say names the pair as the
chat typed it."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.events import FlipAlert, ThresholdAlert, decode
from analytics.pairs import compute_pairs
from analytics.types import BasketSpec, PairSpec, Universe
from bot.render.alerts import alert_html, digest_html
from jobs.daily import run_daily
from jobs.refresh import refresh_prices
from market.calendar import NyseCalendar
from market.universe import load_universe
from storage.chats import upsert_chat
from storage.custom import save_basket
from storage.outbox import rows_for
from storage.prices import last_dates
from storage.rules import add_rule
from storage.subscriptions import subscribe
from tests.equal_weight import change, equal_weight, read_closes
from tests.fake_prices import FakeProvider

NOW = dt.datetime(2026, 3, 31, 21, 0, tzinfo=dt.UTC)
FLIPPING = ("IWM", "IJR")  # chat 111's SMALL: small caps, which flip against SPY
QUIET = ("XLU", "XLP")  # chat 222's SMALL: same name, other members
FIRST, SECOND = 111, 222


@pytest.fixture(scope="module")
def cal() -> NyseCalendar:
    return NyseCalendar(today=dt.date(2026, 6, 1))


def _flip_days(sample_dir, members: tuple[str, ...]) -> set[dt.date]:
    """Sessions the pair SMALL/SPY (SMALL of ``members``) confirmed a flip."""
    closes = read_closes(sample_dir, [*members, "SPY"])
    uni = Universe(pairs=(), baskets=(BasketSpec("SMALL", "SMALL", members),))
    spec = PairSpec("SMALL", "SPY", "SMALL vs SPY")
    stats = compute_pairs(closes, [spec], uni, closes.index[-1].date())["SMALL/SPY"]
    return {f.date for f in stats.flips}


def _chat(db, chat_id: int, members: tuple[str, ...]) -> None:
    upsert_chat(db, chat_id, "private", now=NOW)
    save_basket(db, chat_id, "SMALL", members, now=NOW)
    subscribe(db, chat_id, "SMALL/SPY", "pair", now=NOW)
    add_rule(db, chat_id, "SMALL/SPY", "spread_1m", ">", -1000.0, now=NOW)  # true at once


async def test_a_chat_basket_pair_flips_and_alerts_for_its_chat_only(db, sample_dir, cal):
    flips = sorted(_flip_days(sample_dir, FLIPPING) - _flip_days(sample_dir, QUIET))
    session = flips[-1]  # the first chat's pair flips that day, the second's does not
    _chat(db, FIRST, FLIPPING)
    _chat(db, SECOND, QUIET)
    provider = FakeProvider(sample_dir, asof=session)
    result = await run_daily(db, provider, cal, load_universe(), session, now=NOW)
    assert result.status == "done"

    first = rows_for(db, chat_id=FIRST)
    flip_rows = [r for r in first if r.kind == "flip"]
    assert len(flip_rows) == 1, f"SMALL/SPY flipped on {session}: one flip for its chat"
    flip_row = flip_rows[0]
    flip = decode("flip", flip_row.payload)
    assert isinstance(flip, FlipAlert)
    assert [m.pair for m in flip.moves] == ["SMALL/SPY"]
    assert flip.chart is not None
    assert (flip.chart.pair, flip.chart.a, flip.chart.b) == ("SMALL/SPY", "SMALL", "SPY")
    assert flip.chart.dates[-1] == session
    shown = alert_html(flip)
    assert "SMALL/SPY" in shown
    assert f"{FIRST}:" not in shown
    # the second chat follows a pair of the same name: no flip of the first chat's basket
    second = rows_for(db, chat_id=SECOND)
    assert [r.kind for r in second] == ["digest"], [r.kind for r in second]

    # each chat's threshold alert, folded into its digest, from its own basket
    for chat, members, rows in ((FIRST, FLIPPING, first), (SECOND, QUIET, second)):
        (digest,) = [r for r in rows if r.kind == "digest"]
        (folded,) = [a for a in decode("digest", digest.payload).alerts if a.kind == "threshold"]
        alert = decode("threshold", folded.body)
        assert isinstance(alert, ThresholdAlert)
        assert alert.pair == "SMALL/SPY"
        closes = read_closes(sample_dir, [*members, "SPY"]).loc[: str(session)]
        expected = 100.0 * (change(equal_weight(closes[list(members)]), 21)
                            - change(closes["SPY"], 21))  # fmt: skip
        assert alert.value == pytest.approx(expected, abs=1e-9), chat
        text = digest_html(decode("digest", digest.payload))
        assert "SMALL/SPY" in text
        assert f"{chat}:" not in text
    assert decode("digest", first[-1].payload) != decode("digest", second[-1].payload)


async def test_the_daily_refresh_keeps_a_chats_own_members_current(db, sample_dir, tmp_path, cal):
    """A member outside the universe (stored when the basket was made) gets the session's
    close from the daily job, like the universe's symbols; it is never named late."""
    folder = tmp_path / "prices"
    folder.mkdir()
    for path in sample_dir.glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "OWNX.csv").write_bytes((sample_dir / "XLF.csv").read_bytes())  # not in the universe
    session = dt.date(2026, 3, 31)
    before = cal.shift(session, -1)
    await refresh_prices(
        db, FakeProvider(folder, asof=before), cal, ["OWNX"], before, fetched_at=NOW
    )
    assert last_dates(db, ["OWNX"]) == {"OWNX": before}
    upsert_chat(db, FIRST, "private", now=NOW)
    save_basket(db, FIRST, "MINE", ("OWNX", "XLK"), now=NOW)
    result = await run_daily(
        db, FakeProvider(folder, asof=session), cal, load_universe(), session, now=NOW
    )
    assert last_dates(db, ["OWNX"]) == {"OWNX": session}
    assert "OWNX" not in result.stale
    assert "OWNX" not in result.failures
