"""Who receives what: default and user rules, events x subscribed chats, digests, quiet hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analytics.events import DashboardBody, Digest, DigestRow, Event, Folded, encode
from analytics.rules import METRICS, default_rules, metric_name
from analytics.types import Rule, Snapshot, Universe
from jobs.custom import is_universe_pair, scoped_pair, shown_name
from storage.chats import Chat
from storage.outbox import Kind, NewMessage, Payload, idem_key
from storage.rules import UserRule
from storage.subscriptions import Subscription

#: The rules every preset subscription brings: analytics' defaults (flip, breadth, stretch with
#: exit hysteresis) less quadrant changes, which stay on /quadrant. Each applies to every pair;
#: fan-out limits a pair's events to the chats that follow that pair.
DEFAULT_RULES: tuple[Rule, ...] = tuple(
    r for r in default_rules() if Kind(r.kind) is not Kind.QUADRANT
)
# Re-arm margin of a user threshold rule, in the metric's unit (avoids alert ping-pong).
_HYSTERESIS_BY_UNIT = {
    "pp": 0.5,
    "fraction": 0.005,
    "z": 0.25,
    "percentile": 5.0,
    "sessions": 0.0,
}
_DEFAULT_HYSTERESIS = 0.5


def user_rule(rule: UserRule, universe: Universe) -> Rule:
    """The analytics Rule of a stored /alert rule (edge-triggered threshold); a pair naming
    the chat's own basket is scoped to that chat (``jobs.custom.scoped_pair``)."""
    unit = METRICS.get(metric_name(rule.metric) or "", "")
    return Rule(
        id=rule.rule_id,
        kind="threshold",
        pair=scoped_pair(rule.chat_id, rule.pair, universe),
        metric=rule.metric,
        op=rule.op,  # type: ignore[arg-type]
        value=rule.value,
        hysteresis=_HYSTERESIS_BY_UNIT.get(unit, _DEFAULT_HYSTERESIS),
    )


def pipeline_rules(rules: Sequence[UserRule], universe: Universe) -> list[Rule]:
    """The rules a session is evaluated with: every preset's defaults, then the stored
    /alert rules (in id order)."""
    return [*DEFAULT_RULES, *(user_rule(r, universe) for r in rules)]


def chat_pairs(subs: Sequence[Subscription], universe: Universe) -> list[str]:
    """Pairs a chat follows (preset members, then single pairs), first-seen order; a pair
    naming the chat's own basket under its chat-scoped key (``jobs.custom.scoped_pair``)."""
    keys: dict[str, None] = {}
    for sub in subs:
        if sub.kind == "preset":
            members = universe.presets.get(sub.target, ())
        else:
            members = (scoped_pair(sub.chat_id, sub.target, universe),)
        for key in members:
            keys.setdefault(key, None)
    return list(keys)


def _follows_preset(sub: Subscription, presets: Mapping[str, object]) -> bool:
    return sub.kind == "preset" and sub.target in presets


def _follows(sub: Subscription, board: str) -> bool:
    return sub.kind == "preset" and sub.target == board


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


