"""Webhook mode: python-telegram-bot's webhook server (tornado) behind a reverse proxy.

Telegram POSTs each update to WEBHOOK_URL; the proxy forwards it to WEBHOOK_LISTEN:WEBHOOK_PORT
on the URL's path. Every request must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to
WEBHOOK_SECRET: PTB refuses any other with 403, and the refusal is logged at WARNING without
either token. ``setWebhook`` is called at start with every update type and pending updates
kept; long polling (``rotation-bot run`` without --webhook) calls ``deleteWebhook`` first.
Jobs, the outbox and the sender run exactly as in polling mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram import Update

from bot.settings import Settings, SettingsError

#: PTB's webhook request handler logs through this logger (refusals at DEBUG).
PTB_WEBHOOK_LOGGER = "telegram.ext.Updater"
DEFAULT_PATH = "telegram"


@dataclass(frozen=True)
class WebhookConfig:
    """Where the server listens and what ``setWebhook`` tells Telegram."""

    url: str
    listen: str
    port: int
    path: str
    secret: str = field(repr=False)

    def start_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Updater.start_webhook`` / ``Application.run_webhook``."""
        return {
            "listen": self.listen,
            "port": self.port,
            "url_path": self.path,
            "webhook_url": self.url,
            "secret_token": self.secret,
            "allowed_updates": Update.ALL_TYPES,
            "drop_pending_updates": False,
        }


def webhook_config(settings: Settings) -> WebhookConfig:
    """The webhook settings, or a SettingsError naming every missing one."""
    problems = []
    if not settings.webhook_url:
        problems.append("WEBHOOK_URL is not set (the public https:// URL of the webhook)")
    if not settings.webhook_secret:
        problems.append("WEBHOOK_SECRET is not set (1-256 characters A-Z a-z 0-9 _ -)")
    if problems:
        raise SettingsError(problems)
    path = urlsplit(settings.webhook_url).path.strip("/") or DEFAULT_PATH
    return WebhookConfig(
        url=settings.webhook_url,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        path=path,
        secret=settings.webhook_secret,
    )


class RefusalLog(logging.Filter):
    """On PTB's webhook logger: turn its DEBUG lines about a missing or wrong secret token into
    one WARNING without the token, and let nothing else below ``floor`` through."""

    def __init__(self, floor: int) -> None:
        super().__init__()
        self.floor = floor

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        if "secret token" in text and ("wrong" in text or "did not include" in text):
            why = "wrong secret token" if "wrong" in text else "no secret token"
            record.msg = f"webhook request refused (403): {why}"
            record.args = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            return True
        return record.levelno >= self.floor


def log_refusals() -> None:
    """Install RefusalLog once on PTB's webhook logger (keeping its current level as floor)."""
    logger = logging.getLogger(PTB_WEBHOOK_LOGGER)
    if any(isinstance(f, RefusalLog) for f in logger.filters):
        return
    floor = logger.getEffectiveLevel()
    logger.addFilter(RefusalLog(floor))
    logger.setLevel(logging.DEBUG)  # the refusals are logged at DEBUG; the filter decides
