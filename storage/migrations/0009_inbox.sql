-- Updates received from Telegram, recorded before they are handled (storage/inbox.py). The bot
-- created this table from code before it was a migration: IF NOT EXISTS keeps those databases.
CREATE TABLE IF NOT EXISTS inbox (
    update_id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'received'
        CHECK (state IN ('received', 'processing', 'done')),
    pid INTEGER
);
