"""`rotation-bot export PAIR|SYMBOL`: the /export CSV, written to a file or stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import date_option, fail, load
from bot.commands.problems import not_stored_problem, problem_text
from bot.commands.registry import UserError
from bot.queries.export import build_export, describe, parse_export
from bot.queries.fetcher import NotStored

USER_ERROR_EXIT = 2


def export(
    target: Annotated[
        str, typer.Argument(metavar="TARGET", help="A pair (IWM/SPY) or a symbol or basket (IWM).")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="File to write ('-' for stdout). Default: <PAIR>_<as-of date>.csv here.",
        ),
    ] = None,
    span: Annotated[
        str, typer.Option("--range", metavar="1y|all", help="1y (the last 252 sessions) or all.")
    ] = "1y",
    asof: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Export as of DATE (YYYY-MM-DD); default the latest."),
    ] = None,
) -> None:
    """Write a pair's or a symbol's stored history as CSV (same file as /export in Telegram)."""
    day = date_option(asof)
    _, services = load()
    try:
        wanted = parse_export(services, f"{target} {span}", "rotation-bot export IWM/SPY --out F")
        result = build_export(services, wanted, day)
    except NotStored as missing:
        raise fail(problem_text(not_stored_problem(services, missing)), USER_ERROR_EXIT) from None
    except UserError as exc:
        raise fail(problem_text(exc), USER_ERROR_EXIT) from None
    finally:
        services.db.conn.close()
    if out is not None and str(out) == "-":
        sys.stdout.buffer.write(result.data)
        sys.stdout.flush()
        return
    path = out if out is not None else Path(result.filename)
    try:
        path.write_bytes(result.data)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None
    typer.echo(f"{path}: {describe(result, wanted.span)}")
