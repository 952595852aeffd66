"""The import direction between packages (README, Development: market → storage → analytics
→ jobs → bot) and between bot/'s role folders, and the absence of import cycles, checked by
walking every module."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
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


# -- bot/'s role folders -----------------------------------------------------------------

#: What each role folder of bot/ may import from bot/ (folders and top-level modules), at any
#: level (module or function). As strict as the code allows: render draws views and reads
#: nothing; commands know no handler, no Telegram face and no command line.
BOT_ALLOWED = {
    "commands": {"commands", "queries", "render", "services", "settings", "logs", "views"},
    "queries": {"queries", "commands", "services", "settings", "logs", "views"},
    "render": {"render", "commands", "views"},
    "handlers": {
        "handlers",
        "commands",
        "queries",
        "render",
        "delivery",
        "services",
        "settings",
        "logs",
        "views",
    },
    "delivery": {
        "delivery",
        "commands",
        "queries",
        "render",
        "services",
        "settings",
        "logs",
        "webapp",
    },
    # the Mini App: a face beside handlers (its own HTTP server and JSON API), no telegram
    "webapp": {
        "webapp",
        "commands",
        "queries",
        "render",
        "handlers",
        "services",
        "settings",
        "logs",
        "views",
    },
    "app": {
        "app",
        "commands",
        "queries",
        "render",
        "delivery",
        "handlers",
        "services",
        "settings",
        "logs",
        "views",
        "webapp",
    },
    "cli": {
        "cli",
        "app",
        "commands",
        "queries",
        "render",
        "delivery",
        "handlers",
        "services",
        "settings",
        "logs",
    },
}
#: Only these folders import telegram at module level (handlers and the offline faces import
#: it inside the functions that talk to Telegram); these never import it at all.
TELEGRAM_AT_MODULE_LEVEL = {"app", "delivery"}
TELEGRAM_NEVER = {"commands", "queries", "render", "webapp"}


def module_name(path: Path) -> str:
    """``bot/app/builder.py`` -> ``bot.app.builder``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in _modules()}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_imports(source: str, modules: Iterable[str] = ()) -> list[tuple[str, int, bool]]:
    """(module imported, line, inside a function) for every import of ``source``, module
    level and function level; imports under ``if TYPE_CHECKING:`` are left out. ``from a
    import b`` names ``a.b`` when that is one of ``modules``, else ``a``."""
    known = set(modules)
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit_one(other, in_function)
                continue
            visit_one(child, in_function)

    def visit_one(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno, in_function) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.append((full if full in known else node.module, node.lineno, in_function))
        inner = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        visit(node, in_function or inner)

    visit(ast.parse(source), False)
    return found


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Project module -> the project modules it imports (module and function level)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = module_imports(path.read_text(encoding="utf-8"), modules)
        graph[name] = {t for t, _, _ in targets if t in modules and t != name}
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as [a, b, ..., a], or None when it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                cycle = walk(nxt)
                if cycle is not None:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = walk(start)
            if cycle is not None:
                return cycle
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(import_graph(MODULES))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"y"}}) == ["y", "y"]
    # one branch acyclic, a later one closing a loop through a node seen before
    assert find_cycle({"a": {"b", "c"}, "b": set(), "c": {"d"}, "d": {"c"}}) == ["c", "d", "c"]


def test_the_graph_counts_function_imports_and_skips_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from bot.commands import registry\n"
        "if TYPE_CHECKING:\n"
        "    from bot.services import Services\n"
        "else:\n"
        "    import bot.logs\n"
        "def f():\n"
        "    from bot.handlers import COMMANDS\n"
    )
    found = module_imports(source, {"bot.commands.registry", "bot.handlers", "bot.services"})
    assert ("bot.commands.registry", 2, False) in found
    assert ("bot.logs", 6, False) in found
    assert ("bot.handlers", 8, True) in found
    assert all(name != "bot.services" for name, _, _ in found)


def _bot_folder(path: Path) -> str | None:
    parts = path.relative_to(ROOT).parts
    return parts[1] if parts[0] == "bot" and len(parts) > 2 else None


BOT_FOLDER_MODULES = sorted(p for p in (ROOT / "bot").rglob("*.py") if _bot_folder(p))


@pytest.mark.parametrize("path", BOT_FOLDER_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_bot_folders_import_what_their_role_allows(path: Path) -> None:
    folder = _bot_folder(path)
    assert folder in BOT_ALLOWED, f"bot/{folder}/ is not a known role folder"
    for name, line, in_function in module_imports(path.read_text(encoding="utf-8"), MODULES):
        parts = name.split(".")
        if parts[0] == "bot" and len(parts) > 1:
            assert parts[1] in BOT_ALLOWED[folder], f"{path.name}:{line} imports {name}"
        if parts[0] == "telegram":
            assert folder not in TELEGRAM_NEVER, f"{path.name}:{line} imports telegram"
            assert in_function or folder in TELEGRAM_AT_MODULE_LEVEL, (
                f"{path.name}:{line} imports telegram at module level"
            )


@pytest.mark.parametrize(
    "path", sorted((ROOT / "bot").glob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_bot_top_level_never_imports_telegram_at_module_level(path: Path) -> None:
    for name, line, in_function in module_imports(path.read_text(encoding="utf-8"), MODULES):
        assert name.split(".")[0] != "telegram" or in_function, f"{path.name}:{line}"


def test_bot_top_level_stays_small() -> None:
    top = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert len(top) <= 12, top
