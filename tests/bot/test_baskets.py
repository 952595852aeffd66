"""A chat's own baskets through the offline face: made, replaced, listed with their coverage
(the bundled baskets' rule: a member without a close is left out and named, and the level
needs min_share of the members), deleted; each chat sees its own only."""

from __future__ import annotations

from bot.commands.offline import reply_to_plain
from bot.handlers import answer
from bot.services import Services
from storage.custom import chat_baskets
from tests.bot.conftest import ASOF

CHAT, OTHER = 7001, 7002


def _drop_close(services: Services, symbol: str) -> None:
    """The symbol has no close on ASOF (a late or stopped member)."""
    services.db.conn.execute(
        "DELETE FROM prices WHERE symbol = ? AND date = ?", [symbol, ASOF.isoformat()]
    )


async def _say(services: Services, text: str, chat: int = CHAT) -> str:
    return reply_to_plain(await answer(services, text, asof=ASOF, chat_id=chat))


async def test_made_replaced_listed_deleted(services: Services) -> None:
    saved = await _say(services, "/basket banks KRE xlf XLE")
    assert "Basket BANKS saved: equal weight of 3 (KRE, XLF, XLE)" in saved, saved
    assert "1 of 10 baskets" in saved
    replaced = await _say(services, "/basket BANKS KRE XLF XLE XLK")
    assert "BANKS replaced" in replaced, replaced
    assert [(b.name, b.members) for b in chat_baskets(services.db, CHAT)] == [
        ("BANKS", ("KRE", "XLF", "XLE", "XLK"))
    ]
    listing = await _say(services, "/baskets")
    assert "BANKS: KRE, XLF, XLE, XLK" in listing, listing
    assert f"4/4 closed on {ASOF.isoformat()}" in listing, listing
    assert f"as of {ASOF.isoformat()} close" in listing
    assert "Deleted basket BANKS" in await _say(services, "/basket del banks")
    assert chat_baskets(services.db, CHAT) == []
    assert "no baskets yet" in await _say(services, "/baskets")


async def test_coverage_names_missing_members_and_the_level_date(services: Services) -> None:
    await _say(services, "/basket BANKS KRE XLF XLE XLK")
    _drop_close(services, "XLE")
    listing = await _say(services, "/baskets")
    assert f"3/4 closed on {ASOF.isoformat()}; no close: XLE" in listing, listing
    assert "level as of" not in listing  # 3 of 4 is enough (75 %)
    _drop_close(services, "XLK")
    listing = await _say(services, "/baskets")
    assert f"2/4 closed on {ASOF.isoformat()}; no close: XLE, XLK" in listing, listing
    assert "level as of 2026-03-30 (it needs 3 of 4 members with a close)" in listing, listing


async def test_each_chat_sees_its_own_baskets(services: Services) -> None:
    await _say(services, "/basket BANKS KRE XLF")
    await _say(services, "/basket BANKS XLU XLP", chat=OTHER)
    assert "BANKS: KRE, XLF" in await _say(services, "/baskets")
    other = await _say(services, "/baskets", chat=OTHER)
    assert "BANKS: XLU, XLP" in other, other
    assert "KRE" not in other, other
    assert "Deleted" in await _say(services, "/basket del BANKS", chat=OTHER)
    assert "BANKS: KRE, XLF" in await _say(services, "/baskets")
