"""Asking an HTTP price source (Tiingo, FRED) and judging its answer before anything parses it.

One GET per request over aiohttp. An answer counts only when it is what the source documents:
a 2xx status, a body, and not a web page. Stooq's free CSV, the usual fallback, came to answer
scripts with an HTML challenge page and HTTP 200: a parser that trusted the status code read
the page as prices. Any HTML answer is therefore a failure with its reason, whatever its
status; so are 404 (unknown symbol), 429 (rate limited), other statuses, an empty body and a
network error (the source unreachable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from market.provider import short_cause

#: Seconds for one request, connection included.
DEFAULT_TIMEOUT = 20.0


@dataclass(frozen=True)
class SourceFailure(Exception):
    """A request that gave no usable answer: ``cause`` is one short line for the operator.

    ``rate_limited``: the source refused for now (429); ``unreachable``: the failure says
    nothing about the symbol (network, server error, an HTML page): ask again later.
    """

    cause: str
    rate_limited: bool = False
    unreachable: bool = False

    def __str__(self) -> str:
        return self.cause


def looks_like_html(content_type: str, body: str) -> bool:
    """True for a web page (by its content type, or a body that opens with a tag)."""
    head = body.lstrip()[:200].lower()
    return "html" in content_type.lower() or head.startswith(("<!doctype", "<html", "<"))


async def get_text(
    session: aiohttp.ClientSession,
    source: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    seconds: float = DEFAULT_TIMEOUT,
) -> str:
    """The body of a documented answer, or SourceFailure naming what was wrong with it."""
    try:
        async with session.get(
            url,
            params=dict(params or {}),
            headers=dict(headers or {}),
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            body = await response.text(errors="replace")
            status = response.status
            content_type = response.headers.get("Content-Type", "")
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        detail = short_cause(str(exc) or type(exc).__name__)
        raise SourceFailure(f"{source} unreachable: {detail}", unreachable=True) from exc
    if status == 429:
        raise SourceFailure(f"rate limited by {source}", rate_limited=True, unreachable=True)
    if looks_like_html(content_type, body):
        raise SourceFailure(
            f"{source} answered a web page (HTTP {status}), not data: not read", unreachable=True
        )
    if status == 404:
        raise SourceFailure(f"{source} does not know it (HTTP 404)")
    if not 200 <= status < 300:
        raise SourceFailure(f"{source} answered HTTP {status}", unreachable=status >= 500)
    if not body.strip():
        raise SourceFailure(f"{source} answered an empty body", unreachable=True)
    return body
