"""The `rotation-bot` command line: the composition root for every offline and online face."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from bot.logs import setup_logging
from bot.services import Services, build_services
from bot.settings import Settings, SettingsError, load_settings
from market.universe import UniverseError
from storage.db import StorageError

# python-telegram-bot 22: RetryAfter.retry_after as a timedelta (the int form is deprecated).
os.environ.setdefault("PTB_TIMEDELTA", "true")

app = typer.Typer(
    name="rotation-bot",
    help="Market leadership rotation, tracked daily and pushed to Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


def _register() -> None:
    from bot import cli_prices

    app.add_typer(cli_prices.prices, name="prices")
    for module_name in ("bot.cli_chat", "bot.cli_jobs"):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(app)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="rotation-bot")


if __name__ == "__main__":  # pragma: no cover
    main()
