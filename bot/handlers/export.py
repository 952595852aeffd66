"""/export: a CSV document of a pair or a symbol, from stored closes (sendDocument)."""

from __future__ import annotations

from bot.commands.registry import Command, Document, Reply, Request
from bot.queries.export import EXPORT_USAGE, describe, export_file, parse_export
from bot.queries.readapi import chat_universe
from bot.render.format import esc


async def cmd_export(request: Request) -> Reply:
    """/export A/B [1y|all] or /export SYMBOL [1y|all]: the data behind the numbers, as CSV."""
    services = request.services
    uni = chat_universe(services, request.chat_id)
    wanted = parse_export(services, request.raw_args, universe=uni)
    export = await export_file(services, wanted, request.asof, uni)
    caption = f"📄 {esc(describe(export, wanted.span))}"
    return Reply(caption, document=Document(export.filename, export.data))


COMMANDS: tuple[Command, ...] = (
    Command("export", "CSV of a pair or a symbol", EXPORT_USAGE, cmd_export, chart=True),
)
