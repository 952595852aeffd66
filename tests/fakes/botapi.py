"""A local Telegram Bot API server (aiohttp, loopback) for end-to-end tests.

Point python-telegram-bot at it with
``ApplicationBuilder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url)``.
Requests arrive at ``/bot<token>/<method>``; answers are ``{"ok": true, "result": ...}`` or
Telegram's error shape. Inject updates (``send_command``, ``press_button``...), inspect what the
bot sent (``sent``, ``messages_to``, ``wait_for``) and inject faults (``fail_chat``,
``fail_next``, ``outage``, ``max_per_second``, ``delay``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import inspect
import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from telegram import Bot, BotCommand, Message

from tests.fakes.faults import FAULT_KINDS, ApiError, Fault, flood_error
from tests.fakes.inject import UpdateInjector
from tests.fakes.methods import BotApiMethods
from tests.fakes.objects import bot_user, chat_for_id
from tests.fakes.records import OUTGOING_METHODS, SENDING_METHODS, ApiCall
from tests.fakes.wire import decode_params, json_response, make_call, read_params

__all__ = ["FakeBotApi", "decode_params"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")


class FakeBotApi(BotApiMethods, UpdateInjector):
    """A Bot API compatible server on 127.0.0.1 with a test-facing control surface.

    Like Telegram, a chat the bot never met answers "Bad Request: chat not found": a chat is
    known once an update came from it (``send_command``...), or after ``add_chat`` /
    ``know_chats``. Unknown methods answer 404 "Not Found" as Telegram does. Stricter than
    Telegram (which ignores them), a parameter the method does not take answers 400, so a
    misspelt or misplaced parameter (a thread id the method has no field for) fails a test
    instead of being dropped in silence.

    Args:
        token: the only token accepted (others get 401 Unauthorized).
        any_chat: if True, any non-zero chat id is accepted and given a plausible chat (for
            tests about something else that address many chats no update introduced).
    """

    def __init__(self, token: str = "123:TEST", *, any_chat: bool = False) -> None:
        super().__init__()
        self.token = token
        self.bot = bot_user(int(token.split(":", 1)[0]))
        self.strict_chats = not any_chat
        self.calls: list[ApiCall] = []
        self.floods = 0
        self.max_per_second: float | None = None
        self.max_per_minute_per_group: int | None = None
        self.delay = 0.0
        self.delay_after_delivery = False
        self._outage: str | None = None
        self._send_times: collections.deque[float] = collections.deque()
        self._group_send_times: dict[int, collections.deque[float]] = {}
        self._changed = asyncio.Condition()
        self._gate: asyncio.Event | None = None
        self._gate_size = 0
        self._waiting_at_gate = 0
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        """Listen on a free loopback port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._closing = False
        return self

    async def stop(self) -> None:
        """Release long polls and shut the server down."""
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url``: PTB appends the token itself."""
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url``."""
        return f"http://127.0.0.1:{self._port}/file/bot"

    def know_chats(self, *chat_ids: int) -> None:
        """Make chats known by id (private for positive ids, groups for negative), as if each
        had written to the bot once."""
        for chat_id in chat_ids:
            if chat_id not in self.chats:
                self.add_chat(chat_for_id(chat_id))

    # -- inspection ------------------------------------------------------------------------

    @property
    def sent(self) -> list[ApiCall]:
        """Outgoing calls (sends, edits, answers, setMyCommands...), answered ok or not."""
        return [c for c in self.calls if c.method in OUTGOING_METHODS]

    @property
    def delivered(self) -> list[ApiCall]:
        """New messages that were accepted (sendMessage/sendPhoto/sendDocument answered ok)."""
        return [c for c in self.calls if c.ok and c.method in SENDING_METHODS]

    def messages_to(self, chat_id: int | str) -> list[ApiCall]:
        """Accepted new messages to ``chat_id``, oldest first."""
        return [c for c in self.delivered if c.chat_id == chat_id]

    def message(self, chat_id: int, message_id: int) -> Message | None:
        """The current state of a message the bot sent (after edits), or None if deleted."""
        return self._messages.get((chat_id, message_id))

    @property
    def commands(self) -> list[BotCommand]:
        """The command list from the last setMyCommands for the default scope and language."""
        return list(self._commands.get(("default", ""), []))

    def commands_for(self, scope_type: str = "default", language_code: str = "") -> list:
        """The command list set for a scope type (e.g. ``all_group_chats``) and language."""
        return list(self._commands.get((scope_type, language_code), []))

    async def wait_for(
        self,
        predicate: Callable[[], T],
        timeout: float = 60.0,  # noqa: ASYNC109 - the deadline is part of the test-facing API
    ) -> T:
        """Wait until ``predicate()`` is truthy and return its value.

        The deadline is generous (a minute): the wait ends as soon as the condition holds, so
        a loaded machine slows a test down instead of failing it.
        Re-checked after every API call the fake answers, and every few milliseconds for
        predicates over state outside the fake (e.g. a list a handler appends to).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            while not (value := predicate()):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    recent = [(c.method, c.chat_id, c.ok, c.body) for c in self.calls[-10:]]
                    raise TimeoutError(f"condition not met within {timeout}s; last calls: {recent}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.01))
            return value

    async def wait_for_message(
        self,
        chat_id: int | str,
        *,
        count: int = 1,
        timeout: float = 60.0,  # noqa: ASYNC109
    ) -> ApiCall:
        """Wait until ``count`` messages were delivered to ``chat_id``; return the last one."""
        msgs = await self.wait_for(
            lambda: self.messages_to(chat_id)[count - 1 :] or None, timeout=timeout
        )
        return msgs[0]

    # -- fault injection -------------------------------------------------------------------

    def fail_chat(
        self,
        chat_id: int | str,
        kind: str,
        *,
        times: int | None = None,
        retry_after: int = 1,
        new_chat_id: int | None = None,
    ) -> None:
        """Answer calls for ``chat_id`` with error ``kind`` (``times`` times, or until cleared).

        Kinds: forbidden (403 blocked by the user), kicked (403), migrated (400 with
        ``migrate_to_chat_id``), flood (429 with ``retry_after``), not_found (400 chat not
        found), bad_gateway (502), unauthorized (401), gone (404), conflict (409),
        server_error (500).
        """
        _check_kind(kind)
        self._faults.per_chat[chat_id] = Fault(kind, times, retry_after, new_chat_id)

    def clear_chat(self, chat_id: int | str) -> None:
        """Remove the fault set by ``fail_chat``."""
        self._faults.per_chat.pop(chat_id, None)

    def fail_next(
        self,
        n: int,
        kind: str,
        *,
        retry_after: int = 1,
        methods: set[str] | None = None,
    ) -> None:
        """Answer the next ``n`` calls with error ``kind``.

        By default only calls other than getUpdates/getMe/deleteWebhook count; pass
        ``methods={"getUpdates"}`` to break polling instead.
        """
        _check_kind(kind)
        chosen = frozenset(methods) if methods is not None else None
        self._faults.upcoming.append(Fault(kind, n, retry_after, None, chosen))

    def outage(self, on: bool, mode: str = "502") -> None:
        """Make every call fail: ``mode="502"`` answers Bad Gateway, ``"drop"`` closes the
        connection without an answer."""
        if mode not in ("502", "drop"):
            raise ValueError("mode must be '502' or 'drop'")
        self._outage = mode if on else None

    def hold_sends(self, until_in_flight: int) -> None:
        """Hold every new message (sendMessage/sendPhoto/sendDocument) unanswered until
        ``until_in_flight`` of them wait at once, then let them all through (once): proves
        that that many senders are sending at the same moment, without timing anything."""
        self._gate = asyncio.Event()
        self._gate_size = until_in_flight
        self._waiting_at_gate = 0

    @property
    def held_sends_met(self) -> bool:
        """Whether the sends held by ``hold_sends`` did wait together and were let through."""
        return self._gate is not None and self._gate.is_set()

    async def _pass_gate(self) -> None:
        gate = self._gate
        if gate is None or gate.is_set():
            return
        self._waiting_at_gate += 1
        if self._waiting_at_gate >= self._gate_size:
            gate.set()
        await gate.wait()

    # -- request handling ------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self._outage is not None:
            return self._outage_answer(request)
        params = await read_params(request)
        status, body = await self.answer(
            request.match_info["token"], request.match_info["method"], params
        )
        return json_response(body, status)

    async def answer(self, token: str, name: str, params: dict[str, Any]) -> tuple[int, dict]:
        """Answer one Bot API call: ``(http_status, json_body)``. Used by the HTTP server and
        by in-process requests (``tests.fakes.offline_request.FakeRequest``)."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        impl = self._method_table().get(name.lower())
        if impl is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        method = impl.__name__.removeprefix("m_")
        unknown = sorted(set(params) - _accepted_params(method, params))
        if unknown:
            error = ApiError(400, f"Bad Request: unknown parameter {unknown[0]!r} for {method}")
            await self._record(method, params, None, error)
            return error.error_code, error.payload()
        try:
            result = await self._dispatch(method, impl, params)
        except ApiError as error:
            if error.error_code == 429:
                self.floods += 1
            await self._record(method, params, None, error)
            return error.error_code, error.payload()
        await self._record(method, params, result, None)
        if self.delay and self.delay_after_delivery and method in SENDING_METHODS:
            await asyncio.sleep(self.delay)
        return 200, {"ok": True, "result": result}

    async def _dispatch(self, method: str, impl: Callable[..., Any], params: dict) -> Any:
        chat_id = self._resolve_chat_id(params.get("chat_id"))
        error = self._faults.check(method, chat_id)
        if error is not None:
            moved = (error.parameters or {}).get("migrate_to_chat_id")
            if moved is not None:  # the supergroup the group became exists from now on
                self.know_chats(int(moved))
            raise error
        if method in SENDING_METHODS:
            await self._pass_gate()
            if self.delay and not self.delay_after_delivery:
                await asyncio.sleep(self.delay)
            self._check_rate(chat_id)
        result = await impl(params)
        if method in SENDING_METHODS:
            self._count_send(chat_id)
        return result

    def _outage_answer(self, request: web.Request) -> web.StreamResponse:
        if self._outage == "drop" and request.transport is not None:
            request.transport.abort()
        return json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if self._outage is not None:
            return self._outage_answer(request)
        data = self._file_paths.get(request.match_info["path"])
        if request.match_info["token"] != self.token or data is None:
            return json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return web.Response(body=data, content_type="application/octet-stream")

    def _check_rate(self, chat_id: Any) -> None:
        now = time.monotonic()
        while self._send_times and self._send_times[0] <= now - 1.0:
            self._send_times.popleft()
        if self.max_per_second is not None and len(self._send_times) >= self.max_per_second:
            raise flood_error(1)
        if self.max_per_minute_per_group is not None and isinstance(chat_id, int) and chat_id < 0:
            times = self._group_send_times.setdefault(chat_id, collections.deque())
            while times and times[0] <= now - 60.0:
                times.popleft()
            if len(times) >= self.max_per_minute_per_group:
                raise flood_error(max(1, math.ceil(times[0] + 60.0 - now)))

    def _count_send(self, chat_id: Any) -> None:
        now = time.monotonic()
        self._send_times.append(now)
        if isinstance(chat_id, int) and chat_id < 0:
            self._group_send_times.setdefault(chat_id, collections.deque()).append(now)

    async def _record(self, method: str, params: dict, result: Any, error: ApiError | None) -> None:
        if method != "getUpdates":
            chat_id = self._resolve_chat_id(params.get("chat_id"))
            self.calls.append(make_call(chat_id, method, params, result, error))
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


