-- Per-chat baskets (/basket NAME SYM ...), watchlists (/watch add SYM ...) and the sector
-- board's settings of a chat. members is a JSON list of symbols, in the order given.
CREATE TABLE chat_baskets (
    chat_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    members TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, name)
);

CREATE TABLE chat_watchlist (
    chat_id INTEGER NOT NULL,
    symbol TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, symbol)
);

-- The watchlist's benchmark (/watch vs IWM) and the weekly rotation map (/settings).
ALTER TABLE chats ADD COLUMN watch_benchmark TEXT NOT NULL DEFAULT 'SPY';
ALTER TABLE chats ADD COLUMN weekly_map INTEGER NOT NULL DEFAULT 1;
