"""`rotation-bot daily | replay | demo`: pipeline once, replay over a range, offline demo."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import date_option, fail, load, telegram_errors
from bot.render.alerts import alert_html, alert_line
from bot.render.format import html_to_plain, plural
from bot.services import Services, build_services
from bot.settings import SettingsError, load_settings

if TYPE_CHECKING:  # imported by the commands that need them: `ask` loads none of this
    from jobs.replay import ReplaySummary


def daily(
    asof: Annotated[
        str | None,
        typer.Option(
            metavar="DATE", help="Run for the last session on or before DATE (YYYY-MM-DD)."
        ),
    ] = None,
) -> None:
    """Run the daily pipeline once (refresh, snapshot, rules per pair, outbox), deliver, exit."""
    # start-up cost: telegram (and the bot around it) only for the commands that talk to it
    from bot.app.builder import delivery_bot
    from bot.app.daily import run_daily_cli

    day = date_option(asof, "--asof")
    settings, services = load(need_token=True, announce=True)
    try:
        with telegram_errors():
            outcome = asyncio.run(run_daily_cli(services, delivery_bot(settings), asof=day))
    except SettingsError as exc:
        raise fail(str(exc)) from None
    if outcome.unreachable:
        raise fail(outcome.summary())
    typer.echo(outcome.summary())
    if outcome.result.status == "stale":
        raise typer.Exit(1)


def replay(
    start: Annotated[str, typer.Option(metavar="DATE", help="First session (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option(metavar="DATE", help="Last session (YYYY-MM-DD).")],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Queue nothing: every preset's default rules and the /alert rules."
        ),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print each full message.")] = False,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv", metavar="FILE", help="Also write every event to FILE (payload as JSON)."
        ),
    ] = None,
) -> None:
    """Replay the rules over a range; one line per alert, then a summary."""
    from jobs.replay import (  # start-up cost: `ask` never loads the backtest
        EmptyRange,
        alert_pair,
        run_replay,
        write_events_csv,
    )

    first = date_option(start, "--start", future_ok=True)
    last = date_option(end, "--end", future_ok=True)
    assert first is not None
    assert last is not None
    if first > last:
        raise fail("--start must not be after --end", 2)
    _, services = load()
    uni = services.universe
    try:
        run = asyncio.run(
            run_replay(
                services.db,
                services.provider(last),
                services.calendar,
                uni,
                first,
                last,
                dry_run=dry_run,
                now=dt.datetime.now(dt.UTC),
            )
        )
    except EmptyRange as exc:
        raise fail(f"cannot replay: {exc}") from None
    if run.narrowed:
        typer.echo(
            f"replaying {run.sessions[0]} .. {run.sessions[-1]}: the stored data covers no "
            f"session outside it (asked {first} .. {last})",
            err=True,
        )
    for step in run.steps:
        for event in step.events:
            pair = alert_pair(event, uni.lead_pair)
            typer.echo(alert_line(step.session, pair, event.body))
            if verbose:
                typer.echo(_indent(html_to_plain(alert_html(event.body))))
    typer.echo(summary_text(run.summary, uni.lead_pair, dry_run=dry_run))
    if csv_file is not None:
        try:
            count = write_events_csv(csv_file, run.steps)
        except OSError as exc:
            raise fail(f"cannot write {csv_file}: {exc.strerror}") from None
        typer.echo(f"{count} events written to {csv_file}")


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def summary_text(summary: ReplaySummary, lead_pair: str, *, dry_run: bool) -> str:
    """The closing lines of a replay: counts by kind and confirmed flips vs raw crosses."""
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(summary.by_kind.items())) or "none"
    lines = [f"{summary.sessions} sessions, {summary.alerts} alerts ({kinds})"]
    for pair in sorted(summary.flips, key=lambda p: (p != lead_pair, p)):
        raw = summary.raw_crosses.get(pair)
        crosses = (
            f" vs {plural(raw, 'raw trend cross', 'raw trend crosses')}" if raw is not None else ""
        )
        lines.append(f"  {pair}: {plural(summary.flips[pair], 'confirmed flip')}{crosses}")
    lines.append("dry run: nothing queued or sent" if dry_run else "messages queued in the outbox")
    return "\n".join(lines)


DEMO_FOLDER = Path(tempfile.gettempdir()) / "rotation-demo"
DEMO_DB = "demo.db"


def demo(
    months: Annotated[
        int, typer.Option(min=1, max=24, metavar="N", help="How many months to replay.")
    ] = 4,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Folder for the charts, reused by every run (its old charts are replaced).",
        ),
    ] = DEMO_FOLDER,
) -> None:
    """Offline demo on the bundled data: alerts, answers, charts. The database it builds is
    deleted at the end; only the charts stay, in one folder that the next run reuses."""
    asyncio.run(run_demo(out, months=months, echo=typer.echo))


def _clear_demo(folder: Path) -> Path:
    """Remove what an earlier demo left in ``folder`` (its database and chart PNGs, nothing
    else); return the charts folder."""
    _clear_demo_db(folder)
    charts = folder / "charts"
    if charts.is_dir():
        for png in charts.glob("*.png"):
            png.unlink()
    charts.mkdir(parents=True, exist_ok=True)
    return charts


async def run_demo(folder: Path, *, months: int, echo: Callable[[str], None]) -> None:
    """Replay the last ``months`` of bundled data for one subscriber of every preset, print
    the alerts, then the /rotation, /ticker IWM and /quadrant answers; charts go to
    ``folder``/charts, the database is deleted at the end."""
    charts = _clear_demo(folder)
    base = load_settings(environ={}, env_file=None)
    settings = dataclasses.replace(
        base, market_data_source="csv", database_path=folder / DEMO_DB, log_level="WARNING"
    )
    services = build_services(settings)
    try:
        await _demo(services, charts, months=months, echo=echo)
    finally:
        services.db.conn.close()
        _clear_demo_db(folder)
    echo(f"Charts written to {charts} (the demo database was deleted; the next run reuses it)")


def _clear_demo_db(folder: Path) -> None:
    """Delete the demo database and its WAL files."""
    for name in (DEMO_DB, f"{DEMO_DB}-wal", f"{DEMO_DB}-shm", f"{DEMO_DB}-journal"):
        (folder / name).unlink(missing_ok=True)


async def _demo(
    services: Services, charts: Path, *, months: int, echo: Callable[[str], None]
) -> None:
    # start-up cost: `ask` and the other commands load none of this
    from analytics.events import Digest, FlipAlert, decode_alert
    from bot.commands.offline import reply_to_plain
    from bot.delivery.sender import flip_chart_png
    from bot.handlers import answer
    from jobs.demo import replay_demo, subscribe_demo_chat

    now = dt.datetime.now(dt.UTC)
    end = services.expected_session(now)
    start = services.calendar.latest_session_on_or_before(end - dt.timedelta(days=30 * months))
    subscribe_demo_chat(services.db, services.universe, now=now)
    echo(f"Demo database: {services.settings.database_path} (bundled data, offline)")
    echo(f"Replaying {start} .. {end} for one subscriber of every preset\n")
    run = await replay_demo(
        services.db,
        services.provider(end),
        services.calendar,
        services.universe,
        start,
        end,
        now=now,
    )
    queued, sessions = run.queued, run.sessions
    # flips, and the days whose one message carried alerts (the plain digests are left out)
    bodies = [(r, decode_alert(r.kind, r.payload)) for r in queued]
    shown = [(r, b) for r, b in bodies if not isinstance(b, Digest) or b.alerts]
    for _, body in shown:
        echo(html_to_plain(alert_html(body)))
        echo("-" * 60)
    echo(
        f"{len(queued)} messages over {len(sessions)} sessions (at most one flip alert per theme "
        "and one digest with the day's other alerts per session); shown above: the flips and "
        "the digests that carried alerts\n"
    )
    for text in ("/rotation", "/ticker IWM", "/quadrant"):
        reply = await answer(services, text)
        echo(f"$ {text}\n{reply_to_plain(reply)}\n")
        if reply.photo:
            name = text.strip("/").replace(" ", "_").lower()
            (charts / f"{name}.png").write_bytes(reply.photo)
    flips = [(r, b) for r, b in shown if isinstance(b, FlipAlert)]
    for row, body in flips[-3:]:
        png = await asyncio.to_thread(flip_chart_png, body)
        if png is None:
            continue
        pair = body.moves[0].pair.replace("/", "_").replace("^", "")
        (charts / f"flip_{row.session.isoformat()}_{pair}.png").write_bytes(png)
