"""/dashboard: a pinned scoreboard in a group or channel, edited after each daily run."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from bot.commands.registry import GROUP_TYPES, ChatType, Command, Reply, Request, UserError
from bot.handlers.channels import managed_channel
from bot.queries.readapi import snapshot_for
from bot.render.format import esc
from bot.services import utc_now
from jobs.fanout import dashboard_body
from storage.chats import upsert_chat
from storage.dashboards import get_dashboard, stop_dashboard

if TYPE_CHECKING:  # telegram and the dashboard sender are imported where a command needs them:
    import telegram  # the offline faces (ask, console) never load them

DASHBOARD_USAGE = "/dashboard [off] in a group — in private /dashboard @channel [off]"


async def _channel(request: Request, bot: telegram.Bot, name: str) -> tuple[int, str]:
    """(id, name) of a channel the sender administers and the bot may post in."""
    refusal = f"Only admins of {name[:40]} can set up its dashboard."
    channel = await managed_channel(request, bot, name, usage=DASHBOARD_USAGE, refusal=refusal)
    return channel.id, name


async def cmd_dashboard(request: Request) -> Reply:
    """/dashboard [off], or /dashboard @channel [off] in private: start or stop the pinned,
    self-updating scoreboard."""
    bot = request.bot
    if bot is None:
        raise UserError("/dashboard works only in Telegram.")
    args = list(request.args)
    if request.chat_type == ChatType.PRIVATE:
        if not args or not args[0].startswith("@"):
            raise UserError(
                "Send /dashboard in a group, or /dashboard @channel here for a channel you "
                "administer.",
                DASHBOARD_USAGE,
            )
        chat_id, name = await _channel(request, bot, args.pop(0))
    elif request.chat_type in GROUP_TYPES:
        chat_id, name = request.chat_id, "this chat"
        upsert_chat(request.services.db, chat_id, request.chat_type, now=utc_now())
    else:
        raise UserError("Use /dashboard in a group, or in private for a channel.", DASHBOARD_USAGE)
    if len(args) > 1 or (args and args[0].lower() != "off"):
        raise UserError("The only option is off.", DASHBOARD_USAGE)
    if args:
        return await _stop(request, bot, chat_id, name)
    return await _start(request, bot, chat_id, name)


async def _start(request: Request, bot: telegram.Bot, chat_id: int, name: str) -> Reply:
    # start-up cost: the offline faces never load telegram (nor delivery, built on it)
    from telegram.error import BadRequest, Forbidden

    from bot.delivery.dashboard import post_dashboard, update_dashboard

    services = request.services
    snap = await snapshot_for(services, None)
    body = dashboard_body(snap, services.universe)
    now = utc_now()
    admin = request.user_id if request.sender_chat_id is None else None
    board = get_dashboard(services.db, chat_id)
    try:
        if board is not None and board.active:
            done = await update_dashboard(bot, services, board, body, now=now)
            board = get_dashboard(services.db, chat_id)
            assert board is not None
            if done.action != "reposted":
                return Reply(f"📌 {esc(name).capitalize()} already has the dashboard; it is "
                             "updated after each NYSE close. /dashboard off stops it.")  # fmt: skip
        else:
            board = await post_dashboard(bot, services, chat_id, body, admin_id=admin, now=now)
    except Forbidden:
        raise UserError(f"I cannot post in {name[:40]}.") from None
    except BadRequest as exc:
        raise UserError(f"Telegram refused the dashboard: {exc.message[:80]}.") from None
    if board.pin_error is not None:
        return Reply(
            f"📌 Dashboard posted in {esc(name)}, but I could not pin it "
            f"({esc(board.pin_error)}). Give me the right to pin messages and send /dashboard "
            "again. It is updated after each NYSE close either way."
        )
    return Reply(
        f"📌 Dashboard posted and pinned in {esc(name)}. I edit that same message after each "
        "NYSE close. /dashboard off stops it."
    )


async def _stop(request: Request, bot: telegram.Bot, chat_id: int, name: str) -> Reply:
    from telegram.error import (  # start-up cost: the offline faces never load telegram
        BadRequest,
        Forbidden,
    )

    stopped = stop_dashboard(request.services.db, chat_id, now=utc_now())
    if stopped is None:
        return Reply(f"There is no dashboard in {esc(name)}. /dashboard starts one.")
    if stopped.pinned:
        # Deleted meanwhile, or the pin right was taken away: nothing left to undo.
        with contextlib.suppress(BadRequest, Forbidden):
            await bot.unpin_chat_message(chat_id, message_id=stopped.message_id)
    return Reply(f"Dashboard stopped in {esc(name)} and unpinned; the message stays as it is.")


COMMANDS: tuple[Command, ...] = (
    Command("dashboard", "A pinned scoreboard that updates itself", DASHBOARD_USAGE,
            cmd_dashboard, admins_only_in_groups=True, offline=False, chart=True),
)  # fmt: skip
