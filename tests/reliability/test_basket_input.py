"""/basket's bad input and rights through the real Application polling the Bot API fake: each
bad input gets one line saying what was wrong and the usage, nothing is written, nobody is
paged; the limits (2-25 members, 10 baskets a chat) hold at their edges; in a group only its
admins change baskets."""

from __future__ import annotations

import pytest

from analytics.returns import series_kind
from bot.handlers.baskets import MAX_BASKETS, MAX_MEMBERS, MIN_MEMBERS
from market.universe import load_universe
from storage.custom import chat_baskets
from storage.rules import chat_rules
from storage.subscriptions import chat_subscriptions
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import group_chat, make_user
from tests.reliability.conftest import OPERATOR, dump

#: Stored symbols that are prices (no yields, no volatility): members for the limit tests.
PRICED = [s for s in load_universe().all_symbols() if series_kind(s) == "price"]

BAD_INPUTS = (
    ("/basket", "Name the basket"),
    ("/basket BANKS", f"at least {MIN_MEMBERS}"),
    ("/basket BANKS KRE", f"at least {MIN_MEMBERS}"),  # one member
    ("/basket BANKS KRE kre", "listed twice"),
    ("/basket BANKS KRE K$RE", "is not a symbol"),  # malformed
    ("/basket BANKS KRE <b>XLF</b>", "is not a symbol"),  # HTML in a member
    ("/basket <b>BANKS</b> KRE XLF", "is not a basket name"),  # HTML in the name
    ("/basket BANK-S KRE XLF", "is not a basket name"),
    ("/basket " + "B" * 21 + " KRE XLF", "is not a basket name"),
    ("/basket IWM KRE XLF", "is a symbol"),  # shadows a stored symbol
    ("/basket rut KRE XLF", "is a symbol"),  # shadows an index alias (RUT is ^RUT)
    ("/basket mag7 KRE XLF", "bundled basket"),
    ("/basket BANKS KRE MAG7", "is a basket"),  # a basket as a member
    ("/basket BANKS KRE ^VIX", "not a price"),
    ("/basket BANKS " + " ".join(PRICED[: MAX_MEMBERS + 1]), f"at most {MAX_MEMBERS}"),
    ("/basket del", "Name one basket"),
    ("/basket del NOPE", "no basket NOPE"),
    ("/basket del <i>x</i>", "is not a basket name"),
    ("/baskets all", "takes no arguments"),
)


async def _answer(fake: FakeBotApi, chat_id: int, count: int) -> str:
    call = await fake.wait_for_message(chat_id, count=count, timeout=30)
    return call.rendered or call.text or call.caption or ""


def test_the_limit_inputs_are_what_they_say() -> None:
    assert len(PRICED) > MAX_MEMBERS + 1
    assert len(set(PRICED)) == len(PRICED)


async def test_bad_basket_input_gets_one_line_with_usage_and_writes_nothing(app, services, fake):
    user = make_user()
    before = dump(services.db)
    for n, (text, expected) in enumerate(BAD_INPUTS, start=1):
        await fake.send_command(None, user, text)
        reply = await _answer(fake, user.id, n)
        assert expected in reply, (text, reply)
        assert "went wrong" not in reply
        assert "Traceback" not in reply
        assert "Usage: /basket" in reply or "Usage: /baskets" in reply, reply
        assert len(reply.splitlines()) == 2, reply  # what was wrong; the usage
    assert dump(services.db) == before
    assert fake.messages_to(OPERATOR) == []


async def test_members_from_two_to_twenty_five_and_at_most_ten_baskets(app, services, fake):
    user = make_user()
    sent = 0

    async def say(text: str) -> str:
        nonlocal sent
        await fake.send_command(None, user, text)
        sent += 1
        return await _answer(fake, user.id, sent)

    assert "saved" in await say("/basket TWO " + " ".join(PRICED[:MIN_MEMBERS]))
    assert "saved" in await say("/basket FULL " + " ".join(PRICED[:MAX_MEMBERS]))
    for n in range(2, MAX_BASKETS):
        assert "saved" in await say(f"/basket B{n} KRE XLF")
    assert len(chat_baskets(services.db, user.id)) == MAX_BASKETS
    before = dump(services.db)
    refused = await say("/basket ELEVENTH KRE XLF")
    assert f"has {MAX_BASKETS} baskets, the most allowed" in refused, refused
    assert dump(services.db) == before
    # replacing one of the ten is not an eleventh
    assert "replaced" in await say("/basket TWO KRE XLF XLE")
    (two,) = [b for b in chat_baskets(services.db, user.id) if b.name == "TWO"]
    assert two.members == ("KRE", "XLF", "XLE")
    assert len(chat_baskets(services.db, user.id)) == MAX_BASKETS
    assert "Deleted basket TWO" in await say("/basket del two")
    assert "saved" in await say("/basket ELEVENTH KRE XLF")


@pytest.mark.parametrize("text", ["/basket BANKS KRE XLF", "/basket del BANKS"])
async def test_only_group_admins_change_its_baskets(app, services, fake, text):
    admin, member = make_user(first_name="Ada"), make_user(first_name="Mem")
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    await fake.send_command(group, admin, "/basket BANKS KRE XLF XLE")
    assert "saved" in await _answer(fake, group.id, 1)
    before = dump(services.db)
    await fake.send_command(group, member, text)
    refused = await _answer(fake, group.id, 2)
    assert "only chat admins" in refused, refused
    assert dump(services.db) == before
    await fake.send_command(group, member, "/baskets")  # reading is for everyone
    listing = await _answer(fake, group.id, 3)
    assert "BANKS: KRE, XLF, XLE" in listing, listing


async def test_subscribe_and_alert_take_the_chats_basket_pairs(app, services, fake):
    user, other = make_user(), make_user()
    sent = {user.id: 0, other.id: 0}

    async def say(who, text: str) -> str:
        await fake.send_command(None, who, text)
        sent[who.id] += 1
        return await _answer(fake, who.id, sent[who.id])

    assert "saved" in await say(user, "/basket SMALL IWM IJR")
    assert "now follows pair SMALL/SPY" in await say(user, "/subscribe small/spy")
    assert "set: SMALL/SPY spread_1m > +3.00 pp" in await say(
        user, "/alert SMALL/SPY spread_1m > 3"
    )
    assert [s.target for s in chat_subscriptions(services.db, user.id)] == ["SMALL/SPY"]
    assert [r.pair for r in chat_rules(services.db, user.id)] == ["SMALL/SPY"]
    listing = await say(user, "/subscriptions")
    assert "Pairs covered: SMALL/SPY" in listing, listing
    assert f"{user.id}:" not in listing
    # another chat has no basket SMALL: the pair means nothing there, and nothing is written
    before = dump(services.db)
    assert "Unknown preset or pair" in await say(other, "/subscribe SMALL/SPY")
    assert "Unknown pair" in await say(other, "/alert SMALL/SPY spread_1m > 3")
    assert dump(services.db) == before
    # the basket goes, and what followed it with it
    gone = await say(user, "/basket del SMALL")
    assert "Also stopped: 1 subscription(s) and 1 alert(s)" in gone, gone
    assert chat_subscriptions(services.db, user.id) == []
    assert chat_rules(services.db, user.id) == []
