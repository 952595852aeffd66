"""Subscriptions, alert rules and per-chat settings; chat membership and group migrations.

Commands: /subscribe /unsubscribe /subscriptions /alert /alerts /settings /why /preview, and
the ``/start sub_<preset>`` deep link. ``install`` adds my_chat_member tracking, the migrate
service message and /subscribe posted in a channel.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from analytics.events import Digest, decode_alert, decode_as
from analytics.rules import METRICS, metric_name
from analytics.types import Universe
from bot.commands.access import ADMINISTRATOR, OWNER, require_admin
from bot.commands.inputs import parse_hm, parse_id, parse_timezone, parse_window
from bot.commands.problems import problem_html
from bot.commands.registry import (
    GROUP_TYPES,
    ChatType,
    Command,
    Reply,
    Request,
    UserError,
    parse_command,
)
from bot.handlers.baskets import basket_pair
from bot.handlers.channels import managed_channel
from bot.queries.readapi import chat_snapshot, chat_universe, snapshot_for
from bot.render.alerts import digest_html, why_html
from bot.render.format import esc
from bot.render.format import metric as format_metric
from bot.render.subscriptions import alerts_html, settings_html, subscriptions_html
from bot.services import utc_now
from jobs.custom import WATCH_TARGET, shown_name
from jobs.fanout import chat_pairs, digest_body
from market.symbols import InvalidSymbol, normalize_symbol, resolve_alias
from storage.chats import Chat, get_chat, migrate_chat, set_active, update_settings, upsert_chat
from storage.custom import watchlist
from storage.db import transaction
from storage.outbox import Kind, last_sent, rows_for
from storage.rules import add_rule, chat_rules, delete_rule
from storage.subscriptions import chat_subscriptions, subscribe, unsubscribe

if TYPE_CHECKING:  # telegram is imported where it is used: offline faces never load it
    from telegram import Update
    from telegram.ext import Application

    from bot.app.context import BotContext

log = logging.getLogger(__name__)

DEFAULT_PRESET = "smallcaps"
#: Threshold alerts one chat may keep (each can fire after every close).
MAX_RULES_PER_CHAT = 20
OPS = (">", "<", ">=", "<=")
SUBSCRIBE_USAGE = (
    "/subscribe [preset|PAIR|watch] — in private also /subscribe @channel [preset|PAIR]"
)
ALERT_USAGE = (
    "/alert PAIR METRIC OP VALUE (e.g. /alert IWM/SPY spread_1m > 3; spreads in pp, "
    "ratio metrics in %) · /alert del ID"
)
SETTINGS_USAGE = (
    "/settings digest on|off|HH:MM · quiet HH:MM-HH:MM|off · tz Area/City · topic here|off · "
    "map on|off"
)
# ChatMemberStatus.MEMBER, .ADMINISTRATOR and .OWNER (a StrEnum: equal to these strings)
_ACTIVE = ("member", ADMINISTRATOR, OWNER)


def _targets_text(request: Request) -> str:
    uni = request.services.universe
    names = ", ".join(uni.subscribable())
    pairs = ", ".join(p.key for p in uni.pairs)
    return f"presets: {names}; pairs: {pairs}; or {WATCH_TARGET} (this chat's /watch list)"


def pair_key(universe: Universe, text: str) -> str:
    """A typed pair as a universe key: upper case, aliases and share classes as in /pair
    (RUT/GSPC -> ^RUT/^GSPC). Text that is not two symbols comes back upper-cased."""
    known = set(universe.all_symbols())
    sides = text.upper().split("/")
    try:
        names = [normalize_symbol(side) for side in sides]
    except InvalidSymbol:
        return text.upper()
    return "/".join(resolve_alias(n, known.__contains__) for n in names)


def parse_target(request: Request, text: str | None, *, own: bool = True) -> tuple[str, str]:
    """(target, kind) for a preset name, a pair key, or (``own``) a pair naming one of the
    request's chat's own baskets; UserError listing the valid ones."""
    uni = request.services.universe
    if text is None:
        return DEFAULT_PRESET, "preset"
    if text.lower() in uni.subscribable():
        return text.lower(), "preset"
    if text.lower() == WATCH_TARGET:  # the chat's own watchlist (its alerts: jobs.custom)
        return WATCH_TARGET, "preset"
    key = pair_key(uni, text)
    if any(p.key == key for p in uni.pairs):
        return key, "pair"
    names = chat_universe(request.services, request.chat_id if own else None)
    found = basket_pair(request.services, names, text, SUBSCRIBE_USAGE)
    if found is not None:
        return found, "pair"
    raise UserError(
        f"Unknown preset or pair {text[:40]}. Valid {_targets_text(request)}, or a pair with "
        "one of this chat's baskets (/baskets).",
        SUBSCRIBE_USAGE,
    )


def _register(request: Request, chat_id: int, chat_type: str) -> Chat:
    return upsert_chat(request.services.db, chat_id, chat_type, now=utc_now())


async def cmd_subscribe(request: Request) -> Reply:
    """/subscribe [preset|PAIR]: follow a preset (default smallcaps) or one pair."""
    if request.args and request.args[0].startswith("@"):
        return await subscribe_channel(request)
    target, kind = parse_target(request, request.args[0] if request.args else None)
    _register(request, request.chat_id, request.chat_type)
    return _subscribed(request, request.chat_id, target, kind, "This chat")


def _subscribed(request: Request, chat_id: int, target: str, kind: str, who: str) -> Reply:
    added = subscribe(request.services.db, chat_id, target, kind, now=utc_now())
    what = f"preset {target}" if kind == "preset" else f"pair {target}"
    if target == WATCH_TARGET:
        what = "its watchlist"
    if not added:
        return Reply(f"{esc(who)} already follows {esc(what)}.")
    if target == WATCH_TARGET:
        empty = "" if watchlist(request.services.db, chat_id) else " It is empty: /watch add SYM."
        return Reply(
            f"✅ {esc(who)} now follows its watchlist: a symbol entering leading or lagging "
            "against its benchmark (confirmed), in the day's one message. /unsubscribe watch "
            f"to stop.{empty}"
        )
    if target in request.services.universe.boards:
        return Reply(
            f"✅ {esc(who)} now follows {esc(target)}: a sector entering leading or lagging "
            "(confirmed), in the day's one message, and the week's rotation map after its last "
            "session (/settings map off to stop it). /unsubscribe to stop."
        )
    return Reply(
        f"✅ {esc(who)} now follows {esc(what)}: leadership flips, breadth, stretch and a "
        "daily digest after each NYSE close. /settings to adjust, /unsubscribe to stop."
    )


async def subscribe_channel(request: Request) -> Reply:
    """/subscribe @channel [preset|PAIR] in private: the sender must administer the channel
    and the bot must be able to post there."""
    if request.chat_type != ChatType.PRIVATE or request.bot is None:
        raise UserError("Subscribe a channel from a private chat with me.", SUBSCRIBE_USAGE)
    name = request.args[0]
    # a channel has no baskets of its own (nor does this private chat's reach it)
    wanted = request.args[1] if len(request.args) > 1 else None
    target, kind = parse_target(request, wanted, own=False)
    refusal = f"Only admins of {name[:40]} can subscribe it."
    channel = await managed_channel(
        request, request.bot, name, usage=SUBSCRIBE_USAGE, refusal=refusal
    )
    return _subscribed(request, channel.id, target, kind, name)


async def cmd_unsubscribe(request: Request) -> Reply:
    """/unsubscribe [preset|PAIR]: stop one subscription, or all of them."""
    db = request.services.db
    if not request.args:
        n = unsubscribe(db, request.chat_id)
        return Reply(f"Removed {n} subscription(s). No more alerts here.")
    target, _ = parse_target(request, request.args[0])
    if unsubscribe(db, request.chat_id, target):
        return Reply(f"Stopped following {esc(target)}.")
    return Reply(f"This chat did not follow {esc(target)}. See /subscriptions.")


async def cmd_subscriptions(request: Request) -> Reply:
    """/subscriptions: what this chat follows and the pairs that covers."""
    subs = chat_subscriptions(request.services.db, request.chat_id)
    pairs = [shown_name(k) for k in chat_pairs(subs, request.services.universe)]
    return Reply(subscriptions_html(subs, pairs))


async def cmd_alert(request: Request) -> Reply:
    """/alert PAIR METRIC OP VALUE, or /alert del ID."""
    args, db = request.args, request.services.db
    if len(args) == 2 and args[0].lower() in ("del", "delete", "rm"):
        rule_id = parse_id(args[1], ALERT_USAGE)
        if delete_rule(db, request.chat_id, rule_id):
            return Reply(f"Deleted alert {rule_id}.")
        raise UserError(f"No alert {rule_id} in this chat; see /alerts.", ALERT_USAGE)
    if len(args) != 4:
        raise UserError("Four arguments are needed.", ALERT_USAGE)
    pair, metric, op, raw = (
        pair_key(request.services.universe, args[0]),
        args[1].lower(),
        args[2],
        args[3],
    )
    pairs = [p.key for p in request.services.universe.pairs]
    if pair not in pairs:
        own = chat_universe(request.services, request.chat_id)
        found = basket_pair(request.services, own, args[0], ALERT_USAGE)
        if found is None:
            raise UserError(
                f"Unknown pair {pair[:40]}; valid: {', '.join(pairs)}, or a pair with one of "
                "this chat's baskets (/baskets).",
                ALERT_USAGE,
            )
        pair = found
    known = metric_name(metric)
    if known is None:
        raise UserError(f"Unknown metric {metric[:40]}; valid: {', '.join(METRICS)}.", ALERT_USAGE)
    metric = known
    if op not in OPS:
        raise UserError(f"Unknown operator {op[:8]}; valid: {' '.join(OPS)}.", ALERT_USAGE)
    try:
        value = float(raw.removesuffix("%"))
    except ValueError:
        raise UserError(f"{raw[:20]} is not a number.", ALERT_USAGE) from None
    if not math.isfinite(value) or abs(value) > 1e6:
        raise UserError(f"{raw[:20]} is not a usable threshold.", ALERT_USAGE)
    unit = METRICS[metric]
    if unit == "fraction":  # users type percent; the metric is a fraction
        value /= 100.0
    if len(chat_rules(db, request.chat_id)) >= MAX_RULES_PER_CHAT:
        raise UserError(
            f"This chat has {MAX_RULES_PER_CHAT} alerts, the most allowed; delete one first "
            "(/alerts lists them, /alert del ID removes one).",
            ALERT_USAGE,
        )
    _register(request, request.chat_id, request.chat_type)
    rule = add_rule(db, request.chat_id, pair, metric, op, value, now=utc_now())
    return Reply(
        f"🔔 Alert {rule.id} set: {esc(pair)} {esc(metric)} {esc(op)} "
        f"{esc(format_metric(value, unit))}. "
        "Checked after each NYSE close; fires once per crossing (at once if already true)."
    )


async def cmd_alerts(request: Request) -> Reply:
    """/alerts: this chat's alert rules with their ids."""
    return Reply(alerts_html(chat_rules(request.services.db, request.chat_id)))


