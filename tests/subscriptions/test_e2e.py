"""End to end: the real Application against the Bot API fake, chats subscribing, daily runs."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from telegram import ChatMember

from bot.app.daily import DailyJobData, job_daily
from storage.chats import get_chat
from storage.jobruns import recent_runs
from storage.outbox import counts
from storage.rules import chat_rules
from storage.subscriptions import chat_subscriptions
from tests.fake_prices import FakeProvider
from tests.fakes import channel_chat, group_chat, make_user
from tests.subscriptions.conftest import FLIP_DAY, OPERATOR, daily, flip_messages, running_app


async def _reply(fake, chat_id, count):
    call = await fake.wait_for_message(chat_id, count=count)
    return call.rendered or call.text or call.caption or ""


async def test_group_admin_subscribes_private_chat_too_and_each_gets_one_alert(
    app, services, fake_botapi
):
    fake = fake_botapi
    admin, member, solo = make_user(), make_user(first_name="Bob"), make_user(first_name="Cy")
    group = group_chat()
    fake.add_chat(group)
    fake.set_admins(group.id, [admin])
    await fake.my_chat_member(group, ChatMember.LEFT, ChatMember.MEMBER, admin)
    await fake.wait_for(lambda: get_chat(services.db, group.id) is not None)
    assert get_chat(services.db, group.id).active

    await fake.send_command(group, member, "/subscribe IWM/SPY")
    assert "only chat admins" in await _reply(fake, group.id, 1)
    assert chat_subscriptions(services.db, group.id) == []
    await fake.send_command(group, admin, "/subscribe IWM/SPY")
    assert "now follows" in await _reply(fake, group.id, 2)
    await fake.send_command(None, solo, "/subscribe")
    assert "now follows" in await _reply(fake, solo.id, 1)

    outcome = await daily(app, services)
    assert outcome.result.status == "done"
    assert len(flip_messages(fake, group.id)) == 1
    assert len(flip_messages(fake, solo.id)) == 1
    sent = len(fake.delivered)
    again = await daily(app, services)
    assert again.result.status == "already_done"
    assert len(fake.delivered) == sent

    await fake.send_command(None, solo, "/why")
    # sub reply, one flip alert for the theme (IWM/SPY with ^RUT/^GSPC), the digest, /why
    assert "Why you got the last alert" in await _reply(fake, solo.id, 4)


async def _subscribe_direct(fake, services, chat_id, kind="private"):
    """A chat that subscribed earlier (so Telegram knows it too)."""
    from storage.chats import upsert_chat

    fake.know_chats(chat_id)
    from storage.subscriptions import subscribe

    now = dt.datetime.now(dt.UTC)
    upsert_chat(services.db, chat_id, kind, now=now)
    subscribe(services.db, chat_id, "IWM/SPY", "pair", now=now)


async def test_blocked_chat_is_deactivated_and_others_still_receive(app, services, fake_botapi):
    await _subscribe_direct(fake_botapi, services, 501)
    await _subscribe_direct(fake_botapi, services, 502)
    fake_botapi.fail_chat(501, "forbidden")
    outcome = await daily(app, services)
    assert outcome.delivery.deactivated == [501]
    assert not get_chat(services.db, 501).active
    assert flip_messages(fake_botapi, 501) == []
    assert len(flip_messages(fake_botapi, 502)) == 1
    assert counts(services.db)["skipped"] == 1  # 501's digest is not retried forever


async def test_migrated_group_gets_the_alert_once_at_its_new_id(app, services, fake_botapi):
    old, new = -4242, -1_000_000_004_242
    await _subscribe_direct(fake_botapi, services, old, "group")
    fake_botapi.fail_chat(old, "migrated", new_chat_id=new)
    outcome = await daily(app, services)
    assert (old, new) in outcome.delivery.migrated
    assert len(flip_messages(fake_botapi, new)) == 1
    assert flip_messages(fake_botapi, old) == []
    assert [s.target for s in chat_subscriptions(services.db, new)] == ["IWM/SPY"]
    assert get_chat(services.db, old).migrated_to == new


async def test_flood_429_is_retried_after_retry_after(app, services, fake_botapi):
    from bot.app.daily import run_pipeline
    from tests.subscriptions.conftest import NOW

    await _subscribe_direct(fake_botapi, services, 601)
    fake_botapi.fail_chat(601, "flood", times=1, retry_after=1)
    provider = FakeProvider(services.settings.market_data_dir, asof=FLIP_DAY)
    # The flooded chat's rows wait retry_after (other chats would go on meanwhile).
    outcome = await run_pipeline(app.bot, services, FLIP_DAY, provider=provider, now=NOW, wait=5)
    assert fake_botapi.floods == 1
    assert outcome.delivery.sent == 2  # the flip and the digest
    assert len(flip_messages(fake_botapi, 601)) == 1


def _late_iwm(services, provider):
    close = services.calendar.close_time(FLIP_DAY)
    return dataclasses.replace(
        services,
        prices=lambda asof: provider,
        clock=lambda: close + dt.timedelta(minutes=30),
        stale_retry_base=dt.timedelta(seconds=0.05),
    )


async def test_stale_leg_sends_no_alert_for_its_pair_and_tells_operators_once(
    services, fake_botapi
):
    await _subscribe_direct(fake_botapi, services, 701)
    provider = FakeProvider(services.settings.market_data_dir, asof=FLIP_DAY, stale={"IWM"})
    rows = "SELECT COUNT(*) FROM job_runs WHERE job = 'daily' AND status = 'partial'"
    async with running_app(_late_iwm(services, provider), fake_botapi) as app:
        app.job_queue.run_once(job_daily, when=0, data=DailyJobData(FLIP_DAY))
        await fake_botapi.wait_for(lambda: services.db.execute(rows).fetchone()[0] >= 3, timeout=10)
        await fake_botapi.wait_for_message(701)
    [report] = fake_botapi.messages_to(OPERATOR)
    assert "IWM/SPY: no close since 2025-10-30" in report.text
    assert "IWM: last close 2025-10-30" in report.text
    [digest] = fake_botapi.messages_to(701)  # the digest, and no flip on stale data
    assert "IWM/SPY: no close since 2025-10-30" in (digest.rendered or "")
    assert "as of 2025-10-31 close" in (digest.text or "")
    assert recent_runs(services.db, 1, "daily")[0].status == "partial"


async def test_a_late_leg_arriving_before_the_deadline_sends_its_flip_once(services, fake_botapi):
    await _subscribe_direct(fake_botapi, services, 702)
    provider = FakeProvider(services.settings.market_data_dir, asof=FLIP_DAY, stale={"IWM"})
    async with running_app(_late_iwm(services, provider), fake_botapi) as app:
        app.job_queue.run_once(job_daily, when=0, data=DailyJobData(FLIP_DAY))
        await fake_botapi.wait_for_message(702)  # the digest of the first, partial run
        assert flip_messages(fake_botapi, 702) == []
        provider.stale.clear()  # IWM's close comes in; the next retry computes IWM/SPY
        await fake_botapi.wait_for(lambda: flip_messages(fake_botapi, 702), timeout=10)
        await asyncio.sleep(0.5)  # later retries (if any) must not repeat it
    assert len(flip_messages(fake_botapi, 702)) == 1
    assert "as of 2025-10-31 close" in (flip_messages(fake_botapi, 702)[0].caption or "")
    assert len(fake_botapi.messages_to(702)) == 2  # the digest and the flip
    # the session's last run is the one that found IWM (the frozen clock also lets the next
    # session's run, planned for a time long past in real time, start at once)
    runs = recent_runs(services.db, 10, "daily")
    [last, *_] = [r for r in runs if r.session == FLIP_DAY.isoformat()]
    assert last.status == "ok"


async def test_channel_admin_subscribes_channel_from_private(app, services, fake_botapi):
    fake = fake_botapi
    owner, stranger = make_user(first_name="Owner"), make_user(first_name="Eve")
    channel = channel_chat(username="rotchan")
    fake.add_chat(channel)
    fake.set_admins(channel.id, [owner])
    await fake.send_command(None, stranger, "/subscribe @rotchan")
    assert "Only admins" in await _reply(fake, stranger.id, 1)
    await fake.send_command(None, owner, "/subscribe @rotchan IWM/SPY")
    assert "now follows" in await _reply(fake, owner.id, 1)
    assert [s.target for s in chat_subscriptions(services.db, channel.id)] == ["IWM/SPY"]
    await daily(app, services)
    assert len(flip_messages(fake, channel.id)) == 1


async def test_command_posted_in_channel_subscribes_it(app, services, fake_botapi):
    channel = channel_chat()
    fake_botapi.add_chat(channel)
    await fake_botapi.send_channel_post(channel, "/subscribe banks")
    assert "now follows" in await _reply(fake_botapi, channel.id, 1)
    assert [s.target for s in chat_subscriptions(services.db, channel.id)] == ["banks"]


async def test_alert_rules_and_settings_round_trip(app, services, fake_botapi):
    user = make_user()
    await fake_botapi.send_command(None, user, "/alert IWM/SPY spread_9m > 3")
    assert "spread_1m" in await _reply(fake_botapi, user.id, 1)
    await fake_botapi.send_command(None, user, "/alert IWM/SPY spread_1m > 3")
    assert "Alert 1 set" in await _reply(fake_botapi, user.id, 2)
    await fake_botapi.send_command(None, user, "/alerts")
    assert "1. IWM/SPY spread_1m > +3.00 pp" in await _reply(fake_botapi, user.id, 3)
    await fake_botapi.send_command(None, user, "/settings quiet 22:00-07:00")
    assert "22:00-07:00" in await _reply(fake_botapi, user.id, 4)
    await fake_botapi.send_command(None, user, "/alert del 1")
    assert "Deleted alert 1" in await _reply(fake_botapi, user.id, 5)
    # Ratio metrics are fractions inside; users type percent.
    await fake_botapi.send_command(None, user, "/alert IWM/SPY ratio_vs_trend >= 2")
    assert "ratio_vs_trend >= +2.00 %" in await _reply(fake_botapi, user.id, 6)
    assert [r.value for r in chat_rules(services.db, user.id)] == [0.02]
    await fake_botapi.send_command(None, user, "/alert IWM/SPY spread_1m > nan")
    assert "not a usable threshold" in await _reply(fake_botapi, user.id, 7)
    assert len(chat_rules(services.db, user.id)) == 1
    await asyncio.sleep(0)
