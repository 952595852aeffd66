"""The bot's HTTP layer for Bot API calls: python-telegram-bot's ``BaseRequest`` on aiohttp.

PTB's default layer (httpx over httpcore) spends most of a send's CPU on connection-pool
bookkeeping: a paid broadcast at 1000 messages a second needs well under 1 ms of CPU per
message, and with httpx a send alone cost about 1.8 ms (BENCHMARKS.md, fan-out). aiohttp's
client keeps a pool of keep-alive connections at a fraction of that cost. Calls without a
file go as a JSON body (the Bot API takes ``application/json``); uploads as multipart, the
way PTB's own layer sends them. Errors map as PTB's layer maps them: a timeout is
``TimedOut``, any other transport failure ``NetworkError``; the HTTP answer itself (status
and body) is PTB's to interpret (``BaseRequest._request_wrapper``).

getUpdates keeps PTB's httpx layer (``bot.app.builder.PollingRequest``): one long poll at a time.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

#: PTB's defaults for its own layer (HTTPXRequest): seconds.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
#: Connections kept to the Bot API at most (PTB's default pool size for a built bot).
POOL_SIZE = 256

JSON = {"Content-Type": "application/json"}


def _seconds(value: Any, default: float | None) -> float | None:
    """A PTB timeout argument: DEFAULT_NONE means ours, None means no limit."""
    if isinstance(value, type(BaseRequest.DEFAULT_NONE)):
        return default
    return None if value is None else float(value)


class BotRequest(BaseRequest):
    """Bot API calls over one aiohttp session (created on ``initialize`` or first use)."""

    def __init__(
        self,
        *,
        pool_size: int = POOL_SIZE,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        read_timeout: float | None = READ_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
    ) -> None:
        self.pool_size = pool_size
        self.connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self.pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"User-Agent": self.USER_AGENT}

    @property
    def read_timeout(self) -> float | None:
        """See :attr:`BaseRequest.read_timeout`."""
        return self._read_timeout

    def _open(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(limit=self.pool_size)
            # No cookies (the Bot API sets none): skips the jar on every answer.
            session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), headers=self._headers
            )
            self._session = session
        return session

    async def initialize(self) -> None:
        """See :meth:`BaseRequest.initialize`."""
        self._open()

    async def shutdown(self) -> None:
        """See :meth:`BaseRequest.shutdown`."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`BaseRequest.do_request`. aiohttp has no write timeout of its own: a
        write that stalls is cut by the read timeout (the answer does not come)."""
        session = self._open()
        connect = _seconds(connect_timeout, self.connect_timeout)
        pool = _seconds(pool_timeout, self.pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's ``connect`` covers waiting for a pooled connection and connecting.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        data: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
            else:
                # Values as JSON types (``json_payload`` would send every value as a string).
                data, headers = json.dumps(request_data.parameters).encode(), JSON
        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as answer:
                return answer.status, await answer.read()
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutError (and ClientError)
            raise TimedOut(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
