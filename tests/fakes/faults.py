"""Bot API error answers and the fault plan (per chat, next N calls) a test can inject."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = (
    "forbidden",
    "kicked",
    "migrated",
    "flood",
    "not_found",
    "bad_gateway",
    "unauthorized",
    "gone",
    "conflict",
    "server_error",
)

# Methods a test usually means by "the next call": everything that is not polling or start-up.
_BACKGROUND_METHODS = frozenset({"getUpdates", "getMe", "deleteWebhook", "getWebhookInfo"})


class ApiError(Exception):
    """An error answer, serialised exactly as Telegram does."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body: ``{"ok": false, "error_code", "description"[, "parameters"]}``."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """400 ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


def flood_error(retry_after: int) -> ApiError:
    """429 with ``parameters.retry_after`` (seconds)."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def fault_error(
    kind: str, chat_id: int | str | None, *, retry_after: int = 1, new_chat_id: int | None = None
) -> ApiError:
    """The error Telegram gives for a fault ``kind`` (see ``FAULT_KINDS``)."""
    if kind == "forbidden":
        return ApiError(403, "Forbidden: bot was blocked by the user")
    if kind == "kicked":
        return ApiError(403, "Forbidden: bot was kicked from the group chat")
    if kind == "migrated":
        target = new_chat_id
        if target is None:
            target = -1_000_000_000_000 - abs(int(chat_id or 0))
        return ApiError(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": target},
        )
    if kind == "flood":
        return flood_error(retry_after)
    if kind == "not_found":
        return bad_request("chat not found")
    if kind == "bad_gateway":
        return ApiError(502, "Bad Gateway")
    if kind == "unauthorized":  # the token was revoked
        return ApiError(401, "Unauthorized")
    if kind == "gone":  # what Telegram answers a malformed token (or an unknown method)
        return ApiError(404, "Not Found")
    if kind == "conflict":
        return ApiError(409, "Conflict: terminated by other getUpdates request")
    if kind == "server_error":
        return ApiError(500, "Internal Server Error")
    raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")


@dataclass
class Fault:
    """One injected fault: what to answer, and how many more times (None = until cleared)."""

    kind: str
    remaining: int | None
    retry_after: int = 1
    new_chat_id: int | None = None
    methods: frozenset[str] | None = None

    def applies_to(self, method: str) -> bool:
        """True if this fault should answer a call of ``method``."""
        if self.methods is not None:
            return method in self.methods
        return method not in _BACKGROUND_METHODS

    def take(self, chat_id: int | str | None) -> ApiError:
        """Consume one use and return the error to answer."""
        if self.remaining is not None:
            self.remaining -= 1
        return fault_error(
            self.kind, chat_id, retry_after=self.retry_after, new_chat_id=self.new_chat_id
        )


@dataclass
class FaultPlan:
    """Faults per chat id and for the next N calls regardless of chat."""

    per_chat: dict[int | str, Fault] = field(default_factory=dict)
    upcoming: list[Fault] = field(default_factory=list)

    def check(self, method: str, chat_id: int | str | None) -> ApiError | None:
        """Return the error to answer for this call, or None to proceed normally."""
        for fault in self.upcoming:
            if fault.applies_to(method):
                error = fault.take(chat_id)
                self.upcoming = [f for f in self.upcoming if f.remaining != 0]
                return error
        fault = self.per_chat.get(chat_id) if chat_id is not None else None
        if fault is not None and fault.applies_to(method):
            error = fault.take(chat_id)
            if fault.remaining == 0:
                del self.per_chat[chat_id]  # type: ignore[arg-type]
            return error
        return None
