"""Logging set-up: levels, quiet noisy libraries, and a filter that redacts bot tokens."""

from __future__ import annotations

import logging
import re
import sys
import threading
from types import TracebackType
from typing import TextIO

# A bot token is <bot id>:<35 url-safe characters>. Redact anything of that shape, wherever
# it appears (URLs logged by httpx, PTB debug output, exception texts, our own messages).
TOKEN_RE = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{20,}")
REDACTED = "<redacted-token>"
_QUIET = (
    "httpx",
    "httpcore",
    # bot.delivery.http's HTTP client: connection-level chatter at DEBUG
    "aiohttp",
    "apscheduler",
    "yfinance",
    "peewee",
    "matplotlib",
    "telegram.ext",
)
#: Loggers whose records keep a (redacted) traceback: the project's own code, where a traceback
#: points at a bug to fix. Libraries' records get a one-line summary of the exception instead.
_OWN = ("bot", "jobs", "market", "storage", "analytics", "__main__")
# The configured token and its secret part, whatever their shape (set by the entry points).
_secrets: set[str] = set()


def register_secret(token: str | None) -> None:
    """Redact this exact token (and its part after the colon) too, even if not token-shaped."""
    if not token:
        return
    _secrets.add(token)
    secret = token.split(":", 1)[-1]
    if len(secret) >= 8:
        _secrets.add(secret)


def redact(text: str) -> str:
    """``text`` with every token-shaped substring and every registered secret replaced."""
    cleaned = TOKEN_RE.sub(REDACTED, text)
    for secret in sorted(_secrets, key=len, reverse=True):
        cleaned = cleaned.replace(secret, REDACTED)
    return cleaned


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message``, redacted: how an error is shown outside the logs."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return redact(text)[:300]


class RedactTokenFilter(logging.Filter):
    """Rewrites records so no token-shaped string reaches any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        own = record.name.split(".", 1)[0] in _OWN
        if not own and record.exc_info and record.exc_info[1] is not None:
            # A library's traceback says nothing an operator can act on: one line instead.
            cleaned = f"{cleaned} ({one_line(record.exc_info[1])})"
            record.exc_info = None
            record.exc_text = None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so handlers never format the raw one.
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


class _ReRaisedFilter(logging.Filter):
    """Drops PTB's "Network Retry Loop ... Aborting" records: the exception is re-raised to the
    caller (the entry point or the error handler), which reports it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        if not (text.startswith("%s") and "Abort" in text and isinstance(record.args, tuple)):
            return True
        return not (record.args and "Network Retry Loop" in str(record.args[0]))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at emit time (test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def setup_logging(level: str = "INFO") -> None:
    """Configure the root logger once: format, level, redaction on every handler."""
    root = logging.getLogger()
    if not any(isinstance(f, RedactTokenFilter) for h in root.handlers for f in h.filters):
        stream = _StderrHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    for handler in root.handlers:
        if not any(isinstance(f, RedactTokenFilter) for f in handler.filters):
            handler.addFilter(RedactTokenFilter())
    root.setLevel(level)
    ptb = logging.getLogger("telegram.ext")
    if not any(isinstance(f, _ReRaisedFilter) for f in ptb.filters):
        ptb.addFilter(_ReRaisedFilter())
    for name in _QUIET:
        # httpx logs request URLs at INFO, and those contain the token.
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, _tb: TracebackType | None
) -> None:
    """The last line of defence: an uncaught exception becomes one redacted line on stderr."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.stderr.write("rotation-bot: interrupted\n")
        return
    sys.stderr.write(f"rotation-bot: stopped by an unexpected error: {one_line(exc)}\n")


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _excepthook(args.exc_type, args.exc_value, args.exc_traceback)


def install_excepthook() -> None:
    """Route uncaught exceptions (main thread and other threads) through ``_excepthook``."""
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
