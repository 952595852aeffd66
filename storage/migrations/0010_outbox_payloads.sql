-- Store once, address many: a message's data (an event's payload, a flip's chart data, a
-- digest shared by every chat that follows the same pairs) is kept once in `payloads`, and
-- each outbox row names it by `payload_id`. A flip to 100,000 chats was 100,000 copies of
-- about 260 sessions of chart data (10-15 KB a row); it is now one payload and 100,000 small
-- rows. `hash` is the SHA-256 of the JSON text (storage.db registers payload_hash on every
-- connection): enqueuing the same data again reuses its row. AUTOINCREMENT: an id is never
-- reused after pruning, so a cache keyed by payload id stays true.
CREATE TABLE payloads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash BLOB NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

INSERT OR IGNORE INTO payloads (hash, body, created_at)
    SELECT payload_hash(payload), payload, created_at FROM outbox ORDER BY id;

-- The outbox without its payload copies (same columns otherwise; rows keep their ids, so
-- their order and idempotency keys are unchanged).
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    idem_key TEXT NOT NULL UNIQUE,
    event_key TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    session TEXT NOT NULL,
    urgent INTEGER NOT NULL DEFAULT 0,
    payload_id INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    message_id INTEGER,
    claimed_by INTEGER,
    claimed_at TEXT
);

INSERT INTO outbox_new (id, idem_key, event_key, chat_id, kind, session, urgent, payload_id,
                        status, attempts, not_before, last_error, created_at, sent_at,
                        message_id, claimed_by, claimed_at)
    SELECT o.id, o.idem_key, o.event_key, o.chat_id, o.kind, o.session, o.urgent, p.id,
           o.status, o.attempts, o.not_before, o.last_error, o.created_at, o.sent_at,
           o.message_id, o.claimed_by, o.claimed_at
    FROM outbox AS o JOIN payloads AS p ON p.hash = payload_hash(o.payload);

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_chat ON outbox (chat_id, status);
CREATE INDEX outbox_pending ON outbox (status, id);
-- Which rows name a payload: pruning deletes a payload only when no row names it any more.
CREATE INDEX outbox_payload ON outbox (payload_id);
