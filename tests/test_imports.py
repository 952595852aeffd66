"""The import direction between packages (README, Development: market → storage → analytics
→ jobs → bot), checked by walking every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"analytics", "market", "storage", "jobs", "bot"}
# What each package may import from the project, and which third-party packages are limited.
ALLOWED_PROJECT = {
    "analytics": {"analytics"},
    "market": {"market", "analytics"},
    "storage": {"storage"},
    "jobs": {"jobs", "analytics", "market", "storage"},
    "bot": PROJECT,
}
FORBIDDEN_THIRD_PARTY = {
    "analytics": {
        "telegram",
        "yfinance",
        "sqlite_utils",
        "sqlite3",
        "matplotlib",
        "httpx",
        "requests",
    },
    "market": {"telegram", "sqlite_utils", "sqlite3", "matplotlib"},
    "storage": {"telegram", "yfinance", "matplotlib", "analytics"},
    # SQL lives in storage/: bot/ and jobs/ call its named functions, never the database.
    "jobs": {"telegram", "matplotlib", "sqlite3", "sqlite_utils"},
    "bot": {"sqlite3", "sqlite_utils"},
}
# Only this module may import yfinance.
YFINANCE_OWNER = "market/yahoo.py"
# Words that open an SQL statement (upper case, as the project writes SQL).
SQL_RE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|PRAGMA|BEGIN)\b")
# Analytics is pure: no clock, no I/O.
ANALYTICS_FORBIDDEN_CALLS = {"now", "today", "utcnow", "open", "read_csv", "to_csv", "time"}


def _modules() -> list[Path]:
    return sorted(p for pkg in PROJECT for p in (ROOT / pkg).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layering(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    imported = _imports(path)
    wrong = (imported & PROJECT) - ALLOWED_PROJECT[package]
    assert not wrong, f"{package} must not import {sorted(wrong)}"
    banned = imported & FORBIDDEN_THIRD_PARTY[package]
    assert not banned, f"{package} must not import {sorted(banned)}"
    if "yfinance" in imported:
        assert path.relative_to(ROOT).as_posix() == YFINANCE_OWNER


@pytest.mark.parametrize("path", sorted((ROOT / "analytics").rglob("*.py")), ids=lambda p: p.name)
def test_analytics_reads_no_clock_and_no_files(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            assert name not in ANALYTICS_FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {name}"


@pytest.mark.parametrize(
    "path",
    sorted(p for pkg in PROJECT - {"storage"} for p in (ROOT / pkg).rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_sql_outside_storage(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not SQL_RE.match(node.value), f"{path.name}:{node.lineno} holds SQL"
        # Calls only: ``inline_query.query`` (the text a user typed) is not a database query.
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr in ("execute", "executemany", "query"):
            raise AssertionError(f"{path.name}:{node.lineno} runs SQL ({func.attr})")


def test_the_sql_check_sees_sql() -> None:
    assert SQL_RE.match("SELECT MAX(date) FROM prices")
    assert SQL_RE.match("  UPDATE outbox SET status = 'sent'")
    assert not SQL_RE.match("Select a preset to follow")


def test_the_walk_finds_every_package() -> None:
    found = {p.relative_to(ROOT).parts[0] for p in _modules()}
    assert found == PROJECT
