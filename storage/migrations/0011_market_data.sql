-- Market data you can trust (#21).
-- What the operators were last told about each stale symbol: reported when it goes stale,
-- then at most once a week, and once when it is back (analytics.stale decides).
CREATE TABLE stale_symbols (
    symbol TEXT PRIMARY KEY,
    since TEXT NOT NULL,          -- first session without its close
    last_close TEXT,              -- its last close when last judged (NULL: never had one)
    told TEXT NOT NULL            -- session of the last operator report about it
);
-- Two sources that answered for the same symbol and session with closes more than 0.5 %
-- apart. The stored row is kept as it was; ``told`` is set once the operators heard of it.
CREATE TABLE price_disagreements (
    symbol TEXT NOT NULL,
    date TEXT NOT NULL,
    stored_source TEXT NOT NULL,
    stored_close REAL NOT NULL,
    other_source TEXT NOT NULL,
    other_close REAL NOT NULL,
    seen_at TEXT NOT NULL,
    told INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (symbol, date, other_source)
);
