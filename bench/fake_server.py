"""Run tests.fakes.botapi.FakeBotApi on loopback in its own process for the send benchmarks.

``python -m bench.fake_server [MAX_PER_SECOND]`` prints the port, serves until stdin closes,
then prints one JSON line of what it saw (calls, delivered, floods) and exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

from tests.fakes.botapi import FakeBotApi

TOKEN = "123:TEST"


async def serve(max_per_second: float | None) -> None:
    """Serve until stdin reaches end of file."""
    fake = FakeBotApi(TOKEN)
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
    }
    await fake.stop()
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    limit = float(sys.argv[1]) if len(sys.argv) > 1 else None
    asyncio.run(serve(limit))
