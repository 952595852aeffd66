-- Daily bars, one row per symbol and session. Dates are ISO text (YYYY-MM-DD).
CREATE TABLE prices (
    symbol TEXT NOT NULL,
    date TEXT NOT NULL,
    open REAL,
    high REAL,
    low REAL,
    close REAL NOT NULL CHECK (close > 0),
    volume REAL,
    source TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (symbol, date)
) WITHOUT ROWID;

CREATE INDEX prices_date ON prices (date);

-- One row per scheduled job run (refresh, daily pipeline, ...), for /status and catch-up.
CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    session TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    detail TEXT
);

CREATE INDEX job_runs_job ON job_runs (job, started_at);
