"""The user_rules table: threshold alerts a chat set with /alert PAIR METRIC OP VALUE."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from storage.db import stamp

#: Prefix of the analytics rule id of a stored user rule ("u17" for row 17).
RULE_ID_PREFIX = "u"


@dataclass(frozen=True)
class UserRule:
    """One stored threshold rule; ``rule_id`` is the id analytics sees."""

    id: int
    chat_id: int
    pair: str
    metric: str
    op: str
    value: float

    @property
    def rule_id(self) -> str:
        return f"{RULE_ID_PREFIX}{self.id}"


def add_rule(
    db: sqlite_utils.Database,
    chat_id: int,
    pair: str,
    metric: str,
    op: str,
    value: float,
    *,
    now: dt.datetime,
) -> UserRule:
    """Store a rule for the chat and return it with its id."""
    cur = db.conn.execute(
        "INSERT INTO user_rules (chat_id, pair, metric, op, value, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [chat_id, pair, metric, op, value, stamp(now)],
    )
    assert cur.lastrowid is not None
    return UserRule(int(cur.lastrowid), chat_id, pair, metric, op, float(value))


def delete_rule(db: sqlite_utils.Database, chat_id: int, rule_id: int) -> bool:
    """Delete the chat's rule ``rule_id`` (and its alert state); False if it is not theirs."""
    cur = db.conn.execute("DELETE FROM user_rules WHERE id = ? AND chat_id = ?", [rule_id, chat_id])
    if cur.rowcount:
        db.conn.execute("DELETE FROM alert_state WHERE slot = ?", [f"{RULE_ID_PREFIX}{rule_id}"])
    return cur.rowcount > 0


def chat_rules(db: sqlite_utils.Database, chat_id: int) -> list[UserRule]:
    """The chat's rules by id."""
    return _select(db, "WHERE chat_id = ? ORDER BY id", [chat_id])


def active_rules(db: sqlite_utils.Database) -> list[UserRule]:
    """Rules of every active chat, by id."""
    return _select(
        db,
        "WHERE chat_id IN (SELECT chat_id FROM chats WHERE active = 1) ORDER BY id",
        [],
    )


def _select(db: sqlite_utils.Database, where: str, params: list[object]) -> list[UserRule]:
    rows = db.execute(
        f"SELECT id, chat_id, pair, metric, op, value FROM user_rules {where}", params
    ).fetchall()
    return [UserRule(int(i), int(c), str(p), str(m), str(o), float(v)) for i, c, p, m, o, v in rows]
