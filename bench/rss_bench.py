"""peak_rss_mb: a bot process with the 2000-symbol universe loaded.

A child process (``python -m bench.rss_bench DB``) does what ``rotation-bot run`` does before
and while answering: import telegram, the Application and every handler module, open the
database, load the closes of all 2000 symbols, build the snapshot, answer /rotation once
through the real Application (in-process fake, chart rendered), then reports its peak
resident set on stdout. The parent builds the database first.

Peak RSS is VmHWM from /proc/self/status (the high-water mark of this process image).
``getrusage().ru_maxrss`` is NOT used: on Linux it carries the parent's peak across
fork + exec, so a child of a big parent reports the parent's size.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.botdb import build_bot_db


def peak_mb() -> float:
    """VmHWM of this process in MiB (falls back to ru_maxrss off Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def _bot_life(path: Path) -> dict[str, Any]:
    from bench.data import bench_data
    from bench.reply_bench import application, bot_services, one
    from bot.queries.readapi import snapshot_for
    from tests.fakes.botapi import FakeBotApi

    marks: dict[str, Any] = {"after_imports_mb": peak_mb()}
    services = bot_services(path, bench_data().universe)
    snap = await snapshot_for(services, None)
    marks["after_snapshot_mb"] = peak_mb()
    fake = FakeBotApi("123:TEST", any_chat=True)  # chats no update introduced (see the fake)
    app = application(services, fake)
    await app.initialize()
    await one(app, fake, 777)
    await app.shutdown()
    services.db.close()
    marks["symbols_in_snapshot"] = len(snap.symbols)
    return marks


def child(path: Path) -> None:
    """The measured process: print a JSON line with peak RSS and marks."""
    import telegram.ext  # noqa: F401 - the bot's imports count

    import bot.app.builder  # noqa: F401

    marks = asyncio.run(_bot_life(path))
    marks["peak_rss_mb"] = peak_mb()
    print(json.dumps(marks), flush=True)


def run() -> dict[str, Any]:
    """Build the database, run the child, read its report."""
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as tmp:
        built = build_bot_db(Path(tmp) / "bot.db")
        done = subprocess.run(
            [sys.executable, "-m", "bench.rss_bench", str(built.path)],
            capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
    marks = json.loads(done.stdout.strip().splitlines()[-1])
    return {"peak_rss_mb": marks.pop("peak_rss_mb"), "details": marks}


if __name__ == "__main__":
    child(Path(sys.argv[1]))
