"""`rotation-bot replay --dry-run --csv FILE`: the alert lines, and every event as a CSV row."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app


def test_dry_replay_writes_every_event_to_csv(env: Path) -> None:
    out = env / "events.csv"
    result = CliRunner().invoke(
        app, ["replay", "--start", "2025-10-01", "--end", "2026-03-31", "--dry-run",
              "--csv", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    alert_lines = [line for line in result.stdout.splitlines() if line[:4] in ("2025", "2026")]
    assert rows
    assert len(rows) == len(alert_lines)
    assert f"{len(rows)} events written to {out}" in result.stdout
    kinds = {r["kind"] for r in rows}
    assert "flip" in kinds
    flip = next(r for r in rows if r["kind"] == "flip")
    payload = json.loads(flip["payload"])
    assert payload["moves"][0]["pair"] == flip["pair"]  # the theme's head pair first
    assert flip["key"].startswith("flip:")
    assert flip["session"] in alert_lines[[r["key"] for r in rows].index(flip["key"])]
    assert "nothing queued or sent" in result.stdout


def test_csv_to_an_unwritable_place_is_one_line(env: Path) -> None:
    out = env / "no-such-folder" / "events.csv"
    result = CliRunner().invoke(
        app, ["replay", "--start", "2026-03-02", "--end", "2026-03-31", "--dry-run",
              "--csv", str(out)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"cannot write {out}" in result.stderr
    assert "Traceback" not in result.output
