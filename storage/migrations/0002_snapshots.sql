-- One analytics snapshot per session (JSON of analytics.types.Snapshot.to_dict()).
-- Built by the daily job; read by chat commands. universe_hash ties it to the universe used.
CREATE TABLE snapshots (
    session TEXT NOT NULL,
    universe_hash TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (session, universe_hash)
);
