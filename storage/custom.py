"""A chat's own baskets (/basket) and watchlist (/watch): the chat_baskets and chat_watchlist
tables. Limits and validation live with the commands; these functions only read and write."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlite_utils

from storage.db import stamp


@dataclass(frozen=True)
class ChatBasket:
    """One chat's basket: an equal-weight basket of ``members`` named ``name``."""

    chat_id: int
    name: str
    members: tuple[str, ...]


def save_basket(
    db: sqlite_utils.Database,
    chat_id: int,
    name: str,
    members: tuple[str, ...],
    *,
    now: dt.datetime,
) -> None:
    """Create or replace the chat's basket ``name``."""
    db.conn.execute(
        "INSERT INTO chat_baskets (chat_id, name, members, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (chat_id, name) DO UPDATE SET members = excluded.members",
        [chat_id, name, json.dumps(list(members)), stamp(now)],
    )


def delete_basket(db: sqlite_utils.Database, chat_id: int, name: str) -> bool:
    """Delete the chat's basket; False when it has none of that name."""
    cur = db.conn.execute(
        "DELETE FROM chat_baskets WHERE chat_id = ? AND name = ?", [chat_id, name]
    )
    return cur.rowcount > 0


def chat_baskets(db: sqlite_utils.Database, chat_id: int) -> list[ChatBasket]:
    """The chat's baskets by name."""
    rows = db.query(
        "SELECT chat_id, name, members FROM chat_baskets WHERE chat_id = ? ORDER BY name",
        [chat_id],
    )
    return [_basket(r) for r in rows]


def all_baskets(db: sqlite_utils.Database, chat_id: int | None = None) -> list[ChatBasket]:
    """Every chat's baskets (active chats only), by chat and name (``chat_id``: that chat's
    only)."""
    one = "" if chat_id is None else " AND b.chat_id = ?"
    rows = db.query(
        "SELECT b.chat_id, b.name, b.members FROM chat_baskets b JOIN chats c "
        f"ON c.chat_id = b.chat_id WHERE c.active = 1{one} ORDER BY b.chat_id, b.name",
        [] if chat_id is None else [chat_id],
    )
    return [_basket(r) for r in rows]


def _basket(row: dict[str, object]) -> ChatBasket:
    members = json.loads(str(row["members"]))
    return ChatBasket(int(str(row["chat_id"])), str(row["name"]), tuple(str(m) for m in members))


def add_watch(
    db: sqlite_utils.Database, chat_id: int, symbols: list[str], *, now: dt.datetime
) -> int:
    """Add symbols to the chat's watchlist (those already there are kept); how many were new."""
    written = stamp(now)
    before = db.conn.total_changes
    db.conn.executemany(
        "INSERT OR IGNORE INTO chat_watchlist (chat_id, symbol, created_at) VALUES (?, ?, ?)",
        [(chat_id, s, written) for s in symbols],
    )
    return int(db.conn.total_changes - before)


def remove_watch(db: sqlite_utils.Database, chat_id: int, symbols: list[str]) -> int:
    """Remove symbols from the chat's watchlist; how many were there."""
    before = db.conn.total_changes
    db.conn.executemany(
        "DELETE FROM chat_watchlist WHERE chat_id = ? AND symbol = ?",
        [(chat_id, s) for s in symbols],
    )
    return int(db.conn.total_changes - before)


def watchlist(db: sqlite_utils.Database, chat_id: int) -> list[str]:
    """The chat's watchlist, in the order symbols were added."""
    rows = db.query(
        "SELECT symbol FROM chat_watchlist WHERE chat_id = ? ORDER BY created_at, rowid",
        [chat_id],
    )
    return [str(r["symbol"]) for r in rows]


def all_watchlists(db: sqlite_utils.Database) -> dict[int, list[str]]:
    """Every active chat's watchlist (chats with at least one symbol)."""
    rows = db.query(
        "SELECT w.chat_id, w.symbol FROM chat_watchlist w JOIN chats c ON c.chat_id = w.chat_id "
        "WHERE c.active = 1 ORDER BY w.chat_id, w.created_at, w.rowid"
    )
    out: dict[int, list[str]] = {}
    for row in rows:
        out.setdefault(int(str(row["chat_id"])), []).append(str(row["symbol"]))
    return out
