"""The outbox: messages to deliver as data, claimed one at a time, with an idempotency key.

Life of a row: ``pending`` -> ``sending`` (marked before the Bot API call) -> ``sent``, or
``dead`` (dead-lettered with the reason), or back to ``pending`` with a later ``not_before``
(retry). A row found in ``sending`` when a sender starts was in flight when the previous process
died: it is sent again (the only message that can repeat).

A row names its data by ``payload_id`` (migration 0010): the payload of an event, a flip's
chart data, a digest shared by every chat that follows the same pairs is stored once in
``payloads`` however many chats receive it, and read (and decoded) once per batch.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlite_utils

from storage.db import payload_hash, stamp, transaction


class Kind(StrEnum):
    """Every kind an outbox row can have: the alerts rules raise, the day's digest, and a
    pinned dashboard's update. ``analytics.events.KINDS`` gives each its body type (a test
    keeps the two the same set); a row of any other kind is refused (``UnknownKind``)."""

    FLIP = "flip"
    STRETCH = "stretch"
    BREADTH = "breadth"
    THRESHOLD = "threshold"
    QUADRANT = "quadrant"
    SPREAD_MOVE = "spread_move"
    SECTOR = "sector"
    ROTATION_MAP = "rotation_map"
    DIGEST = "digest"
    DASHBOARD = "dashboard"


class Status(StrEnum):
    """Where a row is in its life (module docstring); ``skipped``: its chat or dashboard is
    gone, it will not be sent."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    SKIPPED = "skipped"


class UnknownKind(ValueError):
    """A stored row's kind is not a ``Kind`` (written by another version of the bot?)."""

    def __init__(self, where: str, kind: object) -> None:
        self.kind = kind
        known = ", ".join(k.value for k in Kind)
        super().__init__(
            f"{where} has kind {kind!r}, which this version does not know (known: {known})"
        )


_KINDS = frozenset(Kind)
#: A JSON object as the outbox stores it: the encoded body of the row's kind (decoded with
#: ``analytics.events.decode``).
Payload = dict[str, object]
#: Kinds that are not alerts: /why explains, and pruning keeps, the last row of another kind.
_NOT_ALERTS = f"('{Kind.DIGEST.value}', '{Kind.DASHBOARD.value}')"

_COLUMNS = (
    "id, idem_key, event_key, chat_id, kind, session, urgent, payload_id, status, attempts, "
    "not_before, last_error, sent_at, message_id"
)


@dataclass(frozen=True)
class OutboxRow:
    """One message to deliver: what (kind + payload) to whom (chat) and its progress."""

    id: int
    idem_key: str
    event_key: str
    chat_id: int
    kind: Kind
    session: dt.date
    urgent: bool
    payload: Payload
    status: Status
    attempts: int
    not_before: dt.datetime
    last_error: str | None = None
    sent_at: dt.datetime | None = None
    message_id: int | None = None
    #: The stored payload's id: rows with the same id carry the same data (0: not stored).
    payload_id: int = 0


@dataclass(frozen=True)
class NewMessage:
    """A row to queue; ``idem_key`` must be unique per (event key, chat)."""

    idem_key: str
    event_key: str
    chat_id: int
    kind: Kind
    session: dt.date
    urgent: bool
    payload: Payload
    not_before: dt.datetime


def idem_key(event_key: str, chat_id: int) -> str:
    """The idempotency key of an event for a chat."""
    return f"{event_key}@{chat_id}"


def _rows(db: sqlite_utils.Database, rows: Iterable[dict[str, Any]]) -> list[OutboxRow]:
    """OutboxRows from dict rows of ``_COLUMNS``; each distinct payload read and decoded once
    (rows that share it share the decoded dict: read it, never change it)."""
    found = list(rows)
    ids = sorted({int(r["payload_id"]) for r in found})
    bodies: dict[int, Payload] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for pid, body in db.execute(f"SELECT id, body FROM payloads WHERE id IN ({marks})", chunk):
            bodies[int(pid)] = json.loads(body)
    return [_row(r, bodies[int(r["payload_id"])]) for r in found]


