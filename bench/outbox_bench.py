"""The outbox at scale: bytes a flip adds per chat, a million-chat session, replies meanwhile,
and the database over a year of sessions.

Messages are built from the bundled real sample: its last session's snapshot and events, and
a real flip alert of the sample with its chart data (about 260 sessions). Chats and their
subscriptions are written in bulk by the bench (setup, not timed); everything timed runs the
project's own code (``jobs.fanout.Audience``, ``jobs.daily.queue_audience``).

* outbox_bytes_per_flip_row: FLIP_CHATS chats following smallcaps get one flip through the
  daily job's fan-out; database pages in use after minus before, divided by the chats (the
  payload's one copy included).
* enqueue_1m_chats_s / enqueue_1m_vs_100k / enqueue_peak_rss_mb: a child process
  (``python -m bench.outbox_bench enqueue DB``) builds the session's snapshot and events,
  then times ``Audience`` + ``queue_audience`` (from computed events to committed rows) for
  1,000,000 active private chats following smallcaps; the same for 100,000 chats in a
  database of that size; nothing else runs meanwhile.
  The ratio is of the child's CPU time (user + system, SQLite's work included) over the
  timed part: the enqueue is one thread that waits on nothing but the CPU, and on a shared
  machine the wall-clock ratio mostly measures how busy the other processes were (the wall
  ratio and the time each child spent waiting for a CPU are in the details). The 1M child's
  peak resident set (VmHWM).
* reply_p95_ms_during_enqueue: the 1M enqueue again, in the 2000-symbol bot database
  (bench.botdb) with the million chats added, while this process answers /rotation through
  the real Application over the same file (bench.reply_bench, 10 a second, each from a new
  user, so each reply also writes); the p95 of the requests answered while the child was
  queuing (``details.replies_during_1m.quiet_p95_ms``: the same replies just before).
* db_mb_after_year_vs_10_sessions: YEAR_CHATS chats, 252 sessions (a digest to every chat
  every session, a flip to every chat every 5th), each session's rows delivered an hour
  later and the outbox pruned once a session with the default retention
  (``storage.outbox.prune``); database file size after 252 sessions / after 10. A session's
  rows are queued and delivered in one statement each (``queue_everyone``,
  ``deliver_everything``: the rows ``enqueue``, ``claim_many`` and ``mark_sent_many`` write,
  which a test checks), so the 30 million rows cost SQLite's work only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.charts import with_charts
from analytics.events import Event
from analytics.snapshot import build_snapshot
from analytics.types import Snapshot, Universe
from bench.data import real_closes
from bench.rss_bench import peak_mb
from bench.timing import p95
from jobs.daily import queue_pages, queue_pass
from jobs.fanout import DEFAULT_RULES, Audience, digest_payload
from jobs.replay import replay_dry
from market.calendar import nyse
from market.universe import load_universe
from storage.db import Database, open_db, stamp, transaction
from storage.outbox import (
    DEFAULT_RETENTION,
    Kind,
    NewMessage,
    PayloadIds,
    counts,
    idem_key,
    prune,
)

FLIP_CHATS = 100_000
BIG = 1_000_000
SMALL = 100_000
#: The 100k enqueue runs this many times (the median by CPU time counts): a run of a few
#: seconds meets more of the machine's ups and downs than one of a minute.
SMALL_RUNS = 3
YEAR_CHATS = 100_000
YEAR_SESSIONS = 252
FIRST_CHAT = 1_000_000_000
REPLY_PACE_PER_S = 10.0
QUIET_REPLIES = 50
NOW = dt.datetime(2026, 4, 1, 21, 0, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class Sample:
    """The bundled sample's last session: snapshot, its events, and a real flip with chart."""

    universe: Universe
    closes: pd.DataFrame
    snapshot: Snapshot
    events: tuple[Event, ...]
    flip: Event


def sample() -> Sample:
    """Snapshot, events and a flip (the sample's last, chart filled in) of the bundled data."""
    universe = load_universe()
    closes = real_closes()
    sessions = [d.date() for d in closes.index[-300:]]
    steps = replay_dry(sessions, closes, universe, DEFAULT_RULES)
    last = closes.index[-1].date()
    flips = [(s.session, e) for s in steps for e in s.events if e.kind == "flip"]
    when, flip = flips[-1]
    (flip,) = with_charts([flip], closes.loc[: pd.Timestamp(when)], universe)
    events = next((s.events for s in steps if s.session == last), ())
    snapshot = build_snapshot(closes, universe, last)
    return Sample(universe, closes, snapshot, tuple(events), flip)


