"""Replies of the subscription commands: subscriptions, alert rules, chat settings."""

from __future__ import annotations

from collections.abc import Sequence

from analytics.rules import METRICS, metric_name
from bot.render.format import esc, metric
from storage.chats import Chat
from storage.rules import UserRule
from storage.subscriptions import Subscription


def subscriptions_html(subs: Sequence[Subscription], pairs: Sequence[str]) -> str:
    """What a chat follows and the pairs that covers."""
    if not subs:
        return "This chat follows nothing yet. Try /subscribe or /subscribe IWM/SPY."
    lines = ["<b>This chat follows</b>"]
    lines += [f"• {esc(s.kind)} {esc(s.target)}" for s in subs]
    lines.append(f"Pairs covered: {esc(', '.join(pairs))}")
    return "\n".join(lines)


def alerts_html(rules: Sequence[UserRule]) -> str:
    """A chat's threshold rules with ids."""
    if not rules:
        return "No alerts set. Example: /alert IWM/SPY spread_1m > 3"
    lines = ["<b>Your alerts</b>"]
    lines += [
        f"{r.id}. {esc(r.pair)} {esc(r.metric)} {esc(r.op)} "
        f"{esc(metric(r.value, METRICS.get(metric_name(r.metric) or '', '')))}"
        for r in rules
    ]
    lines.append("Delete one with /alert del ID")
    return "\n".join(lines)


def settings_html(chat: Chat) -> str:
    """A chat's delivery settings."""
    digest = "off" if not chat.digest else f"on, {chat.digest_time or 'right after the close'}"
    quiet = f"{chat.quiet_start}-{chat.quiet_end}" if chat.quiet_start else "off"
    topic = str(chat.thread_id) if chat.thread_id else "main chat"
    return "\n".join(
        [
            "<b>Settings</b>",
            f"Digest: {esc(digest)}",
            f"Quiet hours: {esc(quiet)} (urgent alerts arrive silently, others wait)",
            f"Timezone: {esc(chat.timezone)}",
            f"Topic: {esc(topic)}",
            f"Weekly rotation map (sectors): {'on' if chat.weekly_map else 'off'}",
        ]
    )