def _kind(row_id: int, kind: object) -> Kind:
    """The stored kind as a ``Kind``; ``UnknownKind`` for any other value."""
    try:
        return Kind(str(kind))
    except ValueError:
        raise UnknownKind(f"outbox row {row_id}", kind) from None


def _row(row: dict[str, Any], payload: Payload) -> OutboxRow:
    """An OutboxRow from a dict row of ``_COLUMNS`` (sqlite-utils ``query``) and its payload."""
    sent = row["sent_at"]
    return OutboxRow(
        id=int(row["id"]),
        idem_key=str(row["idem_key"]),
        event_key=str(row["event_key"]),
        chat_id=int(row["chat_id"]),
        kind=_kind(int(row["id"]), row["kind"]),
        session=dt.date.fromisoformat(row["session"]),
        urgent=bool(row["urgent"]),
        payload=payload,
        status=Status(row["status"]),
        attempts=int(row["attempts"]),
        not_before=dt.datetime.fromisoformat(row["not_before"]),
        last_error=row["last_error"],
        sent_at=None if sent is None else dt.datetime.fromisoformat(sent),
        message_id=row["message_id"],
        payload_id=int(row["payload_id"]),
    )


class PayloadIds:
    """Stored payload ids by payload object, for one fan-out (its batches share payloads:
    each distinct payload is encoded, hashed and looked up once, not once per row)."""

    def __init__(self) -> None:
        self._by_object: dict[int, tuple[Payload, int]] = {}

    def of(self, conn: sqlite3.Connection, payload: Payload, now: dt.datetime) -> int:
        """The id of ``payload`` in ``payloads`` (stored now if it is new)."""
        known = self._by_object.get(id(payload))
        if known is not None and known[0] is payload:
            return known[1]
        pid = store_payload(conn, payload, now=now)
        self._by_object[id(payload)] = (payload, pid)  # the object kept: its id stays its own
        return pid


def store_payload(conn: sqlite3.Connection, payload: Payload, *, now: dt.datetime) -> int:
    """Store ``payload`` once (by the hash of its JSON text); its id, new or existing."""
    body = json.dumps(payload)
    digest = payload_hash(body)
    conn.execute(
        "INSERT OR IGNORE INTO payloads (hash, body, created_at) VALUES (?, ?, ?)",
        [digest, body, stamp(now)],
    )
    return int(conn.execute("SELECT id FROM payloads WHERE hash = ?", [digest]).fetchone()[0])