def add_chats(db: Database, count: int, *, first: int = FIRST_CHAT) -> None:
    """``count`` active private chats following smallcaps (bench setup, in bulk)."""
    stamp = NOW.isoformat(timespec="seconds")
    step = 50_000
    for start in range(first, first + count, step):
        ids = range(start, min(first + count, start + step))
        with transaction(db) as conn:
            conn.executemany(
                "INSERT INTO chats (chat_id, type, created_at, updated_at) "
                "VALUES (?, 'private', ?, ?)",
                [(c, stamp, stamp) for c in ids],
            )
            conn.executemany(
                "INSERT INTO subscriptions (chat_id, target, kind, created_at) "
                "VALUES (?, 'smallcaps', 'preset', ?)",
                [(c, stamp) for c in ids],
            )


def used_bytes(db: Database) -> int:
    """Bytes of the database pages in use (the file less its free pages)."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return int((pages - free) * db.execute("PRAGMA page_size").fetchone()[0])


def file_bytes(db: Database) -> int:
    """Bytes of the database file (checkpointed: the WAL folded in)."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    return int(pages * db.execute("PRAGMA page_size").fetchone()[0])


def flip_bytes(data: Sample, folder: Path) -> dict[str, Any]:
    """Pages a flip to FLIP_CHATS chats adds, per chat."""
    db = open_db(folder / "flip.db")
    add_chats(db, FLIP_CHATS)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = used_bytes(db)
    audience = Audience(data.snapshot, [data.flip], [], data.universe, NOW)
    start = time.perf_counter()
    queued = queue_pass(db, audience.urgent, now=NOW, payloads=PayloadIds())
    seconds = time.perf_counter() - start
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    added = used_bytes(db) - before
    payload = len(json.dumps({**data.flip.payload}))
    db.close()
    return {"chats": FLIP_CHATS, "rows": queued, "bytes_added": added,
            "bytes_per_row": round(added / queued, 1), "flip_payload_bytes": payload,
            "queue_s": round(seconds, 2)}  # fmt: skip


def enqueue_child(path: Path) -> None:
    """``python -m bench.outbox_bench enqueue DB``: one session's fan-out to every chat of DB,
    timed from computed events to committed rows; prints 'start', then a JSON line."""
    data = sample()
    db = open_db(path)
    print("start", flush=True)
    waited = run_queue_s()
    cpu = time.process_time()
    start = time.perf_counter()
    audience = Audience(data.snapshot, data.events, [], data.universe, NOW)
    queued = 0
    pages = [cpu]  # the CPU clock after each page (queue_audience, a page at a time)
    for added in queue_pages(db, audience, now=NOW):
        queued += added
        pages.append(time.process_time())
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    waited = run_queue_s() - waited
    db.close()
    print(json.dumps({"seconds": round(seconds, 2), "cpu_s": round(cpu, 2),
                      "run_queue_s": round(waited, 2),
                      "other_wait_s": round(max(0.0, seconds - cpu - waited), 2),
                      "queued": queued, "cpu_s_by_tenth": tenths(pages),
                      "peak_mb": peak_mb()}))  # fmt: skip


def tenths(clock: list[float]) -> list[float]:
    """CPU seconds of each tenth of the pages (flat when a page costs the same early and
    late, as the outbox grows)."""
    n = len(clock) - 1
    cuts = [round(n * k / 10) for k in range(11)]
    return [round(clock[b] - clock[a], 2) for a, b in itertools.pairwise(cuts)]


def run_queue_s() -> float:
    """Seconds this process has waited for a CPU while ready to run (Linux schedstat; 0
    elsewhere): on a loaded machine, most of the difference between wall and CPU time."""
    try:
        fields = Path("/proc/self/schedstat").read_text().split()
    except OSError:
        return 0.0
    return int(fields[1]) / 1e9


def run_enqueue(path: Path, *, copy: bool = False) -> dict[str, Any]:
    """Run the enqueue child on ``path`` (``copy``: on a copy of it, removed after, so the
    run can be repeated on the same chats); what it printed."""
    target = path.with_name(f"run-{path.name}") if copy else path
    if copy:
        shutil.copy2(path, target)  # its mode too (the database is private)
    try:
        return _enqueue(target)
    finally:
        if copy:
            for file in target.parent.glob(f"{target.name}*"):
                file.unlink()


def _enqueue(path: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.outbox_bench", "enqueue", str(path)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        timeout=600,
    )
    out = proc.stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


