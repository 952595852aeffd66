-- Chats the bot knows (private, group, supergroup, channel) and their delivery settings.
-- active = 0 once the bot was removed, kicked or blocked; migrated_to keeps a forwarding id.
CREATE TABLE chats (
    chat_id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    title TEXT,
    username TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    digest INTEGER NOT NULL DEFAULT 1,
    digest_time TEXT,
    quiet_start TEXT,
    quiet_end TEXT,
    timezone TEXT NOT NULL DEFAULT 'America/New_York',
    thread_id INTEGER,
    migrated_to INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- What a chat follows: a preset name (kind 'preset') or a pair key (kind 'pair').
CREATE TABLE subscriptions (
    chat_id INTEGER NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('preset', 'pair')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, target)
);

-- User threshold rules (/alert PAIR METRIC OP VALUE), owned by one chat.
CREATE TABLE user_rules (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    pair TEXT NOT NULL,
    metric TEXT NOT NULL,
    op TEXT NOT NULL,
    value REAL NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX user_rules_chat ON user_rules (chat_id);

-- Rule state between sessions (analytics.rules.evaluate_rules), one JSON value per slot.
CREATE TABLE alert_state (
    slot TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    session TEXT NOT NULL
);

-- Messages to deliver: data (kind + JSON payload), never text. idem_key is unique per
-- (event key, chat): re-running a session inserts nothing new.
-- status: pending -> sending -> sent | dead (dead-lettered with last_error) | skipped.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    idem_key TEXT NOT NULL UNIQUE,
    event_key TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    session TEXT NOT NULL,
    urgent INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    message_id INTEGER
);

CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_chat ON outbox (chat_id, status);

-- Sessions the daily pipeline finished (state, outbox and this row commit together).
CREATE TABLE sessions_done (
    session TEXT NOT NULL,
    universe_hash TEXT NOT NULL,
    events INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    done_at TEXT NOT NULL,
    PRIMARY KEY (session, universe_hash)
);
