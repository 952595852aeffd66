"""Access control through the real handlers: group settings are for admins, operator
commands for OPERATOR_IDS, channel subscriptions for verified channel admins."""

from __future__ import annotations

import pytest
from telegram import ChatMember
from telegram.ext import Application

from storage.subscriptions import chat_subscriptions
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import channel_chat, group_chat, make_user, supergroup_chat
from tests.fakes.offline_request import command_update
from tests.reliability.conftest import OPERATOR, dump

Inproc = tuple[Application, FakeBotApi]

GROUP_WRITES = (
    "/subscribe",
    "/subscribe banks",
    "/unsubscribe",
    "/unsubscribe IWM/SPY",
    "/alert IWM/SPY spread_1m > 3",
    "/alert del 1",
    "/settings digest off",
    "/settings quiet 22:00-07:00",
    "/settings timezone Europe/Berlin",
)


def _last_text(fake: FakeBotApi, chat_id: int) -> str:
    calls = fake.messages_to(chat_id)
    assert calls, f"no reply in chat {chat_id}"
    return calls[-1].rendered or ""


async def _send(app: Application, text: str, **kwargs) -> None:
    await app.process_update(command_update(app.bot, text, **kwargs))


@pytest.mark.parametrize("chat_factory", [group_chat, supergroup_chat])
async def test_group_members_cannot_change_the_group(inproc: Inproc, services, chat_factory):
    app, fake = inproc
    admin, member = make_user(first_name="Ada"), make_user(first_name="Mal")
    group = chat_factory()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    fake.set_member(group.id, member, ChatMember.MEMBER)
    await _send(app, "/subscribe IWM/SPY", user=admin, chat=group)
    await _send(app, "/alert IWM/SPY spread_1m > 3", user=admin, chat=group)
    assert [s.target for s in chat_subscriptions(services.db, group.id)] == ["IWM/SPY"]
    before = dump(services.db)
    for text in GROUP_WRITES:
        await _send(app, text, user=member, chat=group)
        assert "only chat admins" in _last_text(fake, group.id), text
        assert dump(services.db) == before, text
    # the same commands from an anonymous admin (sent as the group itself) are accepted
    await _send(app, "/settings digest off", chat=group, anonymous=True)
    assert "only chat admins" not in _last_text(fake, group.id)
    assert dump(services.db) != before


async def test_failed_admin_lookup_counts_as_not_admin(inproc: Inproc, services):
    app, fake = inproc
    admin = make_user()
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    fake.fail_next(1, "bad_gateway", methods={"getChatMember"})
    before = dump(services.db)
    await _send(app, "/subscribe", user=admin, chat=group)
    assert "only chat admins" in _last_text(fake, group.id)
    assert dump(services.db) == before


@pytest.mark.parametrize("where", ["private", "group"])
async def test_operator_commands_answer_only_operators(inproc: Inproc, services, where):
    app, fake = inproc
    stranger = make_user()
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [stranger])  # even a group admin is not an operator
    chat = group if where == "group" else None
    await _send(app, "/status", user=stranger, chat=chat)
    reply = _last_text(fake, group.id if chat else stranger.id)
    assert "operators only" in reply
    assert "outbox" not in reply.lower()
    operator = make_user(user_id=OPERATOR)
    await _send(app, "/status", user=operator)
    assert "operators only" not in _last_text(fake, OPERATOR)


async def test_channel_subscription_needs_a_verified_channel_admin(inproc: Inproc, services):
    app, fake = inproc
    owner, stranger = make_user(first_name="Owner"), make_user(first_name="Eve")
    channel = channel_chat(username="rotrel")
    fake.add_chat(channel)
    fake.set_admins(channel.id, [owner])
    fake.set_member(channel.id, stranger, ChatMember.MEMBER)
    before = dump(services.db)
    for text in ("/subscribe @rotrel", f"/subscribe {channel.id}", "/unsubscribe @rotrel"):
        await _send(app, text, user=stranger)
        assert "now follows" not in _last_text(fake, stranger.id), text
    assert chat_subscriptions(services.db, channel.id) == []
    assert dump(services.db) == before
    # the bot itself cannot post there: refused even for the owner
    fake.bot_status[channel.id] = ChatMember.MEMBER
    await _send(app, "/subscribe @rotrel", user=owner)
    assert "now follows" not in _last_text(fake, owner.id)
    assert chat_subscriptions(services.db, channel.id) == []
    fake.bot_status[channel.id] = ChatMember.ADMINISTRATOR
    await _send(app, "/subscribe @rotrel", user=owner)
    assert "now follows" in _last_text(fake, owner.id)
    assert [s.target for s in chat_subscriptions(services.db, channel.id)] != []