async def replies_during(path: Path, folder: Path) -> dict[str, Any]:
    """/rotation answered over ``path``'s prices while a child queues the 1M session."""
    from bench.botdb import build_bot_db
    from bench.reply_bench import application, bot_services, one
    from bot.app.warm import warm_up
    from tests.fakes.botapi import FakeBotApi

    built = build_bot_db(folder / "bot.db")
    os.replace(built.path, path)  # the 1M chats are added to the bot's own database
    services = bot_services(path, built.universe)
    add_chats(services.db, BIG)
    services.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    fake = FakeBotApi("123:TEST", any_chat=True)  # chats no update introduced (see the fake)
    app = application(services, fake)
    await app.initialize()
    times: list[float] = []
    quiet: list[float] = []
    try:
        await warm_up(services)
        loop = asyncio.get_running_loop()
        for k in range(10 + QUIET_REPLIES):  # the same replies without the enqueue (after
            await asyncio.sleep(1 / REPLY_PACE_PER_S)  # 10 of warm-up), for comparison
            seconds = (await one(app, fake, 30_000 + k))[0]
            if k >= 10:
                quiet.append(seconds)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.outbox_bench", "enqueue", str(path),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdout is not None
        if (await proc.stdout.readline()).strip() != b"start":
            raise RuntimeError("the enqueue child did not start")
        done = asyncio.ensure_future(proc.communicate())
        start = loop.time()
        k = 0
        while not done.done():
            await asyncio.sleep(max(0.0, start + k / REPLY_PACE_PER_S - loop.time()))
            if done.done():
                break
            times.append((await one(app, fake, 40_000 + k))[0])
            k += 1
        out = (await done)[0].decode()
    finally:
        await app.shutdown()
        services.db.close()
    child = dict(json.loads(out.strip().splitlines()[-1]))
    ms = sorted(t * 1000 for t in times)
    return {"child": child, "replies": len(ms), "p95_ms": round(p95(ms), 1) if ms else None,
            "median_ms": round(ms[len(ms) // 2], 1) if ms else None,
            "max_ms": round(ms[-1], 1) if ms else None,
            "quiet_p95_ms": round(p95([t * 1000 for t in quiet]), 1)}  # fmt: skip


def queue_everyone(
    conn: sqlite3.Connection, message: NewMessage, *, now: dt.datetime, payloads: PayloadIds
) -> int:
    """``message`` to every chat of the database, written as ``storage.outbox.enqueue`` writes
    it (its key, session, urgency, send time and stored payload; the key per chat by
    ``idem_key``), in one statement: the year's 30 million rows cost SQLite's work only
    (``tests/test_bench_smoke.py`` checks the rows are the ones ``enqueue`` writes)."""
    pid = payloads.of(conn, message.payload, now)
    head = idem_key(message.event_key, 0).removesuffix("0")
    cur = conn.execute(
        "INSERT OR IGNORE INTO outbox (idem_key, event_key, chat_id, kind, session, urgent, "
        "payload_id, not_before, created_at) SELECT ? || chat_id, ?, chat_id, ?, ?, ?, ?, ?, ? "
        "FROM chats ORDER BY chat_id",
        [head, message.event_key, Kind(message.kind).value, message.session.isoformat(),
         int(message.urgent), pid, stamp(message.not_before), stamp(now)],
    )  # fmt: skip
    return int(cur.rowcount)


def deliver_everything(db: Database, *, now: dt.datetime) -> int:
    """Every pending row as the sender leaves it once the Bot API accepted it: claimed by
    this process (``claim_many``: 'sending', one attempt, the claim's time) and then sent
    (``mark_sent_many`` at ``now``, the message id the row's), in one statement
    (``tests/test_bench_smoke.py`` compares the rows with those the two functions leave)."""
    with transaction(db) as conn:
        cur = conn.execute(
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, claimed_by = ?, "
            "claimed_at = strftime('%Y-%m-%dT%H:%M:%S', 'now'), sent_at = ?, message_id = id, "
            "last_error = NULL WHERE status = 'pending'",
            [os.getpid(), stamp(now)],
        )
    return int(cur.rowcount)


def memory_folder() -> str | None:
    """/dev/shm when it has room for the year's database (a few hundred MB and its WAL), else
    None (the system's temporary folder). The key is the file's size, which does not depend
    on where the file lives; in memory the 30 million rows take a quarter less time."""
    try:
        free = shutil.disk_usage("/dev/shm").free
    except OSError:
        return None
    return "/dev/shm" if free > 2 * 2**30 else None


def year(data: Sample, folder: Path, chats: int = YEAR_CHATS) -> dict[str, Any]:
    """YEAR_SESSIONS sessions of digests (and a flip every 5th) to ``chats`` chats, each
    session delivered and pruned; the file size after 10 sessions and after all."""
    db = open_db(folder / "year.db")
    add_chats(db, chats)
    calendar = nyse()
    last = data.snapshot.session
    sessions = calendar.sessions(calendar.shift(last, -(YEAR_SESSIONS - 1)), last)
    digest = digest_payload(data.snapshot, data.universe.presets["smallcaps"], [])
    flip = {**data.flip.payload, "rule_id": data.flip.rule_id}
    sizes: dict[int, int] = {}
    seconds = {"queue": 0.0, "deliver": 0.0, "prune": 0.0}
    start = time.perf_counter()
    pruned_rows = queued = 0
    for n, session in enumerate(sessions, start=1):
        now = dt.datetime.combine(session, dt.time(21, 0), tzinfo=dt.UTC)
        kinds = [(Kind.DIGEST, {**digest, "session": session.isoformat()})]
        if n % 5 == 0:
            kinds.insert(0, (Kind.FLIP, {**flip, "event_key": f"flip:week:{session}"}))
        clock = time.perf_counter()
        ids = PayloadIds()
        with transaction(db) as conn:
            for kind, payload in kinds:
                key = f"{kind}:{session.isoformat()}"
                message = NewMessage("", key, 0, kind, session, kind is Kind.FLIP, payload, now)
                queued += queue_everyone(conn, message, now=now, payloads=ids)
        seconds["queue"] += time.perf_counter() - clock
        clock = time.perf_counter()
        sent_at = now + dt.timedelta(hours=1)
        deliver_everything(db, now=sent_at)
        seconds["deliver"] += time.perf_counter() - clock
        clock = time.perf_counter()
        pruned_rows += prune(db, before=sent_at - DEFAULT_RETENTION).rows
        seconds["prune"] += time.perf_counter() - clock
        if n == 10 or n % 21 == 0 or n == len(sessions):  # and about once a month
            sizes[n] = file_bytes(db)
    total = time.perf_counter() - start
    rows_left = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    payloads_left = db.execute("SELECT COUNT(*) FROM payloads").fetchone()[0]
    clock = time.perf_counter()
    by_status = counts(db)
    counts_ms = (time.perf_counter() - clock) * 1000
    db.close()
    mb = {n: round(b / 2**20, 2) for n, b in sizes.items()}
    return {"chats": chats, "sessions": len(sessions), "retention_days": DEFAULT_RETENTION.days,
            "mb_after_10": mb[10], "mb_after_year": mb[len(sessions)],
            "ratio": round(sizes[len(sessions)] / sizes[10], 2), "mb_after": mb,
            "rows_queued": queued,
            "rows_left": rows_left, "payloads_left": payloads_left, "rows_pruned": pruned_rows,
            "bytes_per_row_left": round(sizes[len(sessions)] / max(rows_left, 1), 1),
            "status_counts_ms": round(counts_ms, 1), "by_status": by_status,
            "seconds": round(total, 1),
            "seconds_by_step": {k: round(v, 1) for k, v in seconds.items()}}  # fmt: skip


def run() -> dict[str, Any]:
    """Every measurement of this suite, each in a fresh database."""
    data = sample()
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as tmp:
        folder = Path(tmp)
        flip = flip_bytes(data, folder)
        small_db = open_db(folder / "small.db")
        add_chats(small_db, SMALL)
        small_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        small_db.close()
        runs = sorted((run_enqueue(folder / "small.db", copy=True) for _ in range(SMALL_RUNS)),
                      key=lambda r: float(r["cpu_s"]))  # fmt: skip
        small = runs[len(runs) // 2]
        small["cpu_s_runs"] = [r["cpu_s"] for r in runs]
        (folder / "small.db").unlink()
        big_db = open_db(folder / "big.db")
        add_chats(big_db, BIG)
        big_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        big_db.close()
        big = run_enqueue(folder / "big.db")
        (folder / "big.db").unlink()
        during = asyncio.run(replies_during(folder / "busy.db", folder))
        (folder / "busy.db").unlink()
        with tempfile.TemporaryDirectory(prefix="rotation-year-", dir=memory_folder()) as mem:
            lived = year(data, Path(mem))
    return {
        "outbox_bytes_per_flip_row": flip["bytes_per_row"],
        "enqueue_1m_chats_s": big["seconds"],
        "enqueue_1m_vs_100k": round(big["cpu_s"] / small["cpu_s"], 2),
        "enqueue_peak_rss_mb": big["peak_mb"],
        "reply_p95_ms_during_enqueue": during["p95_ms"],
        "db_mb_after_year_vs_10_sessions": lived["ratio"],
        "details": {
            "flip": flip,
            "enqueue_100k": small,
            "enqueue_1m": big,
            "enqueue_1m_vs_100k_wall": round(big["seconds"] / small["seconds"], 2),
            "replies_during_1m": during,
            "year": lived,
        },
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "enqueue":
        enqueue_child(Path(sys.argv[2]))
    else:
        print(json.dumps(run(), indent=2, default=str))
