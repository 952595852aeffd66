"""Run tests.fakes.botapi.FakeBotApi on loopback in its own process for the send benchmarks.

``python -m bench.fake_server [MAX_PER_SECOND] [refuse]`` prints the port, serves until stdin
closes, then prints one JSON line of what it saw (calls, delivered, floods) and exits. With
``refuse``, a sendMessage to a chat whose id ends in 3 (10 % of consecutive ids) answers 403
"Forbidden: bot was blocked by the user", and to one whose id ends in 07 (1 %) 400 "Bad
Request: chat not found", every time; the JSON line then counts the calls each such chat got.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any

from tests.fakes.botapi import FakeBotApi
from tests.fakes.faults import fault_error

TOKEN = "123:TEST"


class BroadcastFake(FakeBotApi):
    """The fake Bot API, answering sendMessage the cheap way: the message it stores and
    answers has the text as sent (no HTML parsed into entities, no PTB objects built). The
    benchmarks measure the bot's cost per message; Telegram's own cost of rendering a message
    is not the bot's, and the faithful fake spends ~1.5 ms on it, too slow to stand in for
    Telegram at 1000 messages a second. Chats, refusals, flood control (``max_per_second``)
    and the record of calls are the fake's own."""

    def __init__(self, token: str, *, refuse: bool = False) -> None:
        super().__init__(token, any_chat=True)  # the benchmarks address chats in bulk
        self.refuse = refuse
        self.refused: Counter[int] = Counter()

    async def m_sendMessage(self, params: dict[str, Any]) -> Any:
        if self.refuse:
            kind = refusal(int(params["chat_id"]))
            if kind is not None:
                self.refused[int(params["chat_id"])] += 1
                raise fault_error(kind, params["chat_id"])
        chat = self._writable_chat(params.get("chat_id"))
        message_id = self._new_message_id(chat.id)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat.id, "type": chat.type},
            "text": str(params.get("text") or ""),
        }


def refusal(chat_id: int) -> str | None:
    """How a chat refuses messages with ``refuse`` on: "forbidden", "not_found" or None."""
    if chat_id % 10 == 3:
        return "forbidden"
    if chat_id % 100 == 7:
        return "not_found"
    return None


async def serve(max_per_second: float | None, refuse: bool = False) -> None:
    """Serve until stdin reaches end of file."""
    fake = BroadcastFake(TOKEN, refuse=refuse)
    fake.max_per_second = max_per_second
    await fake.start()
    print(fake.base_url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    copies = Counter(call.chat_id for call in fake.delivered)
    stats = {
        "calls": len(fake.calls),
        "delivered": len(fake.delivered),
        "floods": fake.floods,
        "chats": len(copies),
        "max_copies_per_chat": max(copies.values(), default=0),
        "cpu_s": round(time.process_time(), 3),
        "refused_chats": len(fake.refused),
        "refused_calls": sum(fake.refused.values()),
        "max_calls_per_refused_chat": max(fake.refused.values(), default=0),
    }
    await fake.stop()
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "refuse"]
    limit = float(args[0]) if args else None
    asyncio.run(serve(limit, "refuse" in sys.argv[1:]))
