"""The Mini App's web server (aiohttp): the page, its static files and the JSON API under api/.

Every API request must carry ``Authorization: tma <initData>``; initData that is missing,
forged, tampered with or older than WEBAPP_AUTH_MAX_AGE gets 401 with a one-line JSON reason
and nothing else. Answers are cache-controlled (the page revalidates, static files are kept an
hour, API answers are private to the user). An unexpected error answers 500 with a fixed text:
the traceback goes to the log only, and neither the token nor initData is ever logged.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot.commands.problems import web_problem
from bot.commands.registry import UserError
from bot.queries.cache import LruCache
from bot.queries.fetcher import NotStored
from bot.queries.readapi import latest_session
from bot.services import Services
from bot.settings import Settings
from bot.webapp import api
from bot.webapp.initdata import InitDataError, from_header, validate
from bot.webapp.links import page_base
from bot.webapp.scope import ChatRefused, MemberCheck, Viewer, viewer_for

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE = "index.html"
PAGE_CACHE = "no-cache"
STATIC_CACHE = "public, max-age=3600"
API_CACHE = "private, max-age=60"
ERROR_CACHE = "no-store"
#: Serialised answers kept per session (board, pairs, quadrants): like the bot's snapshot
#: cache, an answer holds for its session, and a new session is a new key.
ANSWERS_KEPT = 64
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    ),
}
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class WebAppConfig:
    """Where the Mini App is served: ``url`` is the page Telegram opens (ending in "/"),
    ``path`` its path on this server, ``listen``/``port`` the server's own address."""

    url: str
    listen: str
    port: int
    path: str
    max_age: dt.timedelta


def webapp_config(settings: Settings) -> WebAppConfig | None:
    """The Mini App's settings (None when WEBAPP_URL is not set: no web app)."""
    if not settings.webapp_url:
        return None
    url = page_base(settings.webapp_url)
    return WebAppConfig(
        url=url,
        listen=settings.webapp_listen,
        port=settings.webapp_port,
        path=urlsplit(url).path,
        max_age=dt.timedelta(seconds=settings.webapp_auth_max_age),
    )


def _static_files() -> dict[str, tuple[bytes, str]]:
    """Every file under static/ (relative name -> bytes, content type), read once."""
    files = {}
    for file in sorted(STATIC_DIR.rglob("*")):
        if file.is_file() and not file.name.startswith("."):
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                kind += "; charset=utf-8"
            files[file.relative_to(STATIC_DIR).as_posix()] = (file.read_bytes(), kind)
    return files


def _json(status: int, text: str, cache: str) -> web.Response:
    response = web.Response(
        status=status, text=text, content_type="application/json", charset="utf-8"
    )
    response.headers["Cache-Control"] = cache
    return response


def error(status: int, reason: str) -> web.Response:
    """A JSON error answer: ``{"error": reason}``, never cached."""
    return _json(status, json.dumps({"error": reason}, ensure_ascii=False), ERROR_CACHE)


