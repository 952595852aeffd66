"""Watchlist alerts end to end: chats make their watchlists and follow them through the real
Application against the Bot API fake, the real daily job runs, the outbox delivers.

On the bundled data, 2026-03-27 confirms IWM and KEY entering leading and GOOGL entering
lagging against SPY (4 sessions beyond the dead band): a chat following its watchlist gets
its own alerts, folded into that session's one message; a chat that does not follow gets
none; no chat ever sees another chat's watchlist.
"""

from __future__ import annotations

import datetime as dt

from telegram import ChatMember

from bot.app.daily import run_pipeline
from storage.chats import get_chat
from storage.custom import watchlist
from tests.fake_prices import FakeProvider
from tests.fakes import group_chat, make_user

BEFORE, SESSION = dt.date(2026, 3, 26), dt.date(2026, 3, 27)


async def _run(app, services, session: dt.date):
    provider = FakeProvider(services.settings.market_data_dir, asof=session)
    now = dt.datetime.combine(session, dt.time(21, 30), tzinfo=dt.UTC)
    return await run_pipeline(app.bot, services, session, provider=provider, now=now)


async def _say(fake, chat, user, text: str) -> str:
    where = chat.id if chat is not None else user.id
    count = len(fake.messages_to(where)) + 1
    await fake.send_command(chat, user, text)
    call = await fake.wait_for_message(where, count=count)
    return call.rendered or call.text or ""


def _watch_lines(fake, chat_id: int) -> list[str]:
    return [
        line
        for call in fake.messages_to(chat_id)
        for line in (call.rendered or call.text or call.caption or "").splitlines()
        if "your watchlist" in line
    ]


async def test_each_chat_gets_its_own_watchlist_alerts_folded_in_one_message(
    app, services, fake_botapi
) -> None:
    fake = fake_botapi
    first = await _run(app, services, BEFORE)  # prices stored up to the day before
    assert first.result.status == "done"
    follows, ignores, other = make_user(), make_user(first_name="Bo"), make_user(first_name="Cy")
    assert "3 of 25" in await _say(fake, None, follows, "/watch add IWM KEY AAPL")
    assert "now follows its watchlist" in await _say(fake, None, follows, "/subscribe watch")
    assert "1 of 25" in await _say(fake, None, ignores, "/watch add GOOGL")
    assert "now follows" in await _say(fake, None, ignores, "/subscribe IWM/SPY")
    assert "1 of 25" in await _say(fake, None, other, "/watch add GOOGL")
    assert "now follows its watchlist" in await _say(fake, None, other, "/subscribe watch")
    board = await _say(fake, None, follows, "/watch")
    assert "Your watchlist against SPY" in board
    assert f"as of {BEFORE.isoformat()} close" in board

    admin, member = make_user(first_name="Ad"), make_user(first_name="Mem")
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    await fake.my_chat_member(group, ChatMember.LEFT, ChatMember.MEMBER, admin)
    await fake.wait_for(lambda: get_chat(services.db, group.id) is not None)
    refused = await _say(fake, group, member, "/watch add KRE")
    assert "only chat admins can change the watchlist" in refused
    assert "Usage: /watch" in refused
    assert watchlist(services.db, group.id) == []
    assert "1 of 25" in await _say(fake, group, admin, "/watch add KRE")
    assert "only chat admins" in await _say(fake, group, member, "/watch vs IWM")
    assert get_chat(services.db, group.id).watch_benchmark == "SPY"

    seen = {c: len(fake.messages_to(c)) for c in (follows.id, ignores.id, other.id)}
    outcome = await _run(app, services, SESSION)
    assert outcome.result.status == "done"

    new = fake.messages_to(follows.id)[seen[follows.id] :]
    assert len(new) == 1  # the watchlist alerts ride in the session's one message
    lines = _watch_lines(fake, follows.id)
    assert any("IWM entered leading vs SPY" in line for line in lines), lines
    assert any("KEY entered leading vs SPY" in line for line in lines), lines
    assert not any("GOOGL" in line for line in lines), lines

    assert len(fake.messages_to(ignores.id)) > seen[ignores.id]  # its pair's message came
    assert _watch_lines(fake, ignores.id) == []  # and no watchlist alert in it

    lines = _watch_lines(fake, other.id)
    assert any("GOOGL entered lagging vs SPY" in line for line in lines), lines
    assert not any("IWM" in line or "KEY" in line for line in lines), lines
    assert len(fake.messages_to(other.id)) == seen[other.id] + 1
    assert _watch_lines(fake, group.id) == []  # watches KRE, follows nothing
