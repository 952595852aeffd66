"""Wire format of the fake Bot API: decoding request parameters, encoding answers, and
turning one answered call into an ``ApiCall`` record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from tests.fakes.faults import ApiError
from tests.fakes.records import ApiCall

# Parameters Telegram takes as plain strings (everything else arrives JSON-encoded).
_RAW_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "action",
        "url",
        "inline_message_id",
        "file_id",
        "language_code",
        "secret_token",
        "business_connection_id",
        "message_effect_id",
        "photo",
        "document",
        "ip_address",
    }
)


def json_response(body: dict[str, Any], status: int) -> web.Response:
    """An ``application/json`` answer with the given HTTP status."""
    return web.Response(text=json.dumps(body), status=status, content_type="application/json")


async def read_params(request: web.Request) -> dict[str, Any]:
    """Decode query, form, multipart or JSON parameters the way the Bot API does."""
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    fields: dict[str, str | bytes] = dict(request.query)
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            fields[key] = Upload(value.file.read(), value.filename)
        else:
            fields[key] = str(value)
    return decode_params(fields)


class Upload(bytes):
    """An uploaded file's bytes with the file name the client gave it."""

    filename: str

    def __new__(cls, data: bytes, filename: str | None) -> Upload:
        made = super().__new__(cls, data)
        made.filename = filename or ""
        return made


def decode_params(fields: Mapping[str, str | bytes]) -> dict[str, Any]:
    """JSON-decode form fields except those Telegram takes as plain strings; keep files."""
    params: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, bytes) or key in _RAW_PARAMS:
            params[key] = value
        else:
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
    return params


def make_call(
    chat_id: int | str | None, method: str, params: dict, result: Any, error: ApiError | None
) -> ApiCall:
    message = result if isinstance(result, dict) and "message_id" in result else None
    photo = params.get("photo")
    rendered = None
    if message is not None:
        rendered = message.get("text", message.get("caption"))
    return ApiCall(
        method=method,
        params={k: v for k, v in params.items() if not isinstance(v, bytes)},
        chat_id=chat_id,
        text=params.get("text"),
        caption=params.get("caption"),
        rendered=rendered,
        parse_mode=params.get("parse_mode"),
        reply_markup=params.get("reply_markup"),
        photo_bytes=len(photo) if isinstance(photo, bytes) else None,
        message_id=message["message_id"] if message else params.get("message_id"),
        message_thread_id=params.get("message_thread_id"),
        disable_notification=params.get("disable_notification"),
        ok=error is None,
        error_code=error.error_code if error else None,
        description=error.description if error else None,
        result=result,
    )
