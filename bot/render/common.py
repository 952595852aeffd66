"""Small shared pieces of HTML: error lines, fetching notices, start and help texts."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.registry import Command
from bot.render.format import esc


def error_html(message: str, usage: str | None = None) -> str:
    """A friendly one-line problem, with the usage on the next line when known."""
    text = f"⚠️ {esc(message)}"
    if usage:
        text += f"\nUsage: <code>{esc(usage)}</code>"
    return text


def fetching_html(symbols: Sequence[str]) -> str:
    """Told at once when a symbol is not stored yet and is being fetched."""
    names = ", ".join(symbols)
    return (
        f"⏳ {esc(names)} is not stored yet; fetching it now. The answer follows here in a moment."
    )


def internal_error_html() -> str:
    """What a user sees when a command crashed."""
    return "Something went wrong on our side; it was logged and the operators were told."


def help_html(commands: Sequence[Command], *, operator: bool = False) -> str:
    """/help: every visible command with its usage and summary, from the registry."""
    lines = ["<b>Commands</b>"]
    for command in commands:
        if command.hidden or (command.operators_only and not operator):
            continue
        lines.append(f"<code>{esc(command.usage)}</code>\n  {esc(command.summary)}")
    lines.append(
        "\nHorizons: 1d, 1w, 1m, 3m, ytd, 1y. Spreads are in percentage points (pp); "
        "every number is as of the last NYSE close stored."
    )
    return "\n".join(lines)


def start_html(commands: Sequence[Command]) -> str:
    """/start: what the bot does and the main commands."""
    main = [c for c in commands if not c.hidden and not c.operators_only][:6]
    lines = [
        "<b>Rotation bot</b> tracks market leadership: small caps vs large caps, equal "
        "weight vs cap weight, regional banks, baskets like MAG7. It tells you who leads, "
        "by how much, since when, and whether the move is broad or narrow.",
        "",
    ]
    lines += [f"{esc('/' + c.name)} — {esc(c.summary)}" for c in main if c.name != "help"]
    lines.append("\nEvery command with its arguments: /help")
    return "\n".join(lines)
