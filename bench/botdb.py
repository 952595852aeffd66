"""A bot database holding the 2000-symbol benchmark universe (504 sessions of bars)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from analytics.types import Universe
from bench.data import bench_data
from bench.storage_bench import backfill_rows
from storage.db import open_db
from storage.prices import upsert_prices


@dataclass(frozen=True)
class BotDb:
    """Where the database is, the universe it holds and its last session."""

    path: Path
    universe: Universe
    session: dt.date
    rows: int


def build_bot_db(path: Path) -> BotDb:
    """Store every bar of the benchmark frame in a fresh database at ``path``."""
    data = bench_data()
    db = open_db(path)
    rows = upsert_prices(db, backfill_rows(data.closes))
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return BotDb(path, data.universe, data.asof, rows)