def _hm(text: str) -> str:
    return parse_hm(text, SETTINGS_USAGE)


def apply_setting(chat: Chat, args: tuple[str, ...], thread_id: int | None) -> Chat:
    """The chat with one setting changed from /settings arguments; UserError when invalid."""
    key, value = args[0].lower(), (args[1] if len(args) > 1 else "")
    if key == "digest" and value.lower() in ("on", "off"):
        return replace(chat, digest=value.lower() == "on")
    if key == "digest" and value:
        return replace(chat, digest=True, digest_time=_hm(value))
    if key == "quiet" and value.lower() == "off":
        return replace(chat, quiet_start=None, quiet_end=None)
    if key == "quiet" and value:
        start, end = parse_window(value, SETTINGS_USAGE)
        return replace(chat, quiet_start=start, quiet_end=end)
    if key in ("tz", "timezone") and value:
        return replace(chat, timezone=parse_timezone(value, SETTINGS_USAGE))
    if key == "map" and value.lower() in ("on", "off"):  # the weekly sector rotation map
        return replace(chat, weekly_map=value.lower() == "on")
    if key == "topic" and value.lower() in ("here", "off"):
        return replace(chat, thread_id=thread_id if value.lower() == "here" else None)
    raise UserError("Unknown setting.", SETTINGS_USAGE)


