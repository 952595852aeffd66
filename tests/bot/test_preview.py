"""/preview before the session's digest is queued: the digest the daily pass then queues for
that chat, pair for pair and figure for figure, including a pair naming the chat's own
basket (``/subscribe MYBANKS/SPY``), computed from that chat's MYBANKS, and such a pair
without a close on the session (no figure, its last close named)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from analytics.events import Digest, decode_as
from bot.render.alerts import digest_html
from bot.services import Services
from bot.settings import BUNDLED_DATA_DIR
from jobs.daily import run_daily
from jobs.refresh import refresh_prices
from storage.outbox import Kind, rows_for
from tests.bot.conftest import ASOF, inproc_app
from tests.conftest import csv_services
from tests.fake_prices import FakeProvider
from tests.fakes.objects import make_user
from tests.fakes.offline_request import command_update

NOW = dt.datetime(2026, 3, 31, 21, 0, tzinfo=dt.UTC)
BANKS = ("KRE", "XLF", "KEY")
DEFENSIVE = ("XLU", "XLP")  # another chat's MYBANKS: same name, other members


async def _preview_then_digest(
    services: Services, provider: FakeProvider, chats: dict[int, tuple[str, ...]]
) -> dict[int, tuple[str, Digest]]:
    """Each chat makes its MYBANKS and follows MYBANKS/SPY (and smallcaps); its /preview
    while nothing is queued; then the real daily job; per chat: (preview HTML, digest queued)."""
    previews: dict[int, str] = {}
    async with inproc_app(services) as (app, fake):
        for chat_id, members in chats.items():
            user = make_user(chat_id)
            for text in (f"/basket MYBANKS {' '.join(members)}", "/subscribe MYBANKS/SPY",
                         "/subscribe smallcaps"):  # fmt: skip
                await app.process_update(command_update(app.bot, text, user=user))
            assert not rows_for(services.db, chat_id=chat_id)
            await app.process_update(command_update(app.bot, "/preview", user=user))
            previews[chat_id] = fake.messages_to(chat_id)[-1].text or ""
        assert all(c.ok for c in fake.calls), [c.description for c in fake.calls if not c.ok]
    result = await run_daily(
        services.db, provider, services.calendar, services.universe, ASOF, now=NOW
    )
    assert result.session == ASOF
    out: dict[int, tuple[str, Digest]] = {}
    for chat_id in chats:
        (row,) = [r for r in rows_for(services.db, chat_id=chat_id) if r.kind is Kind.DIGEST]
        out[chat_id] = (previews[chat_id], decode_as(Digest, row.payload))
    return out


def _as_previewed(digest: Digest) -> str:
    """The queued digest as /preview shows it before the session's alerts exist."""
    return "<b>Preview</b>\n" + digest_html(dataclasses.replace(digest, alerts=(), urgent=0))


async def test_preview_shows_the_chats_own_pair_as_its_digest_will(services: Services) -> None:
    first, second = 5101, 5102
    shown = await _preview_then_digest(
        services,
        FakeProvider(BUNDLED_DATA_DIR, asof=ASOF),
        {first: BANKS, second: DEFENSIVE},
    )
    rows = {}
    for chat_id, (preview, digest) in shown.items():
        (own,) = [r for r in digest.rows if r.pair == "MYBANKS/SPY"]
        rows[chat_id] = own
        assert "IWM/SPY" in [r.pair for r in digest.rows]
        assert "<b>MYBANKS/SPY</b>:" in preview
        assert f"{chat_id}:" not in preview
        assert preview == _as_previewed(digest)  # same pairs, same figures, same order
    # each chat's figures come from its own MYBANKS
    assert rows[first].spreads_pp != rows[second].spreads_pp


async def test_preview_shows_a_stale_own_pair_with_its_last_close(tmp_path: Path) -> None:
    services = csv_services(tmp_path / "stale.db", token="123:TEST", operators=frozenset())
    try:
        provider = FakeProvider(BUNDLED_DATA_DIR, asof=ASOF, stale=set(BANKS))  # late today
        await refresh_prices(
            services.db, provider, services.calendar, list(services.universe.all_symbols()),
            ASOF, fetched_at=NOW,
        )  # fmt: skip
        chat_id = 5201
        ((preview, digest),) = (
            await _preview_then_digest(services, provider, {chat_id: BANKS})
        ).values()
    finally:
        services.db.conn.close()
    last = services.calendar.shift(ASOF, -1)
    assert digest.no_close == {"MYBANKS/SPY": last}
    assert "MYBANKS/SPY" not in [r.pair for r in digest.rows]
    assert f"<b>MYBANKS/SPY</b>: no close since {last.isoformat()}" in preview
    assert preview == _as_previewed(digest)


async def test_preview_says_so_when_the_chats_digest_is_off(services: Services) -> None:
    """With /settings digest off the daily pass lists no pairs for the chat: /preview says
    so instead of showing a digest that will not come."""
    chat_id = 5103
    async with inproc_app(services) as (app, fake):
        user = make_user(chat_id)
        for text in ("/subscribe smallcaps", "/settings digest off", "/preview"):
            await app.process_update(command_update(app.bot, text, user=user))
        preview = fake.messages_to(chat_id)[-1].text or ""
    assert "digest is off" in preview
    assert "/settings digest on" in preview
    await run_daily(
        services.db, FakeProvider(BUNDLED_DATA_DIR, asof=ASOF), services.calendar,
        services.universe, ASOF, now=NOW,
    )  # fmt: skip
    digests = [r for r in rows_for(services.db, chat_id=chat_id) if r.kind is Kind.DIGEST]
    assert all(not decode_as(Digest, r.payload).rows for r in digests)