@web.middleware
async def guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Errors become short JSON answers (a traceback only ever reaches the log); every
    answer carries the security headers."""
    try:
        response = await handler(request)
    except InitDataError as exc:
        response = error(401, exc.reason)
    except ChatRefused as exc:
        response = error(403, exc.reason)
    except NotStored as exc:
        response = error(404, web_problem(exc))
    except UserError as exc:
        response = error(400, web_problem(exc))
    except web.HTTPException as exc:
        if exc.status >= 400:
            response = error(exc.status, exc.reason)
        else:
            raise
    except Exception:
        log.exception("web app: %s %s failed", request.method, request.path)
        response = error(500, "internal error")
    response.headers.update(SECURITY_HEADERS)
    return response


def make_app(
    services: Services,
    config: WebAppConfig,
    member_check: MemberCheck,
    clock: Clock | None = None,
) -> web.Application:
    """The aiohttp application: the page at ``config.path``, static/ and api/ beside it."""
    now = clock or services.clock
    token = services.settings.require_token()
    files = _static_files()
    page, _ = files[PAGE]

    async def viewer_of(request: web.Request) -> Viewer:
        raw = from_header(request.headers.get("Authorization"))
        init = validate(raw, token, now(), config.max_age)
        return await viewer_for(init, member_check)

    async def get_page(request: web.Request) -> web.Response:
        response = web.Response(body=page, content_type="text/html", charset="utf-8")
        response.headers["Cache-Control"] = PAGE_CACHE
        response.enable_compression()
        return response

    async def get_bare(request: web.Request) -> web.Response:
        query = f"?{request.query_string}" if request.query_string else ""
        raise web.HTTPPermanentRedirect(config.path + query)

    async def get_static(request: web.Request) -> web.Response:
        found = files.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound(reason="not found")
        body, kind = found
        response = web.Response(body=body, headers={"Content-Type": kind})
        response.headers["Cache-Control"] = STATIC_CACHE
        response.enable_compression()
        return response

    answers = LruCache(ANSWERS_KEPT)

    async def session_answer(
        request: web.Request,
        key: tuple[str | None, ...],
        build: Callable[[], Awaitable[object]],
    ) -> web.Response:
        """The JSON of ``build()``, computed once per stored session (errors are not kept)."""
        cache_key = (latest_session(services, None), *key)
        found = answers.get_or_none(cache_key)
        if not isinstance(found, Packed):
            found = Packed.of(api.dumps(await build()))
            answers.put(cache_key, found)
        return found.response(request_accepts_gzip(request))

    async def get_board(request: web.Request) -> web.Response:
        await viewer_of(request)
        return await session_answer(request, ("board",), lambda: api.board(services))

    async def get_pair(request: web.Request) -> web.Response:
        await viewer_of(request)
        pair, horizon = request.query.get("pair"), request.query.get("horizon")
        return await session_answer(
            request, ("pair", pair, horizon), lambda: api.pair(services, pair, horizon)
        )

    async def get_quadrant(request: web.Request) -> web.Response:
        viewer = await viewer_of(request)
        which = api.quadrant_set(request.query.get("set"))
        if which == api.CHAT_SET:  # the viewer's chat's own watchlist: never shared, not kept
            mine = await api.watch_quadrant(services, viewer.chat_id)
            return Packed.of(api.dumps(mine)).response(request_accepts_gzip(request))
        return await session_answer(
            request, ("quadrant", which), lambda: api.quadrant(services, which)
        )

    async def get_subscriptions(request: web.Request) -> web.Response:
        viewer = await viewer_of(request)
        subs = await api.subscriptions(services, viewer.chat_id, viewer.chat)
        return Packed.of(api.dumps(subs)).response(request_accepts_gzip(request))

    app = web.Application(middlewares=[guard])
    base = config.path
    if base != "/":
        app.router.add_get(base.rstrip("/"), get_bare)
    app.router.add_get(base, get_page)
    app.router.add_get(base + "static/{name:.+}", get_static)
    app.router.add_get(base + "api/board", get_board)
    app.router.add_get(base + "api/pair", get_pair)
    app.router.add_get(base + "api/quadrant", get_quadrant)
    app.router.add_get(base + "api/subscriptions", get_subscriptions)
    return app


def request_accepts_gzip(request: web.Request) -> bool:
    """True when the client takes gzip (every WebView does)."""
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


@dataclass(frozen=True)
class Packed:
    """A JSON answer, plain and gzip-compressed once (a large quadrant is compressed once
    per session, not once per request)."""

    plain: bytes
    packed: bytes

    @classmethod
    def of(cls, text: str) -> Packed:
        data = text.encode()
        return cls(data, gzip.compress(data, compresslevel=6, mtime=0))

    def response(self, gzipped: bool) -> web.Response:
        """The answer, private to the user who asked."""
        response = web.Response(
            body=self.packed if gzipped else self.plain,
            content_type="application/json",
            charset="utf-8",
        )
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Cache-Control"] = API_CACHE
        response.headers["Vary"] = "Authorization, Accept-Encoding"
        return response


class WebAppServer:
    """The application on its own address (``config.listen:config.port``), started and
    stopped with the bot."""

    def __init__(self, app: web.Application, config: WebAppConfig) -> None:
        self.app = app
        self.config = config
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen (no access log: request lines would only repeat what the bot logs)."""
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.config.listen, self.config.port).start()
        self._runner = runner
        log.info(
            "web app on %s:%s%s for %s",
            self.config.listen,
            self.config.port,
            self.config.path,
            self.config.url,
        )

    async def stop(self) -> None:
        """Close the listening socket and open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