def enqueue(
    conn: sqlite3.Connection,
    rows: Iterable[NewMessage],
    *,
    now: dt.datetime,
    payloads: PayloadIds | None = None,
) -> int:
    """Insert rows, ignoring keys already queued; return how many were new (in a transaction).

    Each distinct payload is stored once; ``payloads`` carries the ids across the batches of
    one fan-out."""
    ids = payloads if payloads is not None else PayloadIds()
    created = stamp(now)
    # A fan-out's rows share a few sessions and send times: each is formatted once.
    stamps: dict[dt.datetime, str] = {}
    days: dict[dt.date, str] = {}
    values = []
    for r in rows:
        when = stamps.get(r.not_before)
        if when is None:
            when = stamps[r.not_before] = stamp(r.not_before)
        day = days.get(r.session)
        if day is None:
            day = days[r.session] = r.session.isoformat()
        if r.kind not in _KINDS:
            raise UnknownKind(f"a message for chat {r.chat_id}", r.kind)
        pid = ids.of(conn, r.payload, now)
        values.append(
            (r.idem_key, r.event_key, r.chat_id, r.kind, day, int(r.urgent), pid, when, created)
        )
    added = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO outbox (idem_key, event_key, chat_id, kind, session, urgent, "
        "payload_id, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    return conn.total_changes - added


# An earlier row of the same chat that holds a row back (messages of a chat keep their
# order): one in flight, or one that failed and waits for its retry.
_HELD_BACK = (
    "NOT EXISTS (SELECT 1 FROM outbox AS e WHERE e.chat_id = outbox.chat_id AND e.id < outbox.id "
    "AND (e.status = 'sending' OR (e.status = 'pending' AND (e.last_error IS NOT NULL{due}))))"
)


def due_rows(db: sqlite_utils.Database, now: dt.datetime, limit: int) -> list[OutboxRow]:
    """Up to ``limit`` pending rows due at ``now`` for active chats, oldest first.

    At most one row per chat: a row waits while an earlier row of its chat is due, in
    flight, or failed and waiting for its retry (rows held by quiet hours do not block).
    """
    held = _HELD_BACK.format(due=" OR e.not_before <= ?")
    written = stamp(now)
    # Walk the pending rows in id order and stop at ``limit`` (migration 0008). Left to
    # itself SQLite picks outbox_due and sorts every pending row: 10 ms a read during a
    # 5000-chat broadcast, which stalls the sends in flight.
    rows = db.query(
        f"SELECT {_COLUMNS} FROM outbox INDEXED BY outbox_pending "
        "WHERE status = 'pending' AND not_before <= ? "
        "AND EXISTS (SELECT 1 FROM chats AS c WHERE c.chat_id = outbox.chat_id AND c.active = 1) "
        f"AND {held} ORDER BY id LIMIT ?",
        [written, written, limit],
    )
    return _rows(db, rows)


def next_due(db: sqlite_utils.Database) -> dt.datetime | None:
    """When the earliest pending row for an active chat becomes due (None: nothing pending);
    rows held back behind a failed earlier row of their chat wait for that one."""
    row = db.execute(
        # Without the hint SQLite may search the pending rows chat by chat (every active chat).
        "SELECT MIN(not_before) FROM outbox INDEXED BY outbox_due WHERE status = 'pending' "
        "AND chat_id IN (SELECT chat_id FROM chats WHERE active = 1) AND "
        + _HELD_BACK.format(due="")
    ).fetchone()
    return None if row is None or row[0] is None else dt.datetime.fromisoformat(row[0])


#: A claim older than this is requeued even if its process still exists (hung, or a reused
#: pid). Every drain checks it; a send gives up long before
#: (bot.delivery.sender.SEND_TIMEOUT_SECONDS).
CLAIM_LEASE_SECONDS = 300


def claim(db: sqlite_utils.Database, row_id: int) -> bool:
    """Mark a pending row 'sending' (before the Bot API call), held by this process since now
    (wall clock); False if another sender won."""
    cur = db.conn.execute(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = ?, "
        "claimed_at = strftime('%Y-%m-%dT%H:%M:%S', 'now') WHERE id = ? AND status = 'pending'",
        [os.getpid(), row_id],
    )
    return cur.rowcount == 1


def claim_many(db: sqlite_utils.Database, row_ids: list[int]) -> set[int]:
    """``claim`` several rows in one transaction; the ids this process now holds."""
    pid = os.getpid()
    won: set[int] = set()
    with transaction(db) as conn:
        for row_id in row_ids:
            cur = conn.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = ?, "
                "claimed_at = strftime('%Y-%m-%dT%H:%M:%S', 'now') "
                "WHERE id = ? AND status = 'pending'",
                [pid, row_id],
            )
            if cur.rowcount == 1:
                won.add(row_id)
    return won


def mark_sent_many(
    db: sqlite_utils.Database, sent: list[tuple[int, int | None]], *, now: dt.datetime
) -> None:
    """``mark_sent`` for (row id, message id) pairs in one transaction."""
    written = stamp(now)
    with transaction(db) as conn:
        conn.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, last_error = NULL "
            "WHERE id = ?",
            [(written, message_id, row_id) for row_id, message_id in sent],
        )


