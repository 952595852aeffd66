"""The chart cache: PNGs drawn once per key and session, and the Telegram file ids of sent
charts (inline answers send a stored chart again without uploading it)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Hashable

from bot.commands.registry import ChatType, Request
from bot.services import Services
from storage.dashboards import save_chart_file


async def cached_chart(
    services: Services, key: tuple[Hashable, ...], session: dt.date, draw: Callable[[], bytes]
) -> bytes:
    """The PNG for ``key`` on ``session``: from the cache, or drawn in a worker thread."""
    cache = services.charts
    full = ("chart", *key, session)
    found = cache.get_or_none(full)
    if isinstance(found, bytes):
        return found
    png = await asyncio.to_thread(draw)
    cache.put(full, png)
    return png


async def chart_for(
    request: Request, key: tuple[Hashable, ...], session: dt.date, draw: Callable[[], bytes]
) -> bytes | None:
    """The chart of a chat reply, or None when the user asked for too many charts lately:
    the flood check comes here, after the arguments were checked, and the reply still goes
    out as text (with a note saying why the chart is missing)."""
    if request.chat_type != ChatType.CONSOLE and request.user_id is not None:
        wait = request.services.flood.check(request.user_id)
        if wait:
            request.notes.append(f"Chart left out: too many charts at once; try again in {wait} s.")
            return None
    return await cached_chart(request.services, key, session, draw)


def remember_chart(
    services: Services, chart: str, session: dt.date, file_id: str | None, *, now: dt.datetime
) -> None:
    """Store the Telegram file id of ``chart`` ("ratio:IWM/SPY") on ``session`` as the bot
    sent it (None: the message carried no photo, nothing stored)."""
    if file_id is not None:
        save_chart_file(services.db, chart, session, file_id, now=now)
