"""Fuzzed command texts through the real handlers (in-process): unicode, right-to-left and
zero-width marks, HTML, SQL-looking text, control characters, 10,000-character arguments.

Every text gets a reply within Telegram's limits (the fake rejects anything longer), no
exception reaches the global error handler (no operator report, no "something went wrong"),
and the database changes only when a writing command accepted its arguments.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import ChatMember

from bot.render.common import internal_error_html
from tests.fakes.objects import group_chat, make_user
from tests.fakes.offline_request import command_update
from tests.reliability.conftest import OPERATOR, dump

READ_ONLY = ("start", "help", "rotation", "ticker", "pair", "quadrant", "history", "status",
             "subscriptions", "alerts", "why", "preview")  # fmt: skip
WRITING = ("subscribe", "unsubscribe", "alert", "settings")
NASTY = (
    "\u202eSPY/IWM\u202c",  # right-to-left override
    "\u200bIWM\u200d",  # zero-width space and joiner
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew
    "<b>bold</b>",
    "<a href='tg://x'>x</a>",
    "&amp;&lt;",
    "'; DROP TABLE chats; --",
    "1 OR 1=1",
    "IWM/SPY spread_1m > 3",
    "del 1",
    "quiet 22:00-07:00",
    "\x00\x07\x1b[31m",
    "IWM/SPY\nspread_1m",
    "😀" * 50,
    "A" * 10_000,
    "IWM/SPY " * 1_250,
)

_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)
args = st.one_of(
    st.sampled_from(NASTY),
    _texts,
    st.lists(st.sampled_from(NASTY) | _texts, max_size=4).map(" ".join),
    st.builds(lambda a, n: (a * (10_000 // max(1, len(a)) + 1))[:n], _texts.filter(bool),
              st.integers(9_000, 10_000)),
)  # fmt: skip
commands = st.sampled_from(READ_ONLY + WRITING) | st.from_regex(r"[a-z_]{1,40}", fullmatch=True)
_counter = itertools.count()


@pytest.mark.timeout(1200)
@pytest.mark.parametrize(
    "examples", [1000, pytest.param(10_000, marks=pytest.mark.slow, id="soak")]
)
def test_fuzzed_commands_always_get_a_bounded_reply(
    inproc_factory, report_figures, examples
) -> None:
    loop, app, fake, services = inproc_factory
    group = group_chat()
    fake.add_chat(group)
    member = make_user()
    fake.set_member(group.id, member, ChatMember.MEMBER)
    seen = {"inputs": 0, "writes": 0}

    @settings(
        max_examples=examples, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(command=commands, arg=args, in_group=st.booleans(), mention=st.booleans())
    def check(command: str, arg: str, in_group: bool, mention: bool) -> None:
        user = make_user(user_id=20_000_000 + next(_counter))
        head = f"/{command}@{app.bot.username}" if mention else f"/{command}"
        text = f"{head} {arg}" if arg else head
        chat = group if in_group else None
        where = group.id if in_group else user.id
        before_calls = len(fake.calls)
        before = dump(services.db)
        update = command_update(app.bot, text, user=user, chat=chat)
        message = update.message
        fake._messages[(message.chat.id, message.message_id)] = message  # as if really sent
        loop.run_until_complete(app.process_update(update))
        calls = fake.calls[before_calls:]
        seen["inputs"] += 1
        assert all(c.ok for c in calls), [(c.method, c.description) for c in calls if not c.ok]
        sends = ("sendMessage", "sendPhoto")
        replies = [c for c in calls if c.chat_id == where and c.method in sends]
        known = command in READ_ONLY + WRITING
        if known or not in_group or mention:
            assert replies, text[:80]
        for call in replies:
            body = call.rendered or ""
            assert len(body) <= (1024 if call.method == "sendPhoto" else 4096)
            assert body != internal_error_html()
        assert not [c for c in calls if c.chat_id == OPERATOR], "an exception reached on_error"
        after = dump(services.db)
        if after != before:
            seen["writes"] += 1
            accepted = replies and not (replies[-1].rendered or "").startswith("⚠️")
            assert command in WRITING, text[:80]
            assert not in_group, text[:80]
            assert accepted, text[:80]

    check()
    report_figures(f"fuzz: {seen['inputs']} command texts, "
              f"{seen['writes']} accepted writes, no escapes")  # fmt: skip
    # the branch that lets a valid writing command change the database was reached (the
    # database, not this loop, says so): the "nothing written" checks were not vacuous
    assert seen["writes"] > 0


@pytest.fixture
def inproc_factory(services):
    """The in-process application on a private event loop (hypothesis drives it)."""
    from tests.reliability.conftest import make_inproc

    loop = asyncio.new_event_loop()
    app, fake, close = loop.run_until_complete(make_inproc(services))
    try:
        yield loop, app, fake, services
    finally:
        loop.run_until_complete(close())
        loop.close()