def send_after(
    chat: Chat, urgent: bool, now: dt.datetime, *, at_digest_time: bool = False
) -> dt.datetime:
    """When a message may go out: a digest of the chat's pairs (``at_digest_time``) at the
    chat's digest time (at once when it is past), non-urgent alerts after quiet hours, urgent
    ones at once (sent silently when quiet)."""
    moment = now
    if at_digest_time and chat.digest_time:
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
            no_close[shown_name(key)] = snapshot.stale_pairs[key]
            continue
        if stats is None:
            continue
        regime = stats.regime
        rows.append(
            DigestRow(
                pair=stats.key,  # as the chat reads it (a chat's own pair is keyed per chat)
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
) -> Payload:
    """``digest_body`` encoded for the outbox."""
    return encode(digest_body(snapshot, pairs, folded, urgent))


class Audience:
    """One session's events, ready to be addressed chat by chat.

    The fan-out walks the chats (streamed in pages by the daily job: no list of every chat)
    twice: first every chat's urgent messages (flips, sent at once), then every chat's one
    digest, so flips keep their place ahead of the session's digests in the queue. A payload
    is built once and shared by every chat that receives the same thing: one object per
    flip, one per distinct digest (pairs followed, alerts folded in, urgent count), which
    the outbox stores once."""

    def __init__(
        self,
        snapshot: Snapshot,
        events: Sequence[Event],
        rules: Sequence[UserRule],
        universe: Universe,
        now: dt.datetime,
    ) -> None:
        self.snapshot = snapshot
        self.events = tuple(events)
        self.universe = universe
        self.now = now
        self._owners = {r.rule_id: r.chat_id for r in rules}
        self._named = [frozenset(e.pairs or ((e.pair,) if e.pair else ())) for e in self.events]
        self._kinds = [Kind(e.kind) for e in self.events]
        self._flips: dict[str, Payload] = {}
        self._digests: dict[tuple[tuple[str, ...], tuple[str, ...], int], Payload] = {}
        self._pairs: dict[tuple[tuple[str, str], ...], tuple[str, ...]] = {}  # by subscriptions
        self.digest_key = f"digest:{snapshot.session.isoformat()}"

    def _received(self, chat_id: int, subs: Sequence[Subscription]) -> list[Event]:
        """The events this chat receives, in event order: a user rule's events by its owner
        only, breadth by followers of a pair preset, a watchlist's by its chat when it follows
        ``watch``, a board's (sectors, the weekly map) by its followers, the rest by followers
        of a pair the event names. The one routing rule of the fan-out."""
        out: list[Event] = []
        if not self.events:
            return out
        pairs: frozenset[str] | None = None
        for event, named, kind in zip(self.events, self._named, self._kinds, strict=True):
            owner = self._owners.get(event.rule_id)
            if owner is not None:
                if owner == chat_id:
                    out.append(event)
                continue
            if kind is Kind.BREADTH:  # followers of a pair preset (a board has no breadth)
                if any(_follows_preset(s, self.universe.presets) for s in subs):
                    out.append(event)
                continue
            if event.rule_id.startswith("watch:"):  # a chat's watchlist: that chat, if it follows
                owner_chat = int(event.rule_id.split(":", 1)[1])
                if owner_chat == chat_id and any(_follows(s, "watch") for s in subs):
                    out.append(event)
                continue
            if kind in (Kind.SECTOR, Kind.ROTATION_MAP):  # a board's followers
                board = event.rule_id.removeprefix("board:")
                if any(_follows(s, board) for s in subs):
                    out.append(event)
                continue
            if pairs is None:
                pairs = frozenset(self.pairs_of(subs))
            if named & pairs:
                out.append(event)
        return out

    def pairs_of(self, subs: Sequence[Subscription]) -> tuple[str, ...]:
        """``chat_pairs`` of these subscriptions (computed once per distinct set)."""
        # a chat's own pairs are its own: their chat is part of the memo's key
        own = any(s.kind == "pair" and not is_universe_pair(self.universe, s.target) for s in subs)
        key = tuple((s.kind, s.target) for s in subs) + (
            (("chat", str(subs[0].chat_id)),) if own else ()
        )
        found = self._pairs.get(key)
        if found is None:
            found = self._pairs[key] = tuple(chat_pairs(subs, self.universe))
        return found

    def _for(self, chat: Chat, subs: Sequence[Subscription]) -> list[Event]:
        """``_received``, less the weekly map when the chat turned it off."""
        received = self._received(chat.chat_id, subs)
        if chat.weekly_map:
            return received
        return [e for e in received if Kind(e.kind) is not Kind.ROTATION_MAP]

    def urgent(self, chat: Chat, subs: Sequence[Subscription]) -> list[NewMessage]:
        """The chat's urgent messages of the session (one per flip it receives)."""
        if not chat.active:
            return []
        return [self._message(chat, e) for e in self._for(chat, subs) if e.urgent]

    def digest(self, chat: Chat, subs: Sequence[Subscription]) -> NewMessage | None:
        """The chat's one non-urgent message of the session (None: nothing to say)."""
        if not chat.active:
            return None
        received = self._for(chat, subs)
        folded = tuple(e for e in received if not e.urgent)
        pairs = self.pairs_of(subs) if chat.digest else ()
        with_rows = bool(pairs)  # a board's followers get no empty digest on quiet days
        if not with_rows and not folded:
            return None
        urgent = len(received) - len(folded)
        memo = (pairs, tuple(e.key for e in folded), urgent)
        payload = self._digests.get(memo)
        if payload is None:
            body = digest_body(self.snapshot, pairs, folded, urgent)
            payload = self._digests[memo] = encode(body)
        return NewMessage(
            idem_key=idem_key(self.digest_key, chat.chat_id),
            event_key=self.digest_key,
            chat_id=chat.chat_id,
            kind=Kind.DIGEST,
            session=self.snapshot.session,
            urgent=False,
            payload=payload,
            not_before=send_after(chat, False, self.now, at_digest_time=with_rows),
        )

    def digests(self, chat: Chat, subs: Sequence[Subscription]) -> list[NewMessage]:
        """``digest`` as a list (empty or one message)."""
        found = self.digest(chat, subs)
        return [] if found is None else [found]

    def _message(self, chat: Chat, event: Event) -> NewMessage:
        payload = self._flips.get(event.key)
        if payload is None:
            payload = self._flips[event.key] = event.payload
        return NewMessage(
            idem_key=idem_key(event.key, chat.chat_id),
            event_key=event.key,
            chat_id=chat.chat_id,
            kind=Kind(event.kind),
            session=self.snapshot.session,
            urgent=event.urgent,
            payload=payload,
            not_before=send_after(chat, event.urgent, self.now),
        )


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
    (stretch, breadth, thresholds, quadrant changes) folded in, or those alerts alone.

    The whole audience in memory: for tests and small runs; the daily job streams it
    (``Audience`` over ``storage.subscriptions.audience_page``)."""
    audience = Audience(snapshot, events, rules, universe, now)
    owners = {r.chat_id for r in rules}
    order = sorted(c for c in chats if c in subs or c in owners)
    out: list[NewMessage] = []
    for chat_id in order:
        out += audience.urgent(chats[chat_id], subs.get(chat_id, ()))
    for chat_id in order:
        message = audience.digest(chats[chat_id], subs.get(chat_id, ()))
        if message is not None:
            out.append(message)
    return out


def dashboard_body(snapshot: Snapshot, universe: Universe) -> DashboardBody:
    """What a pinned dashboard shows: every preset pair's regime and spreads, breadth, and the
    lead pair (whose chart it carries)."""
    keys = list(dict.fromkeys(k for ks in universe.scoreboard_presets().values() for k in ks))
    digest = digest_body(snapshot, keys or list(snapshot.pairs))
    return DashboardBody(
        session=digest.session,
        pair=snapshot.lead_pair,
        rows=digest.rows,
        breadth=digest.breadth,
        no_close=digest.no_close,
    )


def dashboard_messages(
    snapshot: Snapshot, chat_ids: Iterable[int], universe: Universe, now: dt.datetime
) -> list[NewMessage]:
    """One dashboard update per chat for the session (its key makes it once per session)."""
    key = f"dashboard:{snapshot.session.isoformat()}"
    payload = encode(dashboard_body(snapshot, universe))
    return [
        NewMessage(
            idem_key=idem_key(key, chat_id),
            event_key=key,
            chat_id=chat_id,
            kind=Kind.DASHBOARD,
            session=snapshot.session,
            urgent=False,
            payload=payload,
            not_before=now,
        )
        for chat_id in chat_ids
    ]
