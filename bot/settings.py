"""One frozen settings object, built once at the entry point from the environment and `.env`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from storage.outbox import DEFAULT_RETENTION

DEFAULT_API_URL = "https://api.telegram.org/bot"
BUNDLED_DATA_DIR = Path(__file__).resolve().parent.parent / "market" / "data" / "prices"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: Price sources MARKET_DATA_SOURCE may name, in the order to ask them (csv stands alone).
_SOURCES = ("yahoo", "tiingo", "fred", "csv")
DEFAULT_TIINGO_URL = "https://api.tiingo.com"
DEFAULT_FRED_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
DEFAULT_DATABASE_PATH = Path("data/rotation.db")
ENV_FILE_VAR = "ROTATION_BOT_ENV"
NO_ENV_FILE = "no .env file (process environment only)"
#: What Telegram accepts as a webhook secret_token.
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

log = logging.getLogger(__name__)


class SettingsError(Exception):
    """One or more settings are missing or invalid; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Fields mirror the variables documented in `.env.example`."""

    telegram_bot_token: str = ""
    telegram_api_url: str = DEFAULT_API_URL
    database_path: Path = DEFAULT_DATABASE_PATH
    market_data_source: str = "yahoo"
    market_data_dir: Path = BUNDLED_DATA_DIR
    tiingo_api_key: str = field(default="", repr=False)
    tiingo_api_url: str = DEFAULT_TIINGO_URL
    fred_api_url: str = DEFAULT_FRED_URL
    operator_ids: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    universe_file: Path | None = None
    daily_offset_minutes: int = 30
    daily_deadline_minutes: int = 240
    yahoo_cache_dir: Path = Path("data/yfinance-cache")
    yahoo_attempts: int = 3
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080
    webhook_secret: str = field(default="", repr=False)
    allow_paid_broadcast: bool = False
    outbox_retention_days: int = DEFAULT_RETENTION.days
    webapp_url: str = ""
    webapp_listen: str = "127.0.0.1"
    webapp_port: int = 8081
    webapp_auth_max_age: int = 86400
    env_file_warning: str | None = None
    env_source: str = NO_ENV_FILE

    @property
    def sources(self) -> tuple[str, ...]:
        """The price sources in the order they are asked (``yahoo,tiingo`` -> two)."""
        return tuple(self.market_data_source.split(","))

    @property
    def outbox_retention(self) -> dt.timedelta | None:
        """How long delivered outbox rows are kept (None: 0 days, keep everything)."""
        days = self.outbox_retention_days
        return dt.timedelta(days=days) if days > 0 else None

    @property
    def telegram_file_url(self) -> str:
        """Base file URL for the Bot API server in use (`.../bot` -> `.../file/bot`)."""
        url = self.telegram_api_url
        if url.endswith("/bot"):
            return url[: -len("bot")] + "file/bot"
        return url.rstrip("/") + "/file/bot"

    def require_token(self) -> str:
        """The bot token, or a SettingsError saying how to set it."""
        if not self.telegram_bot_token:
            raise SettingsError(["TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)"])
        return self.telegram_bot_token


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _parse_bool(name: str, raw: str | None, problems: list[str]) -> bool:
    value = (raw or "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        problems.append(f"{name}: {raw!r} is not true or false")
    return False


#: The one place defaults are written: the loader falls back to these, and a test checks that
#: `.env.example` shows the same values.
DEFAULTS = Settings()


def _parse_ids(raw: str, problems: list[str]) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            problems.append(f"OPERATOR_IDS: {part!r} is not a numeric Telegram user id")
    return frozenset(ids)


def _parse_int(name: str, raw: str | None, default: int, problems: list[str]) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name}: {raw!r} is not a whole number")
        return default
    if value < 0:
        problems.append(f"{name}: must not be negative")
    return value


def _env_file_warning(env_file: Path) -> str | None:
    try:
        mode = env_file.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IROTH | stat.S_IRGRP):
        return f"{env_file} is readable by other users; it holds the bot token (chmod 600 it)"
    return None


@dataclass(frozen=True)
class EnvFile:
    """The `.env` file settings are read from (None: none found) and how it was chosen."""

    path: Path | None
    origin: str = ""

    def describe(self) -> str:
        """For the start-up log: "/srv/bot/.env (beside the database)"."""
        return NO_ENV_FILE if self.path is None else f"{self.path} ({self.origin})"


def find_env_file(
    environ: Mapping[str, str] | None = None, explicit: Path | None = None
) -> EnvFile:
    """The `.env` to read: ``explicit`` (--env-file), else $ROTATION_BOT_ENV, else `.env` in the
    current directory, else `.env` beside the database (DATABASE_PATH or its default).

    A file named explicitly must exist (SettingsError); the others are used only when present.
    Nothing is created or written here.
    """
    env = os.environ if environ is None else environ
    named = env.get(ENV_FILE_VAR, "").strip()
    if explicit is not None or named:
        path, origin = (
            (explicit, "--env-file") if explicit is not None else (Path(named), ENV_FILE_VAR)
        )
        if not path.is_file():
            raise SettingsError([f"{origin}: {path} is not a file"])
        return EnvFile(path.resolve(), origin)
    here = Path(".env")
    if here.is_file():
        return EnvFile(here.resolve(), "current directory")
    database = Path(env.get("DATABASE_PATH", "").strip() or DEFAULT_DATABASE_PATH)
    beside = database.parent / ".env"
    if beside.is_file():
        return EnvFile(beside.resolve(), "beside the database")
    return EnvFile(None)


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = Path(".env"),
    *,
    env_source: str | None = None,
) -> Settings:
    """Build Settings from ``environ`` (default os.environ) over an optional `.env` file.

    The process environment wins over `.env`. Every problem is collected and raised together.
    ``env_source`` says how the file was chosen (see find_env_file), for the start-up log.
    """
    values: dict[str, str] = {}
    used_file = env_file is not None and env_file.is_file()
    if env_file is not None and used_file:
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    problems: list[str] = []

    source_raw = values.get("MARKET_DATA_SOURCE", "").strip().lower()
    names = [n.strip() for n in source_raw.split(",") if n.strip()] or [DEFAULTS.market_data_source]
    source = ",".join(dict.fromkeys(names))
    unknown = [n for n in names if n not in _SOURCES]
    if unknown:
        problems.append(
            f"MARKET_DATA_SOURCE: {', '.join(map(repr, unknown))} is not one of "
            f"{', '.join(_SOURCES)} (several in order: yahoo,tiingo,fred)"
        )
    elif "csv" in names and len(names) > 1:
        problems.append("MARKET_DATA_SOURCE: csv (a folder of files) cannot be combined")
    tiingo_key = values.get("TIINGO_API_KEY", "").strip()
    if "tiingo" in names and not tiingo_key:
        problems.append("TIINGO_API_KEY is not set (MARKET_DATA_SOURCE names tiingo)")
    tiingo_url = values.get("TIINGO_API_URL", "").strip() or DEFAULTS.tiingo_api_url
    fred_url = values.get("FRED_API_URL", "").strip() or DEFAULTS.fred_api_url
    for name, url in (("TIINGO_API_URL", tiingo_url), ("FRED_API_URL", fred_url)):
        if not url.startswith(("http://", "https://")):
            problems.append(f"{name}: {url!r} must start with http:// or https://")
    level = values.get("LOG_LEVEL", "").strip().upper() or DEFAULTS.log_level
    if level not in _LOG_LEVELS:
        problems.append(f"LOG_LEVEL: {level!r} is not one of {', '.join(_LOG_LEVELS)}")
    api_url = values.get("TELEGRAM_API_URL", "").strip() or DEFAULTS.telegram_api_url
    if not api_url.startswith(("http://", "https://")):
        problems.append(f"TELEGRAM_API_URL: {api_url!r} must start with http:// or https://")
    token = values.get("TELEGRAM_BOT_TOKEN", "").strip()
    if token and (":" not in token or not token.split(":", 1)[0].isdigit()):
        problems.append("TELEGRAM_BOT_TOKEN: does not look like a bot token (<digits>:<secret>)")
    data_dir = Path(values.get("MARKET_DATA_DIR", "").strip() or DEFAULTS.market_data_dir)
    if source == "csv" and not data_dir.is_dir():
        problems.append(f"MARKET_DATA_DIR: {data_dir} is not a folder")
    universe_raw = values.get("UNIVERSE_FILE", "").strip()
    universe_file = Path(universe_raw) if universe_raw else None
    if universe_file is not None and not universe_file.is_file():
        problems.append(f"UNIVERSE_FILE: {universe_file} does not exist")

    database_path = Path(values.get("DATABASE_PATH", "").strip() or DEFAULTS.database_path)
    webhook_url = values.get("WEBHOOK_URL", "").strip()
    if webhook_url and not webhook_url.startswith("https://"):
        problems.append(f"WEBHOOK_URL: {webhook_url!r} must start with https:// (Telegram's rule)")
    webhook_secret = values.get("WEBHOOK_SECRET", "").strip()
    if webhook_secret and not SECRET_RE.fullmatch(webhook_secret):
        problems.append("WEBHOOK_SECRET: use 1-256 characters A-Z, a-z, 0-9, _ and - only")
    webhook_port = _parse_int(
        "WEBHOOK_PORT", values.get("WEBHOOK_PORT"), DEFAULTS.webhook_port, problems
    )
    if not 0 < webhook_port < 65536:
        problems.append(f"WEBHOOK_PORT: {webhook_port} is not a TCP port (1-65535)")

    webapp_url = values.get("WEBAPP_URL", "").strip()
    if webapp_url and not webapp_url.startswith("https://"):
        problems.append(f"WEBAPP_URL: {webapp_url!r} must start with https:// (Telegram's rule)")
    webapp_port = _parse_int(
        "WEBAPP_PORT", values.get("WEBAPP_PORT"), DEFAULTS.webapp_port, problems
    )
    if not 0 < webapp_port < 65536:
        problems.append(f"WEBAPP_PORT: {webapp_port} is not a TCP port (1-65535)")
    webapp_max_age = _parse_int(
        "WEBAPP_AUTH_MAX_AGE",
        values.get("WEBAPP_AUTH_MAX_AGE"),
        DEFAULTS.webapp_auth_max_age,
        problems,
    )
    if webapp_max_age == 0:
        problems.append("WEBAPP_AUTH_MAX_AGE: must be at least 1 (seconds)")

    settings = Settings(
        telegram_bot_token=token,
        telegram_api_url=api_url,
        database_path=database_path,
        market_data_source=source,
        market_data_dir=data_dir,
        tiingo_api_key=tiingo_key,
        tiingo_api_url=tiingo_url,
        fred_api_url=fred_url,
        operator_ids=_parse_ids(values.get("OPERATOR_IDS", ""), problems),
        log_level=level,
        universe_file=universe_file,
        daily_offset_minutes=_parse_int(
            "DAILY_OFFSET_MINUTES",
            values.get("DAILY_OFFSET_MINUTES"),
            DEFAULTS.daily_offset_minutes,
            problems,
        ),
        daily_deadline_minutes=_parse_int(
            "DAILY_DEADLINE_MINUTES",
            values.get("DAILY_DEADLINE_MINUTES"),
            DEFAULTS.daily_deadline_minutes,
            problems,
        ),
        yahoo_cache_dir=Path(
            values.get("YAHOO_CACHE_DIR", "").strip() or database_path.parent / "yfinance-cache"
        ),
        yahoo_attempts=max(
            1,
            _parse_int(
                "YAHOO_ATTEMPTS", values.get("YAHOO_ATTEMPTS"), DEFAULTS.yahoo_attempts, problems
            ),
        ),
        webhook_url=webhook_url,
        webhook_listen=values.get("WEBHOOK_LISTEN", "").strip() or DEFAULTS.webhook_listen,
        webhook_port=webhook_port,
        webhook_secret=webhook_secret,
        allow_paid_broadcast=_parse_bool(
            "ALLOW_PAID_BROADCAST", values.get("ALLOW_PAID_BROADCAST"), problems
        ),
        outbox_retention_days=max(
            0,
            _parse_int(
                "OUTBOX_RETENTION_DAYS",
                values.get("OUTBOX_RETENTION_DAYS"),
                DEFAULTS.outbox_retention_days,
                problems,
            ),
        ),
        webapp_url=webapp_url,
        webapp_listen=values.get("WEBAPP_LISTEN", "").strip() or DEFAULTS.webapp_listen,
        webapp_port=webapp_port,
        webapp_auth_max_age=webapp_max_age,
        env_file_warning=_env_file_warning(env_file) if env_file is not None else None,
        env_source=env_source or (str(env_file) if used_file else NO_ENV_FILE),
    )
    if problems:
        raise SettingsError(problems)
    return settings


def parse_date(text: str) -> dt.date:
    """Parse YYYY-MM-DD or raise ValueError with a message a user understands."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-31") from None
