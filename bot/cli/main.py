"""The `rotation-bot` command line: the composition root for every offline and online face.

Every command is registered here, one way, from the tables below; the modules hold the
command functions (thin over library functions).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import typer

from bot.cli import chat, export, jobs, prices
from bot.cli.common import EnvFileOption, set_env_file_option
from bot.logs import install_excepthook

# python-telegram-bot 22: RetryAfter.retry_after as a timedelta (the int form is deprecated).
os.environ.setdefault("PTB_TIMEDELTA", "true")

#: `rotation-bot NAME`, in the order --help lists them (after the prices group).
COMMANDS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("ask", chat.ask),
    ("console", chat.console),
    ("run", chat.run),
    ("daily", jobs.daily),
    ("replay", jobs.replay),
    ("demo", jobs.demo),
    ("export", export.export),
)
#: `rotation-bot prices NAME`.
PRICES_COMMANDS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("update", prices.update),
    ("show", prices.show),
)


def _typer(**options: Any) -> typer.Typer:
    # Plain click help: flags shown as flags (rich mode prints "--dry-run <bool>").
    return typer.Typer(no_args_is_help=True, rich_markup_mode=None, **options)


app = _typer(
    name="rotation-bot",
    help="Market leadership rotation, tracked daily and pushed to Telegram.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
prices_app = _typer(help="Refresh and inspect stored daily prices.")


@app.callback()
def _root(env_file: EnvFileOption = None) -> None:
    """Market leadership rotation, tracked daily and pushed to Telegram."""
    set_env_file_option(env_file)


for _name, _command in PRICES_COMMANDS:
    prices_app.command(_name)(_command)
app.add_typer(prices_app, name="prices")
for _name, _command in COMMANDS:
    app.command(_name)(_command)


def main() -> None:
    """Console-script entry point."""
    install_excepthook()
    app(prog_name="rotation-bot")


if __name__ == "__main__":  # pragma: no cover
    main()