async def cmd_settings(request: Request) -> Reply:
    """/settings [KEY VALUE]: show or change digest, quiet hours, timezone, forum topic."""
    # One transaction: a setting refused with a UserError leaves no chat row behind either.
    with transaction(request.services.db):
        chat = get_chat(request.services.db, request.chat_id) or _register(
            request, request.chat_id, request.chat_type
        )
        if request.args:
            changed = apply_setting(chat, request.args, request.thread_id)
            chat = update_settings(request.services.db, changed, now=utc_now())
    return Reply(settings_html(chat))


async def cmd_why(request: Request) -> Reply:
    """/why: explain the last alert this chat received."""
    row = last_sent(request.services.db, request.chat_id)
    if row is None:
        return Reply("No alert was sent to this chat yet. /subscribe to get some.")
    return Reply(why_html(decode_alert(row.kind, row.payload), row.sent_at))


async def cmd_preview(request: Request) -> Reply:
    """/preview: the digest and alerts this chat would receive for the latest session."""
    services = request.services
    subs = chat_subscriptions(services.db, request.chat_id)
    if not subs:
        return Reply("This chat follows nothing yet; try /subscribe.")
    snap = await snapshot_for(services, request.asof)
    rows = rows_for(services.db, chat_id=request.chat_id, session=snap.session)
    stored = [r for r in rows if r.kind is Kind.DIGEST]
    if stored:  # the session's message is already queued: show exactly that
        return Reply("<b>Preview</b>\n" + digest_html(decode_as(Digest, stored[-1].payload)))
    chat = get_chat(services.db, request.chat_id)
    if chat is not None and not chat.digest:  # the daily pass lists no pairs for it
        return Reply(
            "This chat's digest is off, so no daily list of pairs comes; alerts still do. "
            "Turn it on with /settings digest on."
        )
    urgent = sum(1 for r in rows if r.urgent)
    # the chat's own pairs (naming its baskets) join the universe's, as in the daily pass
    full = await chat_snapshot(services, snap, request.chat_id)
    body = digest_body(full, chat_pairs(subs, services.universe), (), urgent)
    return Reply("<b>Preview</b>\n" + digest_html(body))


