"""The command registry: one Request/Reply shape and one Command table for every face of the bot.

Telegram handlers, ``/help``, ``set_my_commands`` and the offline ``ask``/``console`` all read
the same ``Command`` objects (``bot.handlers.COMMANDS``, passed to whoever needs the table), so
a command is declared exactly once. This module imports no handler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import telegram

    from bot.services import Services

#: Rows of inline buttons, each button a (label, callback_data) pair.
Keyboard = tuple[tuple[tuple[str, str], ...], ...]


class ChatType(StrEnum):
    """Where a command comes from: a Telegram chat's type, or the terminal (``ask``,
    ``console``, the demo and the warm-up run commands as CONSOLE: no Telegram, no limits)."""

    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"
    CONSOLE = "console"


#: The chat types of groups (admins-only commands, dashboards pinned by admins).
GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


@dataclass(frozen=True)
class Request:
    """One command invocation, from Telegram or offline (ask/console)."""

    services: Services
    command: str
    args: tuple[str, ...]
    raw_args: str
    chat_id: int
    chat_type: ChatType
    user_id: int | None
    sender_chat_id: int | None = None
    thread_id: int | None = None
    asof: dt.date | None = None
    bot: telegram.Bot | None = None
    # False: the caller shows no chart (a text-only ``ask``), so none is drawn.
    charts: bool = True
    #: Lines the dispatcher adds under the reply (e.g. why a chart was left out).
    notes: list[str] = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True)
class Document:
    """A file a command answers with (``sendDocument``): its name and bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class AppLink:
    """Which view of the Mini App an answer opens (``params``: its query, e.g. the pair);
    the button is added where the bot runs its web app (WEBAPP_URL)."""

    view: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Reply:
    """What a command answers: HTML text, optionally a PNG photo and inline buttons.

    With a photo, ``html`` is its caption when it fits (1024); otherwise the photo goes out
    with ``caption`` (a short HTML line, optional) and ``html`` follows as text. With a
    ``document``, ``html`` is the document's caption (keep it under 1024).
    """

    html: str
    photo: bytes | None = None
    keyboard: Keyboard | None = None
    silent: bool = False
    caption: str | None = None
    document: Document | None = None
    #: Which chart ``photo`` is ("ratio:IWM/SPY", "price:IWM") and its session: the file id
    #: Telegram gives the sent photo is stored for inline answers.
    chart: tuple[str, dt.date] | None = None
    #: The Mini App view this answer opens from a button under it (None: no button).
    webapp: AppLink | None = None


class UserError(Exception):
    """An expected problem (bad arguments, unknown symbol...): a friendly one-line reply.

    ``message`` is plain text (it is escaped when rendered); ``usage`` is the command usage.
    """

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


Handler = Callable[[Request], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    """A chat command: name, one-line summary, usage, handler and who may run it."""

    name: str
    summary: str
    usage: str
    handler: Handler
    operators_only: bool = False
    admins_only_in_groups: bool = False
    offline: bool = True
    chart: bool = False
    hidden: bool = False


@dataclass(frozen=True)
class CommandText:
    """A command message taken apart: "/Pair@MyBot IWM SPY" is name "pair", target "MyBot",
    raw_args "IWM SPY"."""

    name: str
    raw_args: str = ""
    target: str = ""


def parse_command(text: str) -> CommandText | None:
    """The one parser of command texts (Telegram messages, channel posts, ask/console); None
    when ``text`` is not a command."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    parts = stripped[1:].split(None, 1)
    if not parts:
        return None
    name, _, target = parts[0].partition("@")
    if not name:
        return None
    return CommandText(name.lower(), parts[1].strip() if len(parts) > 1 else "", target)


def split_args(raw: str) -> tuple[str, ...]:
    """Whitespace-separated arguments of a command text."""
    return tuple(raw.split())


def unique_commands(commands: Iterable[Command]) -> tuple[Command, ...]:
    """``commands`` as a tuple; a second command with an existing name is an error (one
    registry, one meaning per name)."""
    found = tuple(commands)
    seen: set[str] = set()
    for command in found:
        if command.name in seen:
            raise ValueError(f"command /{command.name} is declared twice")
        seen.add(command.name)
    return found


class CommandTable:
    """A command table its own commands can list before it is complete (``/help`` is in the
    table it lists): ``fill`` it once, then call it for the commands."""

    def __init__(self) -> None:
        self._commands: tuple[Command, ...] | None = None

    def fill(self, commands: Iterable[Command]) -> tuple[Command, ...]:
        """Set the table (``unique_commands``) and return it."""
        self._commands = unique_commands(commands)
        return self._commands

    def __call__(self) -> tuple[Command, ...]:
        if self._commands is None:
            raise RuntimeError("the command table was never filled")
        return self._commands


def find(commands: Iterable[Command], name: str) -> Command | None:
    """The command called ``name`` (no slash), or None."""
    for command in commands:
        if command.name == name:
            return command
    return None
