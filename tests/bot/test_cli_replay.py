"""`rotation-bot replay --dry-run --csv FILE`: the alert lines, and every event as a CSV row."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path

from typer.testing import CliRunner, Result

from bot.cli.main import app
from storage.chats import upsert_chat
from storage.db import open_db
from storage.rules import add_rule

NOW = dt.datetime(2026, 4, 1, 22, tzinfo=dt.UTC)


def _dry_replay_csv(out: Path) -> tuple[Result, list[dict[str, str]]]:
    """``replay --dry-run --csv out`` from 2025-10-01 to 2026-03-31: the run and its rows."""
    result = CliRunner().invoke(
        app, ["replay", "--start", "2025-10-01", "--end", "2026-03-31", "--dry-run",
              "--csv", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        return result, list(csv.DictReader(handle))


def test_dry_replay_writes_every_event_to_csv(env: Path) -> None:
    out = env / "events.csv"
    result, rows = _dry_replay_csv(out)
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


def test_dry_replay_evaluates_the_stored_alert_rules(env: Path) -> None:
    db = open_db(os.environ["DATABASE_PATH"])
    upsert_chat(db, 111, "private", now=NOW)
    upsert_chat(db, 222, "private", now=NOW, active=False)
    rule = add_rule(db, 111, "IWM/SPY", "spread_1w", ">", 2.0, now=NOW)
    idle = add_rule(db, 222, "IWM/SPY", "spread_1w", ">", 2.0, now=NOW)  # an inactive chat's
    db.conn.close()
    result, rows = _dry_replay_csv(env / "events.csv")
    mine = [r for r in rows if r["rule_id"] == rule.rule_id]
    assert len(mine) >= 2  # fired, re-armed after the spread fell back, fired again
    assert {r["kind"] for r in mine} == {"threshold"}
    assert all(json.loads(r["payload"])["value"] > 2.0 for r in mine)
    assert not [r for r in rows if r["rule_id"] == idle.rule_id]
    assert {"flip", "threshold"} <= {r["kind"] for r in rows}
    assert f"{len(mine)} threshold" in result.stdout  # the summary counts them
    assert "nothing queued or sent" in result.stdout
