"""The pinned dashboard end to end: the real Application, the Bot API fake, daily runs."""

from __future__ import annotations

from telegram import ChatMember

from storage.dashboards import get_dashboard
from storage.outbox import rows_for
from tests.fakes import channel_chat, group_chat, make_user, supergroup_chat
from tests.subscriptions.conftest import FLIP_DAY, daily


def _calls(fake, method, chat_id):
    return [c for c in fake.calls if c.method == method and c.chat_id == chat_id]


async def _reply(fake, chat_id, needle):
    found = await fake.wait_for(
        lambda: [c for c in fake.messages_to(chat_id) if needle in (c.rendered or "")] or None
    )
    return found[-1].rendered or ""


async def test_one_pinned_message_edited_after_ten_daily_runs_and_reposted_once(
    app, services, fake_botapi
):
    fake, cal = fake_botapi, services.calendar
    admin, member = make_user(), make_user(first_name="Bob")
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    assert (await daily(app, services, FLIP_DAY)).result.status == "done"

    await fake.send_command(group, member, "/dashboard")
    assert "only chat admins" in await _reply(fake, group.id, "only chat admins")
    assert get_dashboard(services.db, group.id) is None

    await fake.send_command(group, admin, "/dashboard")
    assert "posted and pinned" in await _reply(fake, group.id, "Dashboard posted")
    board = get_dashboard(services.db, group.id)
    [posted] = [c for c in fake.messages_to(group.id) if c.method == "sendPhoto"]
    assert posted.message_id == board.message_id
    assert posted.disable_notification is True
    assert fake.pinned[group.id] == [board.message_id]
    [pin] = _calls(fake, "pinChatMessage", group.id)
    assert pin.params["disable_notification"] is True
    assert "as of 2025-10-31 close" in fake.message(group.id, board.message_id).caption

    sessions = [cal.shift(FLIP_DAY, i) for i in range(1, 11)]
    for session in sessions:
        assert (await daily(app, services, session)).result.status == "done"
    last = sessions[-1].isoformat()
    assert fake.pinned[group.id] == [board.message_id]  # exactly one bot message pinned
    shown = fake.message(group.id, board.message_id)
    assert f"as of {last} close" in shown.caption
    assert "Rotation dashboard" in shown.caption
    edits = _calls(fake, "editMessageMedia", group.id)
    assert len(edits) == 10
    assert all(c.ok and c.message_id == board.message_id for c in edits)
    photos = [c for c in fake.messages_to(group.id) if c.method == "sendPhoto"]
    assert photos == [posted]  # edited, never re-posted
    assert len(_calls(fake, "pinChatMessage", group.id)) == 1

    # Re-running a session changes nothing: once per session.
    assert (await daily(app, services, sessions[-1])).result.status == "already_done"
    assert len(_calls(fake, "editMessageMedia", group.id)) == 10

    # Someone deletes the dashboard: the next run posts a new one and pins it, once.
    fake.delete_message(group.id, board.message_id)
    assert fake.pinned[group.id] == []
    next_day = cal.shift(sessions[-1], 1)
    await daily(app, services, next_day)
    fresh = get_dashboard(services.db, group.id)
    assert fresh.message_id != board.message_id
    assert fake.pinned[group.id] == [fresh.message_id]
    assert len(_calls(fake, "pinChatMessage", group.id)) == 2
    assert f"as of {next_day} close" in fake.message(group.id, fresh.message_id).caption
    await daily(app, services, cal.shift(next_day, 1))
    assert fake.pinned[group.id] == [fresh.message_id]
    assert len(_calls(fake, "pinChatMessage", group.id)) == 2
    assert _calls(fake, "editMessageMedia", group.id)[-1].message_id == fresh.message_id
    assert [r.status for r in rows_for(services.db, chat_id=group.id)] == ["sent"] * 12

    # /dashboard off: unpinned, no more edits.
    await fake.send_command(group, admin, "/dashboard off")
    assert "unpinned" in await _reply(fake, group.id, "Dashboard stopped")
    assert fake.pinned[group.id] == []
    edits_before = len(_calls(fake, "editMessageMedia", group.id))
    await daily(app, services, cal.shift(next_day, 2))
    assert len(_calls(fake, "editMessageMedia", group.id)) == edits_before


async def test_missing_pin_rights_are_reported_to_the_admin_not_retried(app, services, fake_botapi):
    fake, cal = fake_botapi, services.calendar
    admin = make_user()
    group = supergroup_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    fake.know_chats(admin.id)  # the admin has a private chat with the bot
    fake.deny_pin(group.id)
    await daily(app, services, FLIP_DAY)
    await fake.send_command(group, admin, "/dashboard")
    text = await _reply(fake, group.id, "Dashboard posted")
    assert "could not pin it" in text
    assert "not enough rights" in text.lower()
    board = get_dashboard(services.db, group.id)
    assert not board.pinned
    assert board.pin_error is not None

    for i in (1, 2):
        await daily(app, services, cal.shift(FLIP_DAY, i))
    assert len(_calls(fake, "pinChatMessage", group.id)) == 1  # not retried on each run
    assert len(_calls(fake, "editMessageMedia", group.id)) == 2

    fake.delete_message(group.id, board.message_id)
    await daily(app, services, cal.shift(FLIP_DAY, 3))
    assert len(_calls(fake, "pinChatMessage", group.id)) == 2  # the re-post tries once
    told = await _reply(fake, admin.id, "could not pin it")
    assert "Test supergroup" in told
    await daily(app, services, cal.shift(FLIP_DAY, 4))
    assert len(_calls(fake, "pinChatMessage", group.id)) == 2
    assert len(fake.messages_to(admin.id)) == 1


