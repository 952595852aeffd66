"""`rotation-bot daily | replay | demo`: the pipeline once, replays over a range, an offline demo."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from bot.offline import html_to_plain
from bot.render.alerts import alert_html, alert_line
from bot.settings import parse_date
from jobs.replay import ReplaySummary, alert_pair, crosses_between, load_range, replay_dry

DELIVERY_WAIT_SECONDS = 120.0


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


def daily(
    asof: Annotated[
        str | None, typer.Option(help="Run for the last session on or before DATE (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Run the daily pipeline once (refresh, guard, snapshot, rules, outbox), deliver, exit."""
    from bot.cli import load
    from bot.jobs_runner import run_daily_once

    day = _date(asof, "--asof")
    _, services = load()
    outcome = asyncio.run(run_daily_once(services, asof=day))
    typer.echo(outcome.summary())
    if outcome.result.status == "stale":
        raise typer.Exit(1)


def replay(
    start: Annotated[str, typer.Option(help="First session (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option(help="Last session (YYYY-MM-DD).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Queue nothing: every preset's default rules.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print each full message.")] = False,
) -> None:
    """Replay the rules session by session over a range; one line per alert, then a summary."""
    from bot.cli import fail, load
    from jobs.daily import StaleData
    from jobs.replay import replay_live

    first, last = _date(start, "--start"), _date(end, "--end")
    assert first is not None and last is not None
    if first > last:
        raise fail("--start must not be after --end", 2)
    _, services = load()
    now = dt.datetime.now(dt.UTC)
    try:
        sessions, closes = asyncio.run(
            load_range(
                services.db,
                services.provider(last),
                services.calendar,
                services.universe,
                first,
                last,
                now=now,
            )
        )
    except StaleData as exc:
        raise fail(f"cannot replay: {exc}") from None
    if dry_run:
        steps = replay_dry(sessions, closes, services.universe)
    else:
        db, cal, uni = services.db, services.calendar, services.universe
        steps = replay_live(db, cal, uni, sessions, closes, now=now)
    summary = ReplaySummary()
    first_snap = last_snap = None
    for step in steps:
        first_snap = first_snap or step.snapshot
        last_snap = step.snapshot
        summary.add(step)
        for event in step.events:
            pair = alert_pair(event, step.snapshot)
            typer.echo(alert_line(step.session, pair, event.kind, event.payload))
            if verbose:
                typer.echo(_indent(html_to_plain(alert_html(event.kind, event.payload))))
    if first_snap is not None and last_snap is not None:
        summary.raw_crosses = crosses_between(first_snap, last_snap)
    typer.echo(summary_text(summary, services.universe.lead_pair, dry_run=dry_run))


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def summary_text(summary: ReplaySummary, lead_pair: str, *, dry_run: bool) -> str:
    """The closing lines of a replay: counts by kind and confirmed flips vs raw crosses."""
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(summary.by_kind.items())) or "none"
    lines = [f"{summary.sessions} sessions, {summary.alerts} alerts ({kinds})"]
    for pair in sorted(summary.flips, key=lambda p: (p != lead_pair, p)):
        raw = summary.raw_crosses.get(pair)
        crosses = f" vs {raw} raw 50-session crosses" if raw is not None else ""
        lines.append(f"  {pair}: {summary.flips[pair]} confirmed flips{crosses}")
    lines.append("dry run: nothing queued or sent" if dry_run else "messages queued in the outbox")
    return "\n".join(lines)


def demo(
    months: Annotated[int, typer.Option(min=1, max=24, help="How many months to replay.")] = 4,
) -> None:
    """Offline demo on the bundled data in a temporary database: alerts, answers, charts."""
    from bot.demo import run_demo

    folder = Path(tempfile.mkdtemp(prefix="rotation-demo-"))
    asyncio.run(run_demo(folder, months=months, echo=typer.echo))


def register(app: typer.Typer) -> None:
    """Add daily, replay and demo to the main command line."""
    app.command("daily")(daily)
    app.command("replay")(replay)
    app.command("demo")(demo)


__all__ = ["register", "summary_text"]
_ = dataclasses  # used by bot.demo via settings replacement