# PTB arguments that never reach the wire.
_CLIENT_ONLY = frozenset(
    {"self", "read_timeout", "write_timeout", "connect_timeout", "pool_timeout", "api_kwargs"}
)
# With Defaults(parse_mode=...), PTB adds parse_mode to every message method, edits of media
# and keyboards included, where Telegram ignores it.
_PTB_DEFAULTS = frozenset({"parse_mode"})


@functools.cache
def _method_params(method: str) -> frozenset[str]:
    """The Bot API parameters of ``method``: those of python-telegram-bot's method of the same
    name (its arguments are named after the Bot API's), e.g. sendMessage -> Bot.send_message."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()
    impl = getattr(Bot, snake, None)
    if impl is None:
        raise AssertionError(f"the fake implements {method} but Bot has no {snake}")
    return frozenset(inspect.signature(impl).parameters) - _CLIENT_ONLY


def _accepted_params(method: str, params: dict[str, Any]) -> frozenset[str]:
    """The parameter names ``method`` takes, plus the upload fields its media refer to
    (``attach://name``)."""
    attached = {
        value.removeprefix("attach://")
        for value in _strings(params.get("media"))
        if value.startswith("attach://")
    }
    return _method_params(method) | attached | _PTB_DEFAULTS


def _strings(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, dict):
        return [s for value in raw.values() for s in _strings(value)]
    if isinstance(raw, list):
        return [s for value in raw for s in _strings(value)]
    return []


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
