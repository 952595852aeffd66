"""Who receives what: default and user rules, events x subscribed chats, digests, quiet hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analytics.events import Digest, DigestRow, Event, Folded, encode
from analytics.rules import METRICS, default_rules, metric_name
from analytics.types import Rule, Snapshot, Universe
from storage.chats import Chat
from storage.outbox import NewMessage, idem_key
from storage.rules import UserRule
from storage.subscriptions import Subscription

#: The rules every preset subscription brings: analytics' defaults (flip, breadth, stretch with
#: exit hysteresis) less quadrant changes, which stay on /quadrant. Each applies to every pair;
#: fan-out limits a pair's events to the chats that follow that pair.
DEFAULT_RULES: tuple[Rule, ...] = tuple(r for r in default_rules() if r.kind != "quadrant")
# Re-arm margin of a user threshold rule, in the metric's unit (avoids alert ping-pong).
_HYSTERESIS_BY_UNIT = {
    "pp": 0.5,
    "fraction": 0.005,
    "z": 0.25,
    "percentile": 5.0,
    "sessions": 0.0,
}
_DEFAULT_HYSTERESIS = 0.5


def user_rule(rule: UserRule) -> Rule:
    """The analytics Rule of a stored /alert rule (edge-triggered threshold)."""
    unit = METRICS.get(metric_name(rule.metric) or "", "")
    return Rule(
        id=rule.rule_id,
        kind="threshold",
        pair=rule.pair,
        metric=rule.metric,
        op=rule.op,  # type: ignore[arg-type]
        value=rule.value,
        hysteresis=_HYSTERESIS_BY_UNIT.get(unit, _DEFAULT_HYSTERESIS),
    )


def pipeline_rules(rules: Sequence[UserRule]) -> list[Rule]:
    """The rules a session is evaluated with: every preset's defaults, then the stored
    /alert rules (in id order)."""
    return [*DEFAULT_RULES, *(user_rule(r) for r in rules)]


def chat_pairs(subs: Sequence[Subscription], universe: Universe) -> list[str]:
    """Pairs a chat follows (preset members, then single pairs), first-seen order."""
    keys: dict[str, None] = {}
    for sub in subs:
        members = universe.presets.get(sub.target, ()) if sub.kind == "preset" else (sub.target,)
        for key in members:
            keys.setdefault(key, None)
    return list(keys)


def recipients(
    event: Event,
    subs: Mapping[int, Sequence[Subscription]],
    owners: Mapping[str, int],
    universe: Universe,
) -> list[int]:
    """Chat ids that should receive ``event``: the owner of a user rule, the followers of the
    event's pair, or every chat with a preset subscription for breadth."""
    if event.rule_id in owners:
        return [owners[event.rule_id]]
    if event.kind == "breadth":
        return [c for c, ss in subs.items() if any(s.kind == "preset" for s in ss)]
    named = set(event.pairs or ((event.pair,) if event.pair else ()))
    return [c for c, ss in subs.items() if named & set(chat_pairs(ss, universe))]


def zone(name: str) -> ZoneInfo:
    """The chat's timezone (New York when the stored name is unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("America/New_York")


def _hm(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def in_quiet_hours(chat: Chat, moment: dt.datetime) -> bool:
    """True when ``moment`` falls inside the chat's quiet hours (which may span midnight)."""
    if not chat.quiet_start or not chat.quiet_end:
        return False
    local = moment.astimezone(zone(chat.timezone)).time()
    start, end = _hm(chat.quiet_start), _hm(chat.quiet_end)
    if start <= end:
        return start <= local < end
    return local >= start or local < end


_GAP_WALK = dt.timedelta(minutes=180)


def quiet_end_after(chat: Chat, moment: dt.datetime) -> dt.datetime:
    """The first moment after ``moment`` outside quiet hours (``moment`` itself when not quiet).

    Normally the end time on the right day. When that wall time does not exist (a DST gap:
    02:30 on the spring-forward night) quiet hours end when the clock jumps, never inside the
    next quiet window; when it happens twice (fall back), at its first occurrence.
    """
    if not in_quiet_hours(chat, moment) or not chat.quiet_end:
        return moment
    tz = zone(chat.timezone)
    local = moment.astimezone(tz)
    for days in range(3):
        wall = dt.datetime.combine(local.date() + dt.timedelta(days=days), _hm(chat.quiet_end))
        # In a gap fold=1 is the earlier instant, in an overlap fold=0 is: try the earliest.
        instants = sorted(wall.replace(tzinfo=tz, fold=fold).astimezone(dt.UTC) for fold in (0, 1))
        for end in instants:
            if end <= moment - _GAP_WALK:
                continue
            # Inside a gap, the earlier reading of the end can lie before ``moment`` (01:30 EST
            # on the spring-forward night is after "02:30 EDT"): walk on from ``moment``.
            end = max(end, moment)
            for minute in range(0, 181):  # a gap lasts an hour (at most a few): walk across it
                probe = end + dt.timedelta(minutes=minute)
                if not in_quiet_hours(chat, probe):
                    return probe
    return moment + dt.timedelta(days=1)  # unreachable for a non-empty window; never loop


def send_after(chat: Chat, kind: str, urgent: bool, now: dt.datetime) -> dt.datetime:
    """When a message may go out: digests at the chat's digest time (at once when it is past),
    non-urgent alerts after quiet hours, urgent ones at once (sent silently when quiet)."""
    moment = now
    if kind == "digest" and chat.digest_time:
        tz = zone(chat.timezone)
        local = now.astimezone(tz)
        at = dt.datetime.combine(local.date(), _hm(chat.digest_time), tzinfo=tz)
        moment = max(now, at.astimezone(dt.UTC))
    if urgent:
        return moment
    return quiet_end_after(chat, moment)


