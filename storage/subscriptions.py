"""The subscriptions table: which presets and pairs each chat follows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from storage.chats import CHAT_COLUMNS, Chat, chat_from_tuple
from storage.db import stamp


@dataclass(frozen=True)
class Subscription:
    """A chat follows a preset (``kind="preset"``) or one pair (``kind="pair"``)."""

    chat_id: int
    target: str
    kind: str


def subscribe(
    db: sqlite_utils.Database, chat_id: int, target: str, kind: str, *, now: dt.datetime
) -> bool:
    """Add a subscription; False when the chat already had it."""
    cur = db.conn.execute(
        "INSERT OR IGNORE INTO subscriptions (chat_id, target, kind, created_at) "
        "VALUES (?, ?, ?, ?)",
        [chat_id, target, kind, stamp(now)],
    )
    return cur.rowcount > 0


def unsubscribe(db: sqlite_utils.Database, chat_id: int, target: str | None = None) -> int:
    """Remove one subscription (or all of the chat's with ``target=None``); return the count."""
    if target is None:
        cur = db.conn.execute("DELETE FROM subscriptions WHERE chat_id = ?", [chat_id])
    else:
        cur = db.conn.execute(
            "DELETE FROM subscriptions WHERE chat_id = ? AND target = ?", [chat_id, target]
        )
    return int(cur.rowcount)


def chat_subscriptions(db: sqlite_utils.Database, chat_id: int) -> list[Subscription]:
    """The chat's subscriptions, presets first, then pairs, by name."""
    rows = db.execute(
        "SELECT chat_id, target, kind FROM subscriptions WHERE chat_id = ? "
        "ORDER BY kind DESC, target",
        [chat_id],
    ).fetchall()
    return [Subscription(int(c), str(t), str(k)) for c, t, k in rows]


def active_subscriptions(db: sqlite_utils.Database) -> dict[int, list[Subscription]]:
    """Subscriptions of every active chat, keyed by chat id."""
    rows = db.execute(
        "SELECT s.chat_id, s.target, s.kind FROM subscriptions s "
        "JOIN chats c ON c.chat_id = s.chat_id WHERE c.active = 1 "
        "ORDER BY s.chat_id, s.kind DESC, s.target"
    ).fetchall()
    out: dict[int, list[Subscription]] = {}
    for c, t, k in rows:
        out.setdefault(int(c), []).append(Subscription(int(c), str(t), str(k)))
    return out


def audience_page(
    db: sqlite_utils.Database, *, after: int | None, limit: int
) -> list[tuple[Chat, list[Subscription]]]:
    """Up to ``limit`` active chats with ids above ``after`` (None: from the start) that follow
    something or own an /alert rule, by id, each with its subscriptions (presets first).

    The daily fan-out reads its audience page by page (keyset on chat_id): a million chats are
    never held at once, and no read stays open across the fan-out's write transactions."""
    start = -(2**63) if after is None else after + 1
    cur = db.execute(
        f"SELECT {CHAT_COLUMNS} FROM chats AS c WHERE c.active = 1 AND c.chat_id >= ? AND ("
        "EXISTS (SELECT 1 FROM subscriptions AS s WHERE s.chat_id = c.chat_id) OR "
        "EXISTS (SELECT 1 FROM user_rules AS r WHERE r.chat_id = c.chat_id)) "
        "ORDER BY c.chat_id LIMIT ?",
        [start, limit],
    )
    chats = [chat_from_tuple(row) for row in cur]
    if not chats:
        return []
    subs: dict[int, list[Subscription]] = {c.chat_id: [] for c in chats}
    for c, t, k in db.execute(
        "SELECT chat_id, target, kind FROM subscriptions WHERE chat_id BETWEEN ? AND ? "
        "ORDER BY chat_id, kind DESC, target",
        [chats[0].chat_id, chats[-1].chat_id],
    ):
        found = subs.get(c)
        if found is not None:
            found.append(Subscription(c, t, k))
    return [(chat, subs[chat.chat_id]) for chat in chats]


def pair_targets(db: sqlite_utils.Database, chat_id: int | None = None) -> list[tuple[int, str]]:
    """(chat id, pair) of every single-pair subscription of an active chat (``chat_id``: of
    that chat only)."""
    one = "" if chat_id is None else " AND s.chat_id = ?"
    rows = db.query(
        "SELECT s.chat_id, s.target FROM subscriptions s JOIN chats c ON c.chat_id = s.chat_id "
        f"WHERE s.kind = 'pair' AND c.active = 1{one} ORDER BY s.chat_id, s.target",
        [] if chat_id is None else [chat_id],
    )
    return [(int(str(r["chat_id"])), str(r["target"])) for r in rows]