def mark_sent(
    db: sqlite_utils.Database, row_id: int, *, now: dt.datetime, message_id: int | None
) -> None:
    """The Bot API accepted the message."""
    db.conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, last_error = NULL "
        "WHERE id = ?",
        [stamp(now), message_id, row_id],
    )


def mark_dead(db: sqlite_utils.Database, row_id: int, reason: str) -> None:
    """Dead-letter the row with the reason; it is never retried."""
    db.conn.execute(
        "UPDATE outbox SET status = 'dead', last_error = ? WHERE id = ?", [reason, row_id]
    )


def release(
    db: sqlite_utils.Database,
    row_id: int,
    *,
    not_before: dt.datetime,
    error: str | None = None,
    refund: bool = False,
) -> None:
    """Put the row back to 'pending' until ``not_before``; ``refund`` un-counts the attempt
    (a flood wait is not the message's fault)."""
    db.conn.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ?, "
        "attempts = attempts - ? WHERE id = ?",
        [stamp(not_before), error, int(refund), row_id],
    )


def retarget(db: sqlite_utils.Database, row_id: int, chat_id: int) -> None:
    """Point one row at another chat id (after ChatMigrated)."""
    db.conn.execute("UPDATE outbox SET chat_id = ? WHERE id = ?", [chat_id, row_id])


def requeue_inflight(db: sqlite_utils.Database) -> int:
    """Rows left 'sending' by a sender that is gone: back to 'pending'. Every drain calls it.

    A row held by a live process (another `rotation-bot` on the same database, or this one)
    is left alone unless its claim is older than CLAIM_LEASE_SECONDS (a hung or recycled pid).
    """
    holders = [r[0] for r in db.execute(
        "SELECT DISTINCT claimed_by FROM outbox WHERE status = 'sending'"
    )]  # fmt: skip
    gone = [int(pid) for pid in holders if pid is not None and not _alive(int(pid))]
    marks = ",".join("?" * len(gone)) or "NULL"
    cur = db.conn.execute(
        "UPDATE outbox SET status = 'pending', claimed_by = NULL WHERE status = 'sending' AND ("
        f"claimed_by IS NULL OR claimed_by IN ({marks}) OR claimed_at IS NULL "
        "OR claimed_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', ?))",
        [*gone, f"-{CLAIM_LEASE_SECONDS} seconds"],
    )
    return int(cur.rowcount)


def _alive(pid: int) -> bool:
    """True when a process with this id runs on this machine (the database is a local file)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def skip_chat(db: sqlite_utils.Database, chat_id: int, reason: str) -> int:
    """Mark every undelivered row of a chat 'skipped' (the chat is gone)."""
    cur = db.conn.execute(
        "UPDATE outbox SET status = 'skipped', last_error = ? "
        "WHERE chat_id = ? AND status = 'pending'",
        [reason, chat_id],
    )
    return int(cur.rowcount)


def last_sent(
    db: sqlite_utils.Database, chat_id: int, *, alerts_only: bool = True
) -> OutboxRow | None:
    """The last row delivered to the chat (digests left out by default)."""
    extra = f" AND kind NOT IN {_NOT_ALERTS}" if alerts_only else ""
    rows = db.query(
        f"SELECT {_COLUMNS} FROM outbox WHERE chat_id = ? AND status = 'sent'{extra} "
        "ORDER BY sent_at DESC, id DESC LIMIT 1",
        [chat_id],
    )
    return next(iter(_rows(db, rows)), None)


def rows_for(
    db: sqlite_utils.Database, *, chat_id: int | None = None, session: dt.date | None = None
) -> list[OutboxRow]:
    """Rows of one chat and/or one session, by id."""
    where: list[str] = []
    params: list[object] = []
    if chat_id is not None:
        where.append("chat_id = ?")
        params.append(chat_id)
    if session is not None:
        where.append("session = ?")
        params.append(session.isoformat())
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = db.query(f"SELECT {_COLUMNS} FROM outbox{clause} ORDER BY id", params)
    return _rows(db, rows)


#: The index holding each status's rows, every status but 'sent' (migration 0013): the rows
#: still to send, and the few that failed or were dropped.
_STATUS_INDEX = {
    Status.PENDING: "outbox_pending",
    Status.SENDING: "outbox_sending",
    Status.DEAD: "outbox_dead",
    Status.SKIPPED: "outbox_skipped",
}


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows per status (a status without rows left out). Each status but 'sent' is counted
    from its own index and 'sent' is the rest of the table: a week of sent rows (700,000
    with 100,000 chats) is never read row by row."""
    found = {
        status.value: int(db.execute(
            f"SELECT COUNT(*) FROM outbox INDEXED BY {index} WHERE status = '{status.value}'"
        ).fetchone()[0])
        for status, index in _STATUS_INDEX.items()
    }  # fmt: skip
    total = int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
    found[Status.SENT.value] = total - sum(found.values())
    return {status: n for status, n in found.items() if n}


