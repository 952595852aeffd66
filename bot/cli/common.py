"""What every `rotation-bot` subcommand shares: settings and services, dates, clean exits."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from bot.logs import one_line, register_secret, setup_logging
from bot.services import Services, build_services
from bot.settings import Settings, SettingsError, find_env_file, load_settings, parse_date
from market.universe import UniverseError
from storage.db import StorageError, is_fatal

log = logging.getLogger(__name__)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` to stderr and return the Exit to raise (no traceback)."""
    typer.echo(message, err=True)
    return typer.Exit(code)


EnvFileOption = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        metavar="FILE",
        help=(
            "Read settings from FILE. Default: $ROTATION_BOT_ENV, else .env in the current "
            "folder, else .env beside the database."
        ),
    ),
]


class _CommandLine:
    """What the root command's options said for this run (set by its callback)."""

    env_file: Path | None = None


def set_env_file_option(path: Path | None) -> None:
    """Record the root command's --env-file for load() (None: not given)."""
    _CommandLine.env_file = path


def load(
    *,
    need_token: bool = False,
    announce: bool = False,
    validate: Callable[[Settings], object] | None = None,
) -> tuple[Settings, Services]:
    """Settings and services for a subcommand; configuration problems end the process cleanly.

    Everything is validated (with ``need_token``, the bot token too; ``validate`` may raise
    SettingsError for more) before the database, its
    folder or any cache is created. ``announce`` logs which `.env` was used at INFO (bot and
    daily start-up); other subcommands log it at DEBUG.
    """
    try:
        env = find_env_file(explicit=_CommandLine.env_file)
        settings = load_settings(env_file=env.path, env_source=env.describe())
        if need_token:
            settings.require_token()
        if validate is not None:
            validate(settings)  # raises SettingsError
    except SettingsError as exc:
        raise fail(str(exc)) from None
    register_secret(settings.telegram_bot_token)
    register_secret(settings.webhook_secret)
    setup_logging(settings.log_level)
    log.log(logging.INFO if announce else logging.DEBUG, "settings: %s", settings.env_source)
    if settings.env_file_warning:
        typer.echo(f"warning: {settings.env_file_warning}", err=True)
    try:
        return settings, build_services(settings)
    except (StorageError, UniverseError) as exc:
        raise fail(str(exc)) from None


def date_option(
    value: str | None, name: str = "--asof", *, future_ok: bool = False
) -> dt.date | None:
    """A YYYY-MM-DD option value, or a usage error naming the option; a date after today is
    refused too (there is no close to answer from yet) unless ``future_ok`` (a range end that
    is clamped to the data)."""
    if value is None:
        return None
    try:
        day = parse_date(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None
    today = dt.datetime.now(dt.UTC).date()
    if day > today and not future_ok:
        raise typer.BadParameter(
            f"{day.isoformat()} is in the future (today is {today.isoformat()}); "
            "leave it out for the latest close.",
            param_hint=name,
        )
    return day


REFUSED_LINE = (
    "Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN "
    "(SECURITY.md explains how to rotate it)."
)


@contextlib.contextmanager
def telegram_errors() -> Iterator[None]:
    """Around an entry point that talks to Telegram and writes the database: any Telegram
    error, or a database that became unusable (read-only, corrupt, removed or replaced),
    ends the process with one redacted line on stderr and exit code 1, never a traceback."""
    from telegram.error import InvalidToken, NetworkError, TelegramError  # start-up: not `ask`

    try:
        yield
    except InvalidToken:
        raise fail(REFUSED_LINE) from None
    except NetworkError as exc:
        raise fail(f"Telegram could not be reached: {one_line(exc)}") from None
    except TelegramError as exc:
        raise fail(f"Telegram answered with an error: {one_line(exc)}") from None
    except Exception as exc:  # StorageError, sqlite3.DatabaseError (storage.db.is_fatal)
        if not is_fatal(exc):
            raise
        raise fail(f"database unusable, stopping: {one_line(exc)}") from None
