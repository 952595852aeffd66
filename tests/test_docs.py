"""The README stays true to the code: every chat command, CLI subcommand and make target."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli.main import app
from bot.handlers import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_chat_command_is_documented() -> None:
    missing = [c.name for c in COMMANDS if f"/{c.name}" not in README]
    assert not missing, f"README does not mention {missing}"


def test_every_cli_subcommand_is_documented() -> None:
    names = [c.name for c in app.registered_commands if c.name]
    names += [g.name for g in app.registered_groups if g.name]
    assert len(names) >= 7
    missing = [n for n in names if f"rotation-bot {n}" not in README]
    assert not missing, f"README does not show {missing}"


def test_every_make_target_in_the_readme_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z]+(?:-[a-z]+)*):", makefile, flags=re.MULTILINE))
    mentioned = set(re.findall(r"make ([a-z]+(?:-[a-z]+)*)", README))
    assert {"demo", "test"} <= mentioned
    assert mentioned <= targets, f"README names missing targets {mentioned - targets}"


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_architecture_names_only_what_exists() -> None:
    """docs/ARCHITECTURE.md is drawn from the code: every module, function or class it names
    (``bot.app.builder.configured``, ``storage.db.transaction``...) exists."""
    import importlib

    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    names = set(re.findall(r"\b((?:analytics|market|storage|jobs|bot)(?:\.[A-Za-z_]\w*)+)", text))
    assert len(names) > 30
    missing = []
    for name in sorted(names):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found: object = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            try:
                for attr in parts[cut:]:
                    found = getattr(found, attr)
            except AttributeError:
                missing.append(name)
            break
        else:
            missing.append(name)
    assert not missing, f"docs/ARCHITECTURE.md names what does not exist: {missing}"