@dataclass(frozen=True)
class Pruned:
    """What one prune deleted."""

    rows: int
    payloads: int


#: How long finished rows are kept by default (OUTBOX_RETENTION_DAYS): long enough to look
#: into last week's deliveries, short enough that the file stays the size of a week's rows.
DEFAULT_RETENTION = dt.timedelta(days=7)
#: Rows deleted per transaction by ``prune`` (each holds the write lock a few milliseconds).
PRUNE_BATCH = 2000


def prune(db: sqlite_utils.Database, *, before: dt.datetime, batch: int = PRUNE_BATCH) -> Pruned:
    """Delete finished rows (sent, dead, skipped) queued before ``before``, then the payloads
    no row names any more and stored before ``before``, a batch per transaction.

    Kept: rows still to deliver or in flight, and each chat's last delivered alert (what
    /why explains, however old). Freed pages are reused by the next sessions' rows.
    """
    steps = list(prune_steps(db, before=before, batch=batch))
    return steps[-1] if steps else Pruned(0, 0)


def prune_steps(
    db: sqlite_utils.Database, *, before: dt.datetime, batch: int = PRUNE_BATCH
) -> Iterator[Pruned]:
    """``prune`` a batch at a time: yields the running totals after each transaction."""
    cutoff = db.execute(
        "SELECT MAX(id) FROM outbox WHERE created_at < ?", [stamp(before)]
    ).fetchone()[0]
    rows = 0
    last = 0
    while cutoff is not None:
        with transaction(db) as conn:
            ids = [r[0] for r in conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox AS o WHERE id > ? "
                "AND id <= ? AND status IN ('sent', 'dead', 'skipped') "
                f"AND (status != 'sent' OR kind IN {_NOT_ALERTS} "
                "OR EXISTS (SELECT 1 FROM outbox AS e WHERE e.chat_id = o.chat_id "
                f"AND e.status = 'sent' AND e.kind NOT IN {_NOT_ALERTS} AND e.id > o.id)) "
                "ORDER BY id LIMIT ?) RETURNING id",
                [last, cutoff, batch],
            )]  # fmt: skip
        if not ids:
            break
        last = max(ids)
        rows += len(ids)
        yield Pruned(rows, 0)
    payloads = 0
    while True:
        with transaction(db) as conn:
            cur = conn.execute(
                "DELETE FROM payloads WHERE id IN (SELECT id FROM payloads AS p "
                "WHERE created_at < ? AND NOT EXISTS "
                "(SELECT 1 FROM outbox WHERE payload_id = p.id) LIMIT ?)",
                [stamp(before), batch],
            )
        payloads += cur.rowcount
        yield Pruned(rows, payloads)
        if cur.rowcount < batch:
            break
