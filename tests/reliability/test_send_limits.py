"""Telegram's send limits under a mixed burst: 20 messages a minute per group and 30 a second
overall, with the fake enforcing both (429 with retry_after, as Telegram does).

25 members of one group and 40 private users each send a command at once. Every reply
arrives, the fake never had to answer 429, and the fake's own delivery timestamps show at
most 20 messages to the group in any 60 seconds and at most 30 in any second overall.
Nothing here is timed by the test: the counts come from the fake's records (the group's last
five replies necessarily wait for its minute to pass, so this test lasts about a minute).
"""

from __future__ import annotations

import pytest
from telegram import ChatMember

from bot.commands.flood import FloodGuard
from tests.fakes.botapi import FakeBotApi
from tests.fakes.objects import group_chat, make_user

GROUP_MEMBERS = 25
PRIVATE_USERS = 40


def _most_in_window(times: list[float], seconds: float) -> int:
    """The largest number of ``times`` inside any window of ``seconds`` (half-open)."""
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_group_and_overall_limits_hold_in_a_mixed_burst(app, fake: FakeBotApi) -> None:
    app.bot_data.services.rate = FloodGuard(1_000_000, 60.0)  # the per-user limit is not tested
    fake.max_per_second = 30
    fake.max_per_minute_per_group = 20
    group = group_chat()
    fake.add_chat(group)
    members = [make_user() for _ in range(GROUP_MEMBERS)]
    for member in members:
        fake.set_member(group.id, member, ChatMember.MEMBER)
    users = [make_user() for _ in range(PRIVATE_USERS)]
    for member in members:
        await fake.send_command(group, member, "/help")
    for user in users:
        await fake.send_command(None, user, "/help")

    await fake.wait_for(
        lambda: (
            all(fake.messages_to(u.id) for u in users)
            and len(fake.messages_to(group.id)) >= GROUP_MEMBERS
        ),
        timeout=300,
    )
    assert fake.floods == 0, [c.description for c in fake.calls if not c.ok]
    assert len(fake.messages_to(group.id)) == GROUP_MEMBERS
    sends = fake.delivered
    assert _most_in_window([c.at for c in sends], 1.0) <= 30
    in_group = [c.at for c in sends if c.chat_id == group.id]
    assert _most_in_window(in_group, 60.0) <= 20
