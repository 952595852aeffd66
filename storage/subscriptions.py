"""The subscriptions table: which presets and pairs each chat follows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

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
