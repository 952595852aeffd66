"""Logging set-up: levels, quiet noisy libraries, and a filter that redacts bot tokens."""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

# A bot token is <bot id>:<35 url-safe characters>. Redact anything of that shape, wherever
# it appears (URLs logged by httpx, PTB debug output, exception texts, our own messages).
TOKEN_RE = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{20,}")
REDACTED = "<redacted-token>"
_QUIET = (
    "httpx",
    "httpcore",
    "apscheduler",
    "yfinance",
    "peewee",
    "matplotlib",
    "telegram.ext",
    # one INFO line per webhook request; refusals (4xx) stay visible at WARNING
    "tornado.access",
)


def redact(text: str) -> str:
    """``text`` with every token-shaped substring replaced."""
    return TOKEN_RE.sub(REDACTED, text)


class RedactTokenFilter(logging.Filter):
    """Rewrites records so no token-shaped string reaches any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
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
    for name in _QUIET:
        # httpx logs request URLs at INFO, and those contain the token.
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
