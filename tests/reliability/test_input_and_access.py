"""Bad input and authorization edges through the real Application polling the Bot API fake:
every bad argument gets a usage answer (never "went wrong", nothing written, no operator
report); usage comes before the chart flood guard and a flooded chart command still answers
in text; a demoted admin loses write rights at once; commands addressed to another bot, edited
commands and operator answers in groups are handled as built in issue 12."""

from __future__ import annotations

import pytest
from telegram import ChatMember

from bot.commands.access import WRITE_TRUST_SECONDS
from storage.rules import chat_rules
from storage.subscriptions import chat_subscriptions
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import channel_chat, group_chat, make_user
from tests.reliability.conftest import OPERATOR, dump

BAD_INPUTS = (
    ("/alert del ²", "is a number"),
    ("/alert del ٣", "is a number"),
    ("/alert del 99999999999999999999", "is a number"),
    ("/alert del 0", "is a number"),
    ("/settings tz America", "Unknown time zone"),
    ("/settings tz Etc", "Unknown time zone"),
    ("/settings tz " + "x" * 300, "Unknown time zone"),
    ("/settings tz ../../etc/passwd", "Unknown time zone"),
    ("/settings quiet 10:00-10:00", "would last no time"),
    ("/settings quiet 25:00-07:00", "is not a time"),
    ("/settings quiet ２２:00-07:00", "is not a time"),
    ("/settings quiet 22:00", "two times"),
    ("/settings digest 7", "is not a time"),
)


async def _answer(fake: FakeBotApi, chat_id: int, count: int) -> str:
    call = await fake.wait_for_message(chat_id, count=count, timeout=30)
    return call.rendered or call.text or call.caption or ""


async def test_bad_input_gets_usage_writes_nothing_reports_nothing(app, services, fake):
    user = make_user()
    await fake.send_command(None, user, "/settings")
    await _answer(fake, user.id, 1)
    before = dump(services.db)
    for n, (text, expected) in enumerate(BAD_INPUTS, start=2):
        await fake.send_command(None, user, text)
        reply = await _answer(fake, user.id, n)
        assert expected in reply, (text, reply)
        assert "went wrong" not in reply
        assert "Usage" in reply or "/settings" in reply or "/alert" in reply
    assert dump(services.db) == before
    assert fake.messages_to(OPERATOR) == []
    await fake.send_command(None, user, "/settings tz europe/berlin")  # any letter case
    assert "Europe/Berlin" in await _answer(fake, user.id, len(BAD_INPUTS) + 2)


async def test_usage_before_the_flood_guard_and_flooded_charts_answer_in_text(app, fake):
    user = make_user()

    def photos() -> int:
        return sum(c.method == "sendPhoto" for c in fake.messages_to(user.id))

    def answers() -> int:  # the quadrant's text, as a caption or after the photo
        return sum("against SPY" in (c.rendered or "") for c in fake.messages_to(user.id))

    for n in range(1, 6):  # the chart allowance
        await fake.send_command(None, user, "/quadrant")
        await fake.wait_for(lambda n=n: photos() >= n and answers() >= n, timeout=120)
    sent = len(fake.messages_to(user.id))
    await fake.send_command(None, user, "/ticker")
    usage = await _answer(fake, user.id, sent + 1)
    assert "Which symbol" in usage
    assert "Too many" not in usage
    await fake.send_command(None, user, "/quadrant")
    flooded = await fake.wait_for_message(user.id, count=sent + 2, timeout=120)
    assert photos() == 5
    assert flooded.method == "sendMessage"  # the text, without the chart
    assert "Strength quadrant" in (flooded.rendered or "")
    assert "too many charts" in (flooded.rendered or "").lower()


async def test_a_demoted_admin_loses_write_rights_at_once(app, services, fake):
    admin, owner = make_user(first_name="Ada"), make_user(first_name="Own")
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin], creator=owner)
    await fake.send_command(group, admin, "/subscribe IWM/SPY")
    assert "now follows" in await _answer(fake, group.id, 1)
    await fake.member_status(group, admin, ChatMember.MEMBER, owner)  # demoted
    await fake.send_command(group, admin, "/unsubscribe")
    assert "only chat admins" in await _answer(fake, group.id, 2)
    assert [s.target for s in chat_subscriptions(services.db, group.id)] == ["IWM/SPY"]


async def test_a_remembered_admin_is_asked_again_before_a_write(app, services, fake):
    """No chat_member update (the bot may not see it): the cached answer expires for writes."""
    admin = make_user()
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    clock = [1000.0]
    services.admins.clock = lambda: clock[0]
    await fake.send_command(group, admin, "/subscribe IWM/SPY")
    assert "now follows" in await _answer(fake, group.id, 1)
    fake.set_member(group.id, admin, ChatMember.MEMBER)  # demoted, silently
    clock[0] += WRITE_TRUST_SECONDS + 0.5
    await fake.send_command(group, admin, "/unsubscribe")
    assert "only chat admins" in await _answer(fake, group.id, 2)


async def test_commands_for_another_bot_are_ignored_in_channels_too(app, services, fake):
    channel = channel_chat(username="rotchan")
    fake.add_chat(channel)
    await fake.send_channel_post(channel, "/subscribe@OtherBot")
    await fake.send_channel_post(channel, f"/subscribe@{fake.bot.username} banks")
    reply = await _answer(fake, channel.id, 1)
    assert "now follows" in reply
    assert "banks" in reply
    assert len(fake.messages_to(channel.id)) == 1
    assert [s.target for s in chat_subscriptions(services.db, channel.id)] == ["banks"]


async def test_edited_commands_never_run_again(app, services, fake):
    user = make_user()
    update = await fake.send_command(None, user, "/alert IWM/SPY spread_1m > 3")
    assert "Alert" in await _answer(fake, user.id, 1)
    await fake.edit_message(None, user, update.message.message_id, "/alert IWM/SPY spread_1m > 4")
    await fake.send_command(None, user, "/alerts")
    await _answer(fake, user.id, 2)
    assert len(chat_rules(services.db, user.id)) == 1
    assert len(fake.messages_to(user.id)) == 2  # the edit got no answer either


@pytest.mark.parametrize("text", ["/status", "/help"])
async def test_operator_answers_stay_out_of_groups(app, fake, text):
    operator = make_user(user_id=OPERATOR)
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [operator])
    await fake.send_command(group, operator, text)
    reply = await _answer(fake, group.id, 1)
    assert "/status" not in reply or "private chat" in reply
    assert "Latest stored session" not in reply
    await fake.send_command(None, operator, text)  # in private the operator gets it
    private = await _answer(fake, OPERATOR, 1)
    assert "/status" in private or "Latest stored session" in private


async def test_help_button_in_a_group_lists_no_operator_command(app, fake):
    operator = make_user(user_id=OPERATOR)
    group = group_chat()
    fake.add_chat(group)
    await fake.send_command(group, operator, "/start")
    start = await fake.wait_for_message(group.id, timeout=30)
    await fake.press_button(start, "help", operator)
    await fake.wait_for(lambda: any(c.method == "editMessageText" for c in fake.calls), 30)
    edited = fake.message(group.id, start.result["message_id"])
    assert edited is not None
    assert "/status" not in (edited.text or "")