async def start_payload(request: Request, payload: str) -> Reply:
    """Deep link ``/start sub_<preset>``: subscribe in one tap."""
    preset = payload.removeprefix("sub_")
    if request.chat_type in GROUP_TYPES:
        await require_admin(request, "In groups, only chat admins can subscribe.")
    target, kind = parse_target(request, preset or None)
    _register(request, request.chat_id, request.chat_type)
    return _subscribed(request, request.chat_id, target, kind, "This chat")


COMMANDS: tuple[Command, ...] = (
    Command("subscribe", "Get leadership alerts here", SUBSCRIBE_USAGE, cmd_subscribe,
            admins_only_in_groups=True, offline=False),
    Command("unsubscribe", "Stop alerts here", "/unsubscribe [preset|PAIR|watch]", cmd_unsubscribe,
            admins_only_in_groups=True, offline=False),
    Command("subscriptions", "What this chat follows", "/subscriptions", cmd_subscriptions,
            offline=False),
    Command("alert", "Set or delete a threshold alert", ALERT_USAGE, cmd_alert,
            admins_only_in_groups=True, offline=False),
    Command("alerts", "This chat's threshold alerts", "/alerts", cmd_alerts, offline=False),
    Command("settings", "Digest, quiet hours, timezone, topic", SETTINGS_USAGE, cmd_settings,
            admins_only_in_groups=True, offline=False),
    Command("why", "Explain the last alert", "/why", cmd_why, offline=False),
    Command("preview", "What this chat would get today", "/preview", cmd_preview,
            offline=False),
)  # fmt: skip


# -- membership, migrations, channel posts ------------------------------------------------


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """The bot was added, removed, promoted or blocked: keep the chat's active flag."""
    change = update.my_chat_member
    if change is None:
        return
    db, chat, now = context.services.db, change.chat, utc_now()
    status = change.new_chat_member.status
    context.services.admins.forget(chat.id)
    if status in _ACTIVE:
        upsert_chat(db, chat.id, chat.type, now=now, title=chat.title, username=chat.username)
    else:
        set_active(db, chat.id, False, now=now, reason=f"bot status {status}")
    log.info("chat %s (%s): bot is now %s", chat.id, chat.type, status)


async def on_chat_member(update: Update, context: BotContext) -> None:
    """A member's status changed (promoted, demoted, left): forget their admin lookup."""
    change = update.chat_member
    if change is None:
        return
    context.services.admins.forget(change.chat.id, change.new_chat_member.user.id)


async def on_migrate(update: Update, context: BotContext) -> None:
    """Group upgraded to a supergroup: move the chat's subscriptions to the new id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    migrate_chat(context.services.db, old, new, now=utc_now())


async def on_channel_post(update: Update, context: BotContext) -> None:
    """/subscribe or /unsubscribe posted in a channel (only its admins can post there)."""
    post = update.channel_post
    if post is None or not post.text:
        return
    services = context.services
    parsed = parse_command(post.text)
    if parsed is None:
        return
    name, rest, target = parsed.name, parsed.raw_args, parsed.target
    if target and target.lower() != (context.bot.username or "").lower():
        return  # addressed to another bot
    request = Request(services=services, command=name, args=tuple(rest.split()), raw_args=rest,
                      chat_id=post.chat.id, chat_type=ChatType.CHANNEL, user_id=None,
                      sender_chat_id=post.chat.id, bot=context.bot)  # fmt: skip
    try:
        upsert_chat(services.db, post.chat.id, ChatType.CHANNEL, now=utc_now(),
                    title=post.chat.title, username=post.chat.username)  # fmt: skip
        reply = await (cmd_subscribe if name == "subscribe" else cmd_unsubscribe)(request)
    except UserError as exc:
        reply = Reply(problem_html(exc))
    await context.bot.send_message(post.chat.id, reply.html)


def install(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Membership tracking, migrations and channel commands."""
    from telegram.ext import (  # start-up cost: the offline faces never load telegram
        ChatMemberHandler,
        MessageHandler,
        filters,
    )

    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(ChatMemberHandler(on_chat_member, ChatMemberHandler.CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    channel_cmd = filters.UpdateType.CHANNEL_POST & filters.Regex(r"^/(un)?subscribe(@\w+)?\b")
    app.add_handler(MessageHandler(channel_cmd, on_channel_post))
