-- Pinned live dashboards: one per chat (a group, or a channel set up from a private chat).
-- message_id is the bot message that is edited after each daily run; kind says how to edit it
-- ('photo': media + caption, 'text'). content_key fingerprints what it shows now, so an edit
-- that would change nothing is not sent. admin_id is told when pinning fails.
-- status: 'active' or 'stopped' (/dashboard off).
CREATE TABLE dashboards (
    chat_id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'text')),
    admin_id INTEGER,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped')),
    pinned INTEGER NOT NULL DEFAULT 0,
    pin_error TEXT,
    session TEXT,
    content_key TEXT,
    posts INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Telegram file ids of charts the bot sent (per chart and session), for inline results.
CREATE TABLE chart_files (
    chart TEXT NOT NULL,
    session TEXT NOT NULL,
    file_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (chart, session)
);
