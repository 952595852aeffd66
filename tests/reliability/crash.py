"""Crash trials: run `python -m bot daily` against the Bot API fake, SIGKILL it at a seeded
random point (refresh, fan-out, sending), restart until it finishes, and check the database
and what every chat received."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import BUNDLED_DATA_DIR
from storage.db import open_db
from tests.fakes.botapi import FakeBotApi
from tests.reliability.conftest import FLIP_DAY, OPERATOR, add_subscriber
from tests.reliability.delivery import deliveries

ROOT = Path(__file__).resolve().parents[2]
PHASES = ("refresh", "fan-out", "sending")
CHATS = tuple(range(8001, 8009))


@dataclass
class CrashFigures:
    """What the trials saw, for the report."""

    trials: int = 0
    attempts: int = 0  # kills aimed: ``kills`` per trial
    finished_first: int = 0  # runs that ended on their own before the kill landed
    kills: Counter[str] = field(default_factory=Counter)  # phase reached, from what it committed
    duplicates: int = 0  # extra copies beyond the in-flight allowance (must stay 0)
    inflight_repeats: int = 0  # the documented case: the row in flight when killed
    missing: int = 0

    def line(self) -> str:
        """E.g. "3 trials, 6 kills aimed: 5 landed (stopped in refresh 2, fan-out 0, sending 3),
        1 run finished first; ...". A kill is counted in the phase its run had reached by what
        it committed, which may be past the phase it was aimed at."""
        landed = sum(self.kills.values())
        phases = ", ".join(f"{p} {self.kills[p]}" for p in PHASES)
        return (
            f"{self.trials} trials, {self.attempts} kills aimed: {landed} landed (stopped in "
            f"{phases}), {self.finished_first} run(s) finished first; duplicates "
            f"{self.duplicates}, in-flight repeats {self.inflight_repeats}, missing {self.missing}"
        )


def env_for(fake: FakeBotApi, database: Path, home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "PTB_TIMEDELTA": "true",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_PATH": str(database),
        "MARKET_DATA_SOURCE": "csv",
        "MARKET_DATA_DIR": str(BUNDLED_DATA_DIR),
        "OPERATOR_IDS": str(OPERATOR),
        "LOG_LEVEL": "WARNING",
    }


async def start_daily(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "daily", "--asof", FLIP_DAY.isoformat(),
        env=env, cwd=env["HOME"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def _query(database: Path, sql: str) -> int:
    conn = sqlite3.connect(database, timeout=10)
    try:
        return int(conn.execute(sql).fetchone()[0] or 0)
    except sqlite3.OperationalError:
        return 0  # not migrated yet
    finally:
        conn.close()


def phase_of(database: Path) -> str:
    """Where a killed run stopped, from what it committed."""
    if _query(database, "SELECT COUNT(*) FROM sessions_done") == 0:
        fresh = _query(database, f"SELECT COUNT(*) FROM prices WHERE date = '{FLIP_DAY}'")
        return "fan-out" if fresh else "refresh"
    return "sending"


async def _until(check, timeout: float = 30.0) -> bool:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if check():
            return True
        await asyncio.sleep(0.005)
    return False


async def kill_at(
    proc: asyncio.subprocess.Process, target: str, rng: random.Random, database: Path,
    fake: FakeBotApi,
) -> None:  # fmt: skip
    """SIGKILL ``proc`` at a random point of the ``target`` phase (or when it ends)."""
    started = "SELECT COUNT(*) FROM job_runs"
    if target == "refresh":
        await _until(lambda: _query(database, started) > 0 or proc.returncode is not None)
        await asyncio.sleep(rng.uniform(0.0, 0.15))
    elif target == "fan-out":
        fresh = f"SELECT COUNT(*) FROM prices WHERE date = '{FLIP_DAY}'"
        await _until(lambda: _query(database, fresh) > 0 or proc.returncode is not None)
        await asyncio.sleep(rng.uniform(0.0, 0.2))
    else:
        sent = len(fake.delivered)
        want = sent + rng.randint(1, len(CHATS) * 2)
        await _until(lambda: len(fake.delivered) >= want or proc.returncode is not None)
        await asyncio.sleep(rng.uniform(0.0, 0.05))
    if proc.returncode is None:
        proc.send_signal(signal.SIGKILL)
    await proc.wait()


def prepare(database: Path) -> None:
    db = open_db(database)
    for chat in CHATS:
        add_subscriber(db, chat, digest=True)
    db.conn.close()


async def crash_trial(
    fake: FakeBotApi, database: Path, home: Path, rng: random.Random, figures: CrashFigures,
    *, kills: int = 2,
) -> None:  # fmt: skip
    """One trial: up to ``kills`` SIGKILLs at random phases, then a run to the end; checks."""
    prepare(database)
    fake.know_chats(*CHATS)
    env = env_for(fake, database, home)
    before = len(fake.delivered)
    sending_kills = 0
    for _ in range(kills):
        target = rng.choice(PHASES)
        fake.delay = rng.choice((0.0, 0.05))
        fake.delay_after_delivery = rng.random() < 0.5
        proc = await start_daily(env)
        await kill_at(proc, target, rng, database, fake)
        figures.attempts += 1
        if proc.returncode == -signal.SIGKILL:
            phase = phase_of(database)
            figures.kills[phase] += 1
            sending_kills += phase == "sending"
        else:
            figures.finished_first += 1
    fake.delay = 0.0
    final = await start_daily(env)
    _out, err = await asyncio.wait_for(final.communicate(), timeout=120)
    assert final.returncode == 0, err.decode()
    figures.trials += 1

    db = open_db(database)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM sessions_done").fetchone()[0] == 1
        ok_runs = "SELECT COUNT(*) FROM job_runs WHERE status = 'ok'"
        assert db.execute(ok_runs).fetchone()[0] <= 1
        statuses = dict(db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
        assert set(statuses) == {"sent"}, statuses
        got = deliveries(db, _Since(fake, before), CHATS)
    finally:
        db.conn.close()
    repeats = 0
    for chat, d in got.items():
        assert d.unknown == 0, (chat, d)
        assert d.in_order, (chat, d)
        figures.missing += sum(1 for n in d.copies.values() if n == 0)
        repeats += sum(n - 1 for n in d.copies.values() if n > 1)
    allowed = min(repeats, sending_kills)
    figures.inflight_repeats += allowed
    figures.duplicates += repeats - allowed


class _Since:
    """The fake's accepted messages from index ``start`` on (one trial's deliveries)."""

    def __init__(self, fake: FakeBotApi, start: int) -> None:
        self._fake, self._start = fake, start

    def messages_to(self, chat_id: int) -> list:
        return [c for c in self._fake.delivered[self._start :] if c.chat_id == chat_id]
