"""What every `rotation-bot` subcommand shares: settings and services, dates, clean exits."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import typer
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.logs import one_line, register_secret, setup_logging
from bot.services import Services, build_services
from bot.settings import Settings, SettingsError, load_settings, parse_date
from market.universe import UniverseError
from storage.db import StorageError


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` to stderr and return the Exit to raise (no traceback)."""
    typer.echo(message, err=True)
    return typer.Exit(code)


def load() -> tuple[Settings, Services]:
    """Settings and services for a subcommand; configuration problems end the process cleanly."""
    try:
        settings = load_settings(env_file=Path(".env"))
    except SettingsError as exc:
        raise fail(str(exc)) from None
    register_secret(settings.telegram_bot_token)
    register_secret(settings.webhook_secret)
    setup_logging(settings.log_level)
    if settings.env_file_warning:
        typer.echo(f"warning: {settings.env_file_warning}", err=True)
    try:
        return settings, build_services(settings)
    except (StorageError, UniverseError) as exc:
        raise fail(str(exc)) from None


def date_option(value: str | None, name: str = "--asof") -> dt.date | None:
    """A YYYY-MM-DD option value, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


REFUSED_LINE = (
    "Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN "
    "(SECURITY.md explains how to rotate it)."
)


@contextlib.contextmanager
def telegram_errors() -> Iterator[None]:
    """Around an entry point that talks to Telegram: any Telegram error ends the process with
    one redacted line on stderr and exit code 1, never a traceback."""
    try:
        yield
    except InvalidToken:
        raise fail(REFUSED_LINE) from None
    except NetworkError as exc:
        raise fail(f"Telegram could not be reached: {one_line(exc)}") from None
    except TelegramError as exc:
        raise fail(f"Telegram answered with an error: {one_line(exc)}") from None
