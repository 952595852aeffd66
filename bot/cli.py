"""The `rotation-bot` command line: the composition root for every offline and online face."""

from __future__ import annotations

import logging
import os
import sys

import typer

from bot import cli_chat, cli_export, cli_jobs, cli_prices

# python-telegram-bot 22: RetryAfter.retry_after as a timedelta (the int form is deprecated).
os.environ.setdefault("PTB_TIMEDELTA", "true")

app = typer.Typer(
    name="rotation-bot",
    help="Market leadership rotation, tracked daily and pushed to Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


app.add_typer(cli_prices.prices, name="prices")
cli_chat.register(app)
cli_jobs.register(app)
cli_export.register(app)


def main() -> None:
    """Console-script entry point: a bug ends in one line on stderr, never a traceback."""
    try:
        app(prog_name="rotation-bot")
    except Exception as exc:  # the last line of defence; causes are fixed where they arise
        logging.getLogger("bot.cli").debug("unexpected %r", exc)
        print(f"rotation-bot: internal error ({type(exc).__name__}: {exc})", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
