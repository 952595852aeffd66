"""ask_vs_pandas_import: a one-shot text ``ask`` against ``python -c "import pandas"``.

Both run as fresh processes, alternating, in the same run: ``rotation-bot ask "/ticker IWM"``
(csv source, a database filled from the bundled sample, no --chart-dir) and the bare
interpreter importing pandas, the floor any answer built on pandas pays. The key is the
ratio of the medians (wall clock, start of the process to its exit).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUNS = 9
ASK = "/ticker IWM"


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    # The warm-up run writes the .pyc files, as an installed package has them; with this set,
    # every run would compile each module whose .pyc is missing or stale again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(MARKET_DATA_SOURCE="csv", DATABASE_PATH=str(folder / "ask.db"), LOG_LEVEL="WARNING")
    return env


def _wall(args: list[str], folder: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=folder, env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def _modules_loaded(folder: Path, env: dict[str, str]) -> list[str]:
    """Heavy libraries the ask imported (expected: none of them)."""
    script = (
        f"import sys\nfrom bot.cli.main import app\ntry:\n    app(['ask', {ASK!r}])\n"
        "except SystemExit:\n    pass\nprint([m for m in ('telegram', 'matplotlib', "
        "'yfinance', 'exchange_calendars', 'pydantic') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=folder, env=env, check=True,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    return list(eval(out.stdout.strip().splitlines()[-1]))


def run() -> dict[str, Any]:
    """Fill a database once (not timed), then alternate the two processes RUNS times."""
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as tmp:
        folder = Path(tmp)
        env = _env(folder)
        bot = [sys.executable, "-m", "bot"]
        subprocess.run([*bot, "prices", "update"], cwd=folder, env=env, check=True,
                       capture_output=True, timeout=300)  # fmt: skip
        _wall([*bot, "ask", ASK], folder, env)  # warm the OS file cache and .pyc files
        pandas, ask = [], []
        for _ in range(RUNS):
            pandas.append(_wall([sys.executable, "-c", "import pandas"], folder, env))
            ask.append(_wall([*bot, "ask", ASK], folder, env))
        loaded = _modules_loaded(folder, env)
    p, a = statistics.median(pandas), statistics.median(ask)
    return {
        "ask_vs_pandas_import": round(a / p, 2),
        "details": {
            "ask_s": round(a, 3),
            "import_pandas_s": round(p, 3),
            "runs": RUNS,
            "ask_all_s": [round(t, 3) for t in ask],
            "import_pandas_all_s": [round(t, 3) for t in pandas],
            "heavy_modules_loaded_by_ask": loaded,
        },
    }
