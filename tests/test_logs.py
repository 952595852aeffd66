"""The token never reaches a log line: messages, arguments and tracebacks are redacted."""

from __future__ import annotations

import io
import logging

from bot.logs import REDACTED, RedactTokenFilter, redact

TOKEN = "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def _logger(stream: io.StringIO) -> logging.Logger:
    logger = logging.getLogger(f"test.redact.{id(stream)}")
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokenFilter())
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_redact_replaces_token_shapes_only() -> None:
    text = f"POST https://api.telegram.org/bot{TOKEN}/sendMessage chat 123456"
    assert redact(text) == f"POST https://api.telegram.org/bot{REDACTED}/sendMessage chat 123456"


def test_message_args_and_tracebacks_are_redacted() -> None:
    stream = io.StringIO()
    log = _logger(stream)
    log.info("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"failed for {TOKEN}")
    except RuntimeError:
        log.exception("boom")
    out = stream.getvalue()
    assert TOKEN not in out
    assert out.count(REDACTED) == 2
    assert "RuntimeError" in out
