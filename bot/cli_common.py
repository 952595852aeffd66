"""What every `rotation-bot` subcommand shares: settings and services, dates, clean exits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from bot.logs import setup_logging
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
