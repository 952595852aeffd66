"""Pinned live dashboards (one bot message per chat, edited after each daily run) and the
Telegram file ids of charts the bot sent (reused by inline answers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from storage.db import stamp, transaction

_COLUMNS = (
    "chat_id, message_id, kind, admin_id, status, pinned, pin_error, session, content_key, posts"
)


@dataclass(frozen=True)
class Dashboard:
    """A chat's dashboard message and what it shows."""

    chat_id: int
    message_id: int
    kind: str
    admin_id: int | None
    status: str
    pinned: bool
    pin_error: str | None
    session: dt.date | None
    content_key: str | None
    posts: int

    @property
    def active(self) -> bool:
        """True until /dashboard off."""
        return self.status == "active"


def _row(values: tuple) -> Dashboard:
    chat, mid, kind, admin, status, pinned, err, session, key, posts = values
    return Dashboard(
        chat_id=int(chat),
        message_id=int(mid),
        kind=str(kind),
        admin_id=None if admin is None else int(admin),
        status=str(status),
        pinned=bool(pinned),
        pin_error=err,
        session=None if session is None else dt.date.fromisoformat(session),
        content_key=key,
        posts=int(posts),
    )


def get_dashboard(db: sqlite_utils.Database, chat_id: int) -> Dashboard | None:
    """The chat's dashboard (active or stopped), or None."""
    row = db.execute(f"SELECT {_COLUMNS} FROM dashboards WHERE chat_id = ?", [chat_id]).fetchone()
    return None if row is None else _row(row)


def active_dashboards(db: sqlite_utils.Database) -> list[Dashboard]:
    """Every active dashboard of an active chat, by chat id."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM dashboards WHERE status = 'active' "
        "AND chat_id IN (SELECT chat_id FROM chats WHERE active = 1) ORDER BY chat_id"
    ).fetchall()
    return [_row(r) for r in rows]


def save_posted(
    db: sqlite_utils.Database,
    chat_id: int,
    *,
    message_id: int,
    kind: str,
    admin_id: int | None,
    pinned: bool,
    pin_error: str | None,
    session: dt.date,
    content_key: str,
    now: dt.datetime,
) -> Dashboard:
    """A dashboard message was posted (first time, restarted, or re-posted after deletion)."""
    written = stamp(now)
    db.conn.execute(
        "INSERT INTO dashboards (chat_id, message_id, kind, admin_id, status, pinned, pin_error, "
        "session, content_key, posts, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, 1, ?, ?) "
        "ON CONFLICT (chat_id) DO UPDATE SET message_id = excluded.message_id, "
        "kind = excluded.kind, admin_id = COALESCE(excluded.admin_id, dashboards.admin_id), "
        "status = 'active', pinned = excluded.pinned, pin_error = excluded.pin_error, "
        "session = excluded.session, content_key = excluded.content_key, "
        "posts = dashboards.posts + 1, updated_at = excluded.updated_at",
        [chat_id, message_id, kind, admin_id, int(pinned), pin_error, session.isoformat(),
         content_key, written, written],
    )  # fmt: skip
    found = get_dashboard(db, chat_id)
    assert found is not None
    return found


def save_edited(
    db: sqlite_utils.Database,
    chat_id: int,
    *,
    session: dt.date,
    content_key: str,
    kind: str,
    now: dt.datetime,
) -> None:
    """The dashboard message now shows ``session`` (edited, or found already up to date)."""
    db.conn.execute(
        "UPDATE dashboards SET session = ?, content_key = ?, kind = ?, updated_at = ? "
        "WHERE chat_id = ?",
        [session.isoformat(), content_key, kind, stamp(now), chat_id],
    )


def stop_dashboard(
    db: sqlite_utils.Database, chat_id: int, *, now: dt.datetime
) -> Dashboard | None:
    """/dashboard off: stop editing it and drop its undelivered updates; the stopped row."""
    found = get_dashboard(db, chat_id)
    if found is None or not found.active:
        return None
    with transaction(db) as conn:
        conn.execute(
            "UPDATE dashboards SET status = 'stopped', pinned = 0, updated_at = ? "
            "WHERE chat_id = ?",
            [stamp(now), chat_id],
        )
        conn.execute(
            "UPDATE outbox SET status = 'skipped', last_error = 'dashboard stopped' "
            "WHERE chat_id = ? AND kind = 'dashboard' AND status = 'pending'",
            [chat_id],
        )
    return found


# -- chart file ids ------------------------------------------------------------------------


def save_chart_file(
    db: sqlite_utils.Database, chart: str, session: dt.date, file_id: str, *, now: dt.datetime
) -> None:
    """Remember the Telegram file id of a chart the bot sent (the latest one wins)."""
    db.conn.execute(
        "INSERT INTO chart_files (chart, session, file_id, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (chart, session) DO UPDATE SET file_id = excluded.file_id",
        [chart, session.isoformat(), file_id, stamp(now)],
    )


def chart_file(db: sqlite_utils.Database, chart: str, session: dt.date) -> str | None:
    """The file id of ``chart`` as of ``session`` if the bot sent it before."""
    row = db.execute(
        "SELECT file_id FROM chart_files WHERE chart = ? AND session = ?",
        [chart, session.isoformat()],
    ).fetchone()
    return None if row is None else str(row[0])
