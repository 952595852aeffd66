"""One frozen settings object, built once at the entry point from the environment and `.env`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

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


class Problems(Exception):
    """What is wrong with one variable's text (one line each, without the variable's name).

    ``keep``: the value read all the same, for the variables read after it (a source list
    with an unknown name still names tiingo, whose key is then checked too)."""

    def __init__(self, *messages: str, keep: object = None) -> None:
        super().__init__(*messages)
        self.messages = messages
        self.keep = keep


#: Reads one variable: (its text, the settings read before it, the field's default) -> value;
#: Problems when the text is wrong.
Parser = Callable[[str, "Settings", Any], object]


def env(parse: Parser) -> dict[str, Parser]:
    """The metadata of a Settings field read from the environment variable of its name in
    upper case, by ``parse``."""
    return {"parse": parse}


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _sources(raw: str, read: Settings, default: Any) -> object:
    names = [n.strip() for n in raw.strip().lower().split(",") if n.strip()] or [default]
    source = ",".join(dict.fromkeys(names))
    unknown = [n for n in names if n not in _SOURCES]
    if unknown:
        raise Problems(
            f"{', '.join(map(repr, unknown))} is not one of {', '.join(_SOURCES)} "
            "(several in order: yahoo,tiingo,fred)",
            keep=source,
        )
    if "csv" in names and len(names) > 1:
        raise Problems("csv (a folder of files) cannot be combined", keep=source)
    return source


def _tiingo_key(raw: str, read: Settings, default: Any) -> object:
    key = raw.strip()
    if "tiingo" in read.sources and not key:
        raise Problems("not set (MARKET_DATA_SOURCE names tiingo)")
    return key


def _level(raw: str, read: Settings, default: Any) -> object:
    level = raw.strip().upper() or default
    if level not in _LOG_LEVELS:
        raise Problems(f"{level!r} is not one of {', '.join(_LOG_LEVELS)}")
    return level


def _text(raw: str, read: Settings, default: Any) -> object:
    return raw.strip() or default


def _path(raw: str, read: Settings, default: Any) -> object:
    return Path(raw.strip()) if raw.strip() else default


def _url(raw: str, read: Settings, default: Any) -> object:
    url = raw.strip() or default
    if not url.startswith(("http://", "https://")):
        raise Problems(f"{url!r} must start with http:// or https://")
    return url


def _https(raw: str, read: Settings, default: Any) -> object:
    url = raw.strip()
    if url and not url.startswith("https://"):
        raise Problems(f"{url!r} must start with https:// (Telegram's rule)")
    return url


def _token(raw: str, read: Settings, default: Any) -> object:
    token = raw.strip()
    if token and (":" not in token or not token.split(":", 1)[0].isdigit()):
        raise Problems("does not look like a bot token (<digits>:<secret>)")
    return token


def _data_dir(raw: str, read: Settings, default: Any) -> object:
    folder = Path(raw.strip() or default)
    if read.market_data_source == "csv" and not folder.is_dir():
        raise Problems(f"{folder} is not a folder")
    return folder


def _universe_file(raw: str, read: Settings, default: Any) -> object:
    path = Path(raw.strip()) if raw.strip() else None
    if path is not None and not path.is_file():
        raise Problems(f"{path} does not exist")
    return path


def _secret(raw: str, read: Settings, default: Any) -> object:
    secret = raw.strip()
    if secret and not SECRET_RE.fullmatch(secret):
        raise Problems("use 1-256 characters A-Z, a-z, 0-9, _ and - only")
    return secret


def _whole(raw: str, default: Any) -> tuple[int, list[str]]:
    """A whole number (``default`` when empty) and what is wrong with it (negative)."""
    if raw.strip() == "":
        return int(default), []
    try:
        value = int(raw)
    except ValueError:
        raise Problems(f"{raw!r} is not a whole number") from None
    return value, ["must not be negative"] if value < 0 else []


def _count(raw: str, read: Settings, default: Any) -> object:
    value, wrong = _whole(raw, default)
    if wrong:
        raise Problems(*wrong)
    return value


def _attempts(raw: str, read: Settings, default: Any) -> object:
    value, wrong = _whole(raw, default)
    if wrong:
        raise Problems(*wrong)
    return max(1, value)


def _port(raw: str, read: Settings, default: Any) -> object:
    value, wrong = _whole(raw, default)
    if not 0 < value < 65536:
        wrong.append(f"{value} is not a TCP port (1-65535)")
    if wrong:
        raise Problems(*wrong)
    return value


def _seconds(raw: str, read: Settings, default: Any) -> object:
    value, wrong = _whole(raw, default)
    if value == 0:
        wrong.append("must be at least 1 (seconds)")
    if wrong:
        raise Problems(*wrong)
    return value


def _ids(raw: str, read: Settings, default: Any) -> object:
    ids: set[int] = set()
    wrong: list[str] = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            wrong.append(f"{part!r} is not a numeric Telegram user id")
    if wrong:
        raise Problems(*wrong)
    return frozenset(ids)


def _flag(raw: str, read: Settings, default: Any) -> object:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        raise Problems(f"{raw!r} is not true or false")
    return False


def _cache_dir(raw: str, read: Settings, default: Any) -> object:
    return Path(raw.strip()) if raw.strip() else read.database_path.parent / "yfinance-cache"


@dataclass(frozen=True)
class Settings:
    """Everything configurable: the one table of settings. Each field with ``env`` metadata
    is the environment variable of its name in upper case (documented in `.env.example`),
    read in this order by its parser (which may look at the fields read before it), with its
    default; a secret is ``repr=False``, so no repr and no log line shows it."""

    market_data_source: str = field(default="yahoo", metadata=env(_sources))
    tiingo_api_key: str = field(default="", repr=False, metadata=env(_tiingo_key))
    tiingo_api_url: str = field(default=DEFAULT_TIINGO_URL, metadata=env(_url))
    fred_api_url: str = field(default=DEFAULT_FRED_URL, metadata=env(_url))
    log_level: str = field(default="INFO", metadata=env(_level))
    telegram_api_url: str = field(default=DEFAULT_API_URL, metadata=env(_url))
    telegram_bot_token: str = field(default="", repr=False, metadata=env(_token))
    market_data_dir: Path = field(default=BUNDLED_DATA_DIR, metadata=env(_data_dir))
    universe_file: Path | None = field(default=None, metadata=env(_universe_file))
    database_path: Path = field(default=DEFAULT_DATABASE_PATH, metadata=env(_path))
    webhook_url: str = field(default="", metadata=env(_https))
    webhook_secret: str = field(default="", repr=False, metadata=env(_secret))
    webhook_port: int = field(default=8080, metadata=env(_port))
    webapp_url: str = field(default="", metadata=env(_https))
    webapp_port: int = field(default=8081, metadata=env(_port))
    webapp_auth_max_age: int = field(default=86400, metadata=env(_seconds))
    operator_ids: frozenset[int] = field(default=frozenset(), metadata=env(_ids))
    daily_offset_minutes: int = field(default=30, metadata=env(_count))
    daily_deadline_minutes: int = field(default=240, metadata=env(_count))
    yahoo_cache_dir: Path = field(default=Path("data/yfinance-cache"), metadata=env(_cache_dir))
    yahoo_attempts: int = field(default=3, metadata=env(_attempts))
    webhook_listen: str = field(default="127.0.0.1", metadata=env(_text))
    allow_paid_broadcast: bool = field(default=False, metadata=env(_flag))
    outbox_retention_days: int = field(default=DEFAULT_RETENTION.days, metadata=env(_count))
    webapp_listen: str = field(default="127.0.0.1", metadata=env(_text))
    # not read from the environment: how the settings were found, for the start-up log
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


@dataclass(frozen=True)
class Var:
    """One environment variable of the table: its name, its Settings field, how it is read."""

    name: str
    field: str
    parse: Parser
    secret: bool


#: Every setting read from the environment, in the order they are read (Settings' fields).
VARS: tuple[Var, ...] = tuple(
    Var(f.name.upper(), f.name, f.metadata["parse"], secret=not f.repr)
    for f in fields(Settings)
    if "parse" in f.metadata
)
#: The one place defaults are written: the loader falls back to these, and a test checks that
#: `.env.example` shows the same values.
DEFAULTS = Settings()


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
    read: dict[str, Any] = {}
    settings = DEFAULTS
    for var in VARS:
        try:
            read[var.field] = var.parse(values.get(var.name, ""), settings, _default(var))
        except Problems as wrong:
            problems.extend(f"{var.name}: {message}" for message in wrong.messages)
            if wrong.keep is None:
                continue
            read[var.field] = wrong.keep
        settings = replace(settings, **{var.field: read[var.field]})
    if problems:
        raise SettingsError(problems)
    return replace(
        settings,
        env_file_warning=_env_file_warning(env_file) if env_file is not None else None,
        env_source=env_source or (str(env_file) if used_file else NO_ENV_FILE),
    )


def _default(var: Var) -> Any:
    return getattr(DEFAULTS, var.field)


def parse_date(text: str) -> dt.date:
    """Parse YYYY-MM-DD or raise ValueError with a message a user understands."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-31") from None
