"""The chats table: register chats, active flag, per-chat settings, group-to-supergroup moves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import sqlite_utils

from storage.db import stamp, transaction

DEFAULT_TIMEZONE = "America/New_York"
_COLUMNS = (
    "chat_id, type, title, username, active, inactive_reason, digest, digest_time, "
    "quiet_start, quiet_end, timezone, thread_id, migrated_to, watch_benchmark, weekly_map"
)
#: The columns ``row_to_chat`` reads, qualified for a query that names the table ``c``.
CHAT_COLUMNS = ", ".join(f"c.{name}" for name in _COLUMNS.split(", "))
# Tables keyed by chat that follow a group to its new id when it becomes a supergroup.
_CHAT_TABLES = ("subscriptions", "user_rules", "dashboards", "chat_baskets", "chat_watchlist")


@dataclass(frozen=True)
class Chat:
    """One chat and its delivery settings (times are "HH:MM" in ``timezone``)."""

    chat_id: int
    type: str
    title: str | None = None
    username: str | None = None
    active: bool = True
    inactive_reason: str | None = None
    digest: bool = True
    digest_time: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    thread_id: int | None = None
    migrated_to: int | None = None
    watch_benchmark: str = "SPY"
    weekly_map: bool = True


def row_to_chat(row: dict[str, Any]) -> Chat:
    """A Chat from a dict row of ``_COLUMNS`` (sqlite-utils ``query``)."""
    return Chat(
        chat_id=int(row["chat_id"]),
        type=str(row["type"]),
        title=row["title"],
        username=row["username"],
        active=bool(row["active"]),
        inactive_reason=row["inactive_reason"],
        digest=bool(row["digest"]),
        digest_time=row["digest_time"],
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        timezone=str(row["timezone"]),
        thread_id=row["thread_id"],
        migrated_to=row["migrated_to"],
        watch_benchmark=str(row["watch_benchmark"]),
        weekly_map=bool(row["weekly_map"]),
    )


def chat_from_tuple(row: tuple[Any, ...]) -> Chat:
    """A Chat from a plain row of ``_COLUMNS`` (``execute``: no dict per row, for bulk reads)."""
    (chat_id, kind, title, username, active, reason, digest, digest_time, quiet_start,
     quiet_end, timezone, thread_id, migrated_to, watch_benchmark, weekly_map) = row  # fmt: skip
    return Chat(chat_id, kind, title, username, bool(active), reason, bool(digest), digest_time,
                quiet_start, quiet_end, timezone, thread_id, migrated_to, str(watch_benchmark),
                bool(weekly_map))  # fmt: skip


def get_chat(db: sqlite_utils.Database, chat_id: int) -> Chat | None:
    """The stored chat, or None."""
    rows = db.query(f"SELECT {_COLUMNS} FROM chats WHERE chat_id = ?", [chat_id])
    return next((row_to_chat(r) for r in rows), None)


def chats_by_id(db: sqlite_utils.Database, chat_ids: list[int]) -> dict[int, Chat]:
    """The stored chats among ``chat_ids`` (one query), keyed by id."""
    if not chat_ids:
        return {}
    marks = ",".join("?" * len(chat_ids))
    rows = db.query(f"SELECT {_COLUMNS} FROM chats WHERE chat_id IN ({marks})", chat_ids)
    return {chat.chat_id: chat for chat in map(row_to_chat, rows)}


def list_chats(db: sqlite_utils.Database, *, active_only: bool = True) -> list[Chat]:
    """Every stored chat (active ones only by default), by id."""
    where = " WHERE active = 1" if active_only else ""
    rows = db.query(f"SELECT {_COLUMNS} FROM chats{where} ORDER BY chat_id")
    return [row_to_chat(r) for r in rows]


def upsert_chat(
    db: sqlite_utils.Database,
    chat_id: int,
    chat_type: str,
    *,
    now: dt.datetime,
    title: str | None = None,
    username: str | None = None,
    active: bool = True,
) -> Chat:
    """Insert the chat or refresh its type, title and username; (re)activate it if asked."""
    written = stamp(now)
    db.conn.execute(
        "INSERT INTO chats (chat_id, type, title, username, active, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET type = excluded.type, "
        "title = COALESCE(excluded.title, title), username = COALESCE(excluded.username, "
        "username), active = excluded.active, inactive_reason = CASE WHEN excluded.active "
        "THEN NULL ELSE inactive_reason END, updated_at = excluded.updated_at",
        [chat_id, chat_type, title, username, int(active), written, written],
    )
    chat = get_chat(db, chat_id)
    assert chat is not None
    return chat


def set_active(
    db: sqlite_utils.Database,
    chat_id: int,
    active: bool,
    *,
    now: dt.datetime,
    reason: str | None = None,
) -> bool:
    """Set the active flag (with why it went inactive); True when the chat exists."""
    cur = db.conn.execute(
        "UPDATE chats SET active = ?, inactive_reason = ?, updated_at = ? WHERE chat_id = ?",
        [int(active), None if active else reason, stamp(now), chat_id],
    )
    return cur.rowcount > 0


def update_settings(db: sqlite_utils.Database, chat: Chat, *, now: dt.datetime) -> Chat:
    """Store the settings fields of ``chat`` (digest, times, timezone, thread)."""
    db.conn.execute(
        "UPDATE chats SET digest = ?, digest_time = ?, quiet_start = ?, quiet_end = ?, "
        "timezone = ?, thread_id = ?, watch_benchmark = ?, weekly_map = ?, updated_at = ? "
        "WHERE chat_id = ?",
        [
            int(chat.digest),
            chat.digest_time,
            chat.quiet_start,
            chat.quiet_end,
            chat.timezone,
            chat.thread_id,
            chat.watch_benchmark,
            int(chat.weekly_map),
            stamp(now),
            chat.chat_id,
        ],
    )
    stored = get_chat(db, chat.chat_id)
    return stored if stored is not None else chat


def migrate_chat(
    db: sqlite_utils.Database, old_id: int, new_id: int, *, now: dt.datetime
) -> Chat | None:
    """Move a chat to its new id (group upgraded to supergroup): settings, subscriptions,
    rules and undelivered outbox rows follow; the old row keeps ``migrated_to``. Idempotent.
    """
    old = get_chat(db, old_id)
    if old is None:
        return get_chat(db, new_id)
    written = stamp(now)
    with transaction(db) as conn:
        if get_chat(db, new_id) is None:
            moved = replace(old, chat_id=new_id, type="supergroup", migrated_to=None)
            conn.execute(
                f"INSERT INTO chats ({_COLUMNS}, created_at, updated_at) "
                f"VALUES ({', '.join('?' * (_COLUMNS.count(',') + 3))})",
                [*_chat_values(moved), written, written],
            )
        for table in _CHAT_TABLES:
            conn.execute(
                f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", [new_id, old_id]
            )
            conn.execute(f"DELETE FROM {table} WHERE chat_id = ?", [old_id])
        conn.execute(
            "UPDATE outbox SET chat_id = ? WHERE chat_id = ? AND status IN ('pending', 'sending')",
            [new_id, old_id],
        )
        conn.execute(
            "UPDATE chats SET active = 0, inactive_reason = 'migrated', migrated_to = ?, "
            "updated_at = ? WHERE chat_id = ?",
            [new_id, written, old_id],
        )
    return get_chat(db, new_id)


def _chat_values(chat: Chat) -> list[object]:
    return [
        chat.chat_id,
        chat.type,
        chat.title,
        chat.username,
        int(chat.active),
        chat.inactive_reason,
        int(chat.digest),
        chat.digest_time,
        chat.quiet_start,
        chat.quiet_end,
        chat.timezone,
        chat.thread_id,
        chat.migrated_to,
        chat.watch_benchmark,
        int(chat.weekly_map),
    ]


def chat_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many stored chats are active and inactive (for /status)."""
    rows = db.execute("SELECT active, COUNT(*) FROM chats GROUP BY active").fetchall()
    return {("active" if active else "inactive"): int(n) for active, n in rows}