def digest_body(
    snapshot: Snapshot,
    pairs: Iterable[str],
    folded: Sequence[Event] = (),
    urgent: int = 0,
) -> Digest:
    """The chat's one non-urgent message of the session: its pairs (regime, spreads,
    stretch), breadth, the session's folded alerts, and the count of urgent ones sent apart."""
    rows = []
    no_close: dict[str, dt.date | None] = {}
    for key in pairs:
        stats = snapshot.pairs.get(key)
        if key in snapshot.stale_pairs:  # no figures from an older close under today's date
            no_close[key] = snapshot.stale_pairs[key]
            continue
        if stats is None:
            continue
        regime = stats.regime
        rows.append(
            DigestRow(
                pair=key,
                label=stats.label,
                state=regime.state,
                since=regime.since,
                sessions=regime.sessions,
                pending=regime.pending,
                pending_side=regime.pending_side,
                spreads_pp=dict(stats.spreads_pp),
                stretch_z=stats.stretch_z,
                stretched=stats.stretched,
                gaps=dict(stats.gaps),
                gap_legs=stats.gap_legs,
            )
        )
    return Digest(
        session=snapshot.session,
        rows=tuple(rows),
        breadth=snapshot.breadth.state,
        confirmation=snapshot.breadth.confirmation,
        alerts=tuple(Folded(e.kind, e.payload) for e in folded),
        urgent=urgent,
        no_close=no_close,
    )


def digest_payload(
    snapshot: Snapshot, pairs: Iterable[str], folded: Sequence[Event] = (), urgent: int = 0
) -> dict[str, Any]:
    """``digest_body`` encoded for the outbox."""
    return encode(digest_body(snapshot, pairs, folded, urgent))


def fan_out(
    snapshot: Snapshot,
    events: Sequence[Event],
    chats: Mapping[int, Chat],
    subs: Mapping[int, Sequence[Subscription]],
    rules: Sequence[UserRule],
    universe: Universe,
    now: dt.datetime,
) -> list[NewMessage]:
    """Outbox rows: one per urgent event (a flip) and recipient chat, at once; then at most one
    more per chat for the session: the digest (when on) with that day's non-urgent alerts
    (stretch, breadth, thresholds, quadrant changes) folded in, or those alerts alone."""
    owners = {r.rule_id: r.chat_id for r in rules}
    out: list[NewMessage] = []
    folded: dict[int, list[Event]] = {}
    urgent: dict[int, int] = {}
    for event in events:
        for chat_id in recipients(event, subs, owners, universe):
            chat = chats.get(chat_id)
            if chat is None or not chat.active:
                continue
            if event.urgent:
                urgent[chat_id] = urgent.get(chat_id, 0) + 1
                out.append(_message(chat, event, snapshot, now))
            else:
                folded.setdefault(chat_id, []).append(event)
    key = f"digest:{snapshot.session.isoformat()}"
    for chat_id in dict.fromkeys([*subs, *folded]):
        chat = chats.get(chat_id)
        chat_subs = subs.get(chat_id, ())
        if chat is None or not chat.active:
            continue
        with_rows = chat.digest and bool(chat_subs)
        if not with_rows and not folded.get(chat_id):
            continue
        pairs = chat_pairs(chat_subs, universe) if with_rows else []
        body = digest_body(snapshot, pairs, folded.get(chat_id, ()), urgent.get(chat_id, 0))
        out.append(
            NewMessage(
                idem_key=idem_key(key, chat_id),
                event_key=key,
                chat_id=chat_id,
                kind="digest",
                session=snapshot.session,
                urgent=False,
                payload=encode(body),
                not_before=send_after(chat, "digest" if with_rows else "alerts", False, now),
            )
        )
    return out


def _message(chat: Chat, event: Event, snapshot: Snapshot, now: dt.datetime) -> NewMessage:
    payload = {**event.payload, "rule_id": event.rule_id, "event_key": event.key}
    return NewMessage(
        idem_key=idem_key(event.key, chat.chat_id),
        event_key=event.key,
        chat_id=chat.chat_id,
        kind=event.kind,
        session=snapshot.session,
        urgent=event.urgent,
        payload=payload,
        not_before=send_after(chat, event.kind, event.urgent, now),
    )


def dashboard_payload(snapshot: Snapshot, universe: Universe) -> dict:
    """What a pinned dashboard shows: every preset pair's regime and spreads, breadth, and the
    lead pair (whose chart it carries)."""
    keys = list(dict.fromkeys(k for ks in universe.presets.values() for k in ks))
    payload = digest_payload(snapshot, keys or list(snapshot.pairs))
    payload["pair"] = snapshot.lead_pair
    return payload


def dashboard_messages(
    snapshot: Snapshot, chat_ids: Iterable[int], universe: Universe, now: dt.datetime
) -> list[NewMessage]:
    """One dashboard update per chat for the session (its key makes it once per session)."""
    key = f"dashboard:{snapshot.session.isoformat()}"
    payload = dashboard_payload(snapshot, universe)
    return [
        NewMessage(
            idem_key=idem_key(key, chat_id),
            event_key=key,
            chat_id=chat_id,
            kind="dashboard",
            session=snapshot.session,
            urgent=False,
            payload=payload,
            not_before=now,
        )
        for chat_id in chat_ids
    ]
