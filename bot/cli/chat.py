"""`rotation-bot ask | console | run`: the chat commands offline, and the real bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import date_option, fail, load, telegram_errors
from bot.commands.offline import reply_to_plain
from bot.commands.problems import problem_text
from bot.commands.registry import Reply, UserError, find, parse_command
from bot.handlers import COMMANDS, answer
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)
USER_ERROR_EXIT = 2
AsofOption = Annotated[
    str | None, typer.Option(metavar="DATE", help="Answer as of DATE (YYYY-MM-DD).")
]
ChartDirOption = Annotated[
    Path | None,
    typer.Option("--chart-dir", metavar="DIR", help="Write charts and files into this folder."),
]


def _chart_name(text: str, session_hint: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "chart"
    return f"{slug}-{session_hint}.png"


def write_chart(
    reply: Reply, chart_dir: Path | None, text: str, asof: dt.date | None
) -> Path | None:
    """Write the reply's chart (if any) into ``chart_dir``; return its path."""
    if reply.photo is None or chart_dir is None:
        return None
    chart_dir.mkdir(parents=True, exist_ok=True)
    path = chart_dir / _chart_name(text, asof.isoformat() if asof else "latest")
    path.write_bytes(reply.photo)
    return path


def write_document(reply: Reply, folder: Path | None) -> Path | None:
    """Write the reply's document (if any) into ``folder`` under its own name."""
    if reply.document is None or folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / reply.document.filename
    path.write_bytes(reply.document.data)
    return path


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def _draws_chart(text: str) -> bool:
    parsed = parse_command(text)
    command = find(COMMANDS, parsed.name) if parsed is not None else None
    return command is not None and command.chart


async def _ask(services: Services, text: str, asof: dt.date | None, chart_dir: Path | None) -> str:
    # Without --chart-dir no chart is drawn (nor matplotlib imported): text answers stay fast.
    wanted = chart_dir is not None
    reply = await answer(services, text, asof=asof, progress=_progress, charts=wanted)
    out = reply_to_plain(reply)
    if reply.document is not None:
        target = write_document(reply, chart_dir)
        if target is None:
            return out + "\n(file not written; pass --chart-dir DIR, or use rotation-bot export)"
        return out + f"\nfile: {target}"
    path = write_chart(reply, chart_dir, text, asof)
    if path is not None:
        out += f"\nchart: {path}"
    elif not wanted and _draws_chart(text):
        out += "\n(chart not drawn; pass --chart-dir DIR)"
    return out


def ask(
    text: Annotated[
        str, typer.Argument(help='A command as typed in Telegram, e.g. "/ticker IWM".')
    ],
    asof: AsofOption = None,
    chart_dir: ChartDirOption = None,
) -> None:
    """Answer one chat command in plain text (charts go to --chart-dir)."""
    day = date_option(asof)
    _, services = load()
    try:
        typer.echo(asyncio.run(_ask(services, text, day, chart_dir)))
    except UserError as exc:
        raise fail(problem_text(exc), USER_ERROR_EXIT) from None


def console(
    asof: AsofOption = None,
    chart_dir: ChartDirOption = None,
) -> None:
    """An interactive chat with the bot in the terminal (also reads piped stdin)."""
    day = date_option(asof)
    _, services = load()
    asyncio.run(_console(services, day, chart_dir))


def run(
    webhook: Annotated[
        bool | None,
        typer.Option(
            "--webhook/--polling",
            help="Receive updates by webhook (WEBHOOK_* settings) or by long polling. "
            "Default: webhook when WEBHOOK_URL is set.",
        ),
    ] = None,
) -> None:
    """Run the Telegram bot (long polling, or webhook behind a reverse proxy)."""
    # start-up cost: telegram only for `run`, never for `ask` or `console`
    from bot.app.builder import run_polling, run_webhook
    from bot.app.webhook import WebhookConfig, webhook_config

    def receiving(settings: Settings) -> WebhookConfig | None:
        use_webhook = bool(settings.webhook_url) if webhook is None else webhook
        return webhook_config(settings) if use_webhook else None

    # Token and webhook settings are checked before the database is created.
    settings, services = load(need_token=True, announce=True, validate=receiving)
    config = receiving(settings)
    with telegram_errors():
        if config is not None:
            run_webhook(services, config)
        else:
            run_polling(services)
    if services.fatal is not None:  # stopped itself; the reason is already in the log
        raise typer.Exit(1)


async def _console(services: Services, asof: dt.date | None, chart_dir: Path | None) -> None:
    interactive = sys.stdin.isatty()
    if interactive:
        typer.echo("rotation-bot console: type a command (/help), or quit.")
    while True:
        if interactive:
            typer.echo("> ", nl=False)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text.lower() in ("quit", "exit", "/quit"):
            break
        try:
            typer.echo(await _ask(services, text, asof, chart_dir))
        except UserError as exc:
            typer.echo(problem_text(exc), err=True)
        except Exception as exc:  # one bad answer must not end the session
            log.debug("console command %r failed: %r", text, exc)
            typer.echo(f"internal error ({type(exc).__name__}); try another command", err=True)
        typer.echo("")
