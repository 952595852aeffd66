"""How a problem the user can fix becomes the one line every face shows.

A command raises ``UserError`` (bad arguments, refused, unknown command) or ``NotStored`` (a
symbol with no stored prices). Telegram (commands, channel posts, fetched-later answers),
``ask``, ``console``, the demo, ``export`` and the Mini App all turn them into text here, so
the same bad input reads the same everywhere: ``problem_html`` for Telegram, ``problem_text``
(the same line as Telegram shows it) for the terminal, ``web_problem`` for the Mini App's
JSON errors.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.commands.registry import UserError
from bot.queries.fetcher import FetchFailure, NotStored
from bot.queries.readapi import not_found_text
from bot.render.common import error_html
from bot.render.format import html_to_plain
from bot.services import Services


def problem_html(problem: UserError) -> str:
    """The problem as one HTML line, with the usage on the next line when known."""
    return error_html(problem.message, problem.usage)


def problem_text(problem: UserError) -> str:
    """``problem_html`` as plain text: exactly what Telegram shows for it."""
    return html_to_plain(problem_html(problem))


def unknown_command(name: str) -> UserError:
    """A command the bot does not have."""
    shown = name if len(name) <= 32 else name[:32] + "…"
    return UserError(f"Unknown command /{shown}; see /help.")


def not_stored_problem(
    services: Services,
    missing: NotStored,
    failures: Mapping[str, FetchFailure] | None = None,
) -> UserError:
    """Why ``missing``'s symbols have no prices. ``failures``: what a fetch just said about
    them (not found, with close matches, or the source did not answer); empty when the fetch
    went through and they are still missing; None when nothing was fetched (the command line's
    export, which says how to fetch them)."""
    names = ", ".join(missing.symbols)
    if failures:
        return UserError(" ".join(not_found_text(services, s, f) for s, f in failures.items()))
    if failures is None:
        return UserError(
            f"{names} has no stored prices; run: rotation-bot prices update "
            + " ".join(missing.symbols)
        )
    return UserError(f"{names} is still not available.")


def web_problem(problem: UserError | NotStored) -> str:
    """The Mini App's one line for a problem (its JSON ``error``): the chat's message without
    the usage (the page has its own controls); an unstored symbol is fetched from the chat,
    never by the page."""
    if isinstance(problem, NotStored):
        names = ", ".join(problem.symbols)
        ask = f"/ticker {names}" if len(problem.symbols) == 1 else "/ticker SYMBOL"
        return f"{names}: no prices stored yet; ask {ask} in the chat first."
    return problem.message
