"""The offline runner: a command text run through a command table without Telegram (ask,
console, demo, warm-up; ``bot.handlers.answer`` binds the bot's table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from bot.commands.dispatch import run_command
from bot.commands.problems import not_stored_problem, unknown_command
from bot.commands.registry import (
    ChatType,
    Command,
    Reply,
    Request,
    UserError,
    find,
    parse_command,
    split_args,
)
from bot.queries.fetcher import NotStored, fetch_now
from bot.render.format import html_to_plain
from bot.services import Services


async def run_text(
    commands: Sequence[Command],
    services: Services,
    text: str,
    *,
    asof: dt.date | None = None,
    chat_id: int = 0,
    user_id: int = 0,
    progress: Callable[[str], None] | None = None,
    charts: bool = True,
) -> Reply:
    """Run ``text`` ("/rotation 1m") through ``commands`` as a console chat and return the reply.

    Raise UserError for anything the user typed wrong (not a command, unknown command, bad
    arguments). A symbol that is not stored yet is fetched right here (there is no reply path
    to protect offline); ``progress`` is told about it first. ``charts=False``: no chart
    is drawn (the reply has no photo).
    """
    parsed = parse_command(text)
    if parsed is None:
        raise UserError("Type a command, for example /rotation or /ticker IWM.", "/help")
    name, raw = parsed.name, parsed.raw_args
    command = find(commands, name)
    if command is None:
        raise unknown_command(name)
    request = Request(
        services=services,
        command=name,
        args=split_args(raw),
        raw_args=raw,
        chat_id=chat_id,
        chat_type=ChatType.CONSOLE,
        user_id=user_id,
        asof=asof,
        charts=charts,
    )
    try:
        return await run_command(command, request)
    except NotStored as missing:
        if progress is not None:
            progress(f"fetching {', '.join(missing.symbols)} from the price source…")
        failures = await fetch_now(services, missing.symbols, asof=asof)
        if failures:
            services.fetcher.note_missing(failures)
            raise not_stored_problem(services, missing, failures) from None
    try:
        return await run_command(command, request)
    except NotStored as still:
        raise not_stored_problem(services, still, {}) from None


def reply_to_plain(reply: Reply) -> str:
    """The reply as plain text: tags stripped, entities unescaped."""
    return html_to_plain(reply.html)
