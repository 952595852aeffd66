"""The `rotation-bot` command line: the composition root for every offline and online face."""

from __future__ import annotations

import os

import typer

from bot import cli_chat, cli_export, cli_jobs, cli_prices
from bot.cli_common import EnvFileOption, set_env_file_option
from bot.logs import install_excepthook

# python-telegram-bot 22: RetryAfter.retry_after as a timedelta (the int form is deprecated).
os.environ.setdefault("PTB_TIMEDELTA", "true")

app = typer.Typer(
    name="rotation-bot",
    help="Market leadership rotation, tracked daily and pushed to Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: flags shown as flags (rich mode prints "--dry-run <bool>").
    rich_markup_mode=None,
)


@app.callback()
def _root(env_file: EnvFileOption = None) -> None:
    """Market leadership rotation, tracked daily and pushed to Telegram."""
    set_env_file_option(env_file)


app.add_typer(cli_prices.prices, name="prices")
cli_chat.register(app)
cli_jobs.register(app)
cli_export.register(app)


def main() -> None:
    """Console-script entry point."""
    install_excepthook()
    app(prog_name="rotation-bot")


if __name__ == "__main__":  # pragma: no cover
    main()