async def test_channel_dashboard_from_private_by_a_verified_admin(app, services, fake_botapi):
    fake = fake_botapi
    owner, stranger = make_user(), make_user(first_name="Eve")
    channel = channel_chat(username="rotationnews", title="Rotation News")
    fake.add_chat(channel)
    fake.set_admins(channel.id, [owner])
    await daily(app, services, FLIP_DAY)

    await fake.send_command(None, stranger, "/dashboard @rotationnews")
    assert "Only admins" in await _reply(fake, stranger.id, "Only admins")
    await fake.send_command(None, owner, "/dashboard")
    assert "in a group" in await _reply(fake, owner.id, "in a group")
    await fake.send_command(None, owner, "/dashboard @rotationnews")
    await _reply(fake, owner.id, "posted and pinned")
    board = get_dashboard(services.db, channel.id)
    assert fake.pinned[channel.id] == [board.message_id]
    await daily(app, services, services.calendar.shift(FLIP_DAY, 1))
    assert _calls(fake, "editMessageMedia", channel.id)[-1].ok
    await fake.send_command(None, owner, "/dashboard @rotationnews off")
    await _reply(fake, owner.id, "Dashboard stopped")
    assert fake.pinned[channel.id] == []


async def test_a_group_member_status_change_keeps_the_dashboard_silent(app, services, fake_botapi):
    """A second /dashboard in a chat that has one does not post a second pinned message."""
    fake = fake_botapi
    admin = make_user()
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    await fake.my_chat_member(group, ChatMember.LEFT, ChatMember.MEMBER, admin)
    await daily(app, services, FLIP_DAY)
    await fake.send_command(group, admin, "/dashboard")
    await _reply(fake, group.id, "Dashboard posted")
    await fake.send_command(group, admin, "/dashboard")
    assert "already has the dashboard" in await _reply(fake, group.id, "already has")
    assert len([c for c in fake.messages_to(group.id) if c.method == "sendPhoto"]) == 1
    assert len(fake.pinned[group.id]) == 1


async def test_a_resent_update_after_a_crash_never_posts_a_second_message(
    app, services, fake_botapi
):
    """The process died after Telegram took the edit, before the row was marked sent: on
    restart the row is delivered again as an edit of the same message."""
    fake, cal = fake_botapi, services.calendar
    admin = make_user()
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    await daily(app, services, FLIP_DAY)
    await fake.send_command(group, admin, "/dashboard")
    await _reply(fake, group.id, "Dashboard posted")
    before = get_dashboard(services.db, group.id)
    await daily(app, services, cal.shift(FLIP_DAY, 1))
    [row] = [r for r in rows_for(services.db, chat_id=group.id) if r.kind == "dashboard"]
    services.db.conn.execute(  # as the crash left it: claimed by a dead process, not recorded
        "UPDATE outbox SET status = 'sending', claimed_by = 999999999 WHERE id = ?", [row.id]
    )
    services.db.conn.execute(
        "UPDATE dashboards SET session = ?, content_key = ? WHERE chat_id = ?",
        [before.session.isoformat(), before.content_key, group.id],
    )
    report = await app.bot_data.sender.drain()
    assert report.sent == 1
    assert [c.method for c in fake.messages_to(group.id)].count("sendPhoto") == 1
    assert fake.pinned[group.id] == [before.message_id]
    assert len(_calls(fake, "editMessageMedia", group.id)) == 2


async def test_not_modified_counts_as_delivered(app, services, fake_botapi, monkeypatch):
    """A text dashboard (no chart) whose edit Telegram finds unchanged: success, no repost."""
    import bot.delivery.dashboard as dashboard
    from bot.queries.readapi import snapshot_for
    from jobs.fanout import dashboard_body

    async def no_chart(*_args):
        return None

    monkeypatch.setattr(dashboard, "dashboard_chart", no_chart)
    fake = fake_botapi
    group = group_chat()
    fake.add_chat(group)
    await daily(app, services, FLIP_DAY)
    payload = dashboard_body(await snapshot_for(services, None), services.universe)
    now = services.clock()
    board = await dashboard.post_dashboard(app.bot, services, group.id, payload, admin_id=None,
                                           now=now)  # fmt: skip
    assert board.kind == "text"
    services.db.conn.execute("UPDATE dashboards SET content_key = 'stale' WHERE chat_id = ?",
                             [group.id])  # fmt: skip
    stale = get_dashboard(services.db, group.id)
    done = await dashboard.update_dashboard(app.bot, services, stale, payload, now=now)
    assert done.action == "unchanged"
    [edit] = _calls(fake, "editMessageText", group.id)
    assert not edit.ok
    assert "not modified" in edit.description
    assert get_dashboard(services.db, group.id).content_key == board.content_key
    assert len(fake.messages_to(group.id)) == 1


async def test_the_dashboard_links_to_the_mini_app_and_keeps_the_link(app, services, fake_botapi):
    import dataclasses

    services.settings = dataclasses.replace(
        services.settings, webapp_url="https://bot.example.com/rotation-app"
    )
    fake, admin, group = fake_botapi, make_user(), group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    await daily(app, services, FLIP_DAY)
    await fake.send_command(group, admin, "/dashboard")
    await _reply(fake, group.id, "Dashboard posted")
    board = get_dashboard(services.db, group.id)
    link = f"https://t.me/{fake.bot.username}?startapp=chat{group.id}"

    def button():
        markup = fake.message(group.id, board.message_id).reply_markup
        return [(b.text, b.url, b.web_app) for row in markup.inline_keyboard for b in row]

    assert button() == [("📈 Open charts", link, None)]
    await daily(app, services, services.calendar.shift(FLIP_DAY, 1))
    assert len(_calls(fake, "editMessageMedia", group.id)) == 1
    assert button() == [("📈 Open charts", link, None)]
