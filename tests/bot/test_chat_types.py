"""Chat types are one enum: no module spells a chat type as a bare string."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.commands.registry import ChatType

ROOT = Path(__file__).resolve().parents[2]
OWNER = ROOT / "bot" / "commands" / "registry.py"
NAMES = {t.value for t in ChatType}


def _spelled(path: Path) -> list[int]:
    """Lines of ``path`` that compare with or pass a chat type as a string literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
        elif isinstance(node, ast.keyword) and node.arg == "chat_type":
            parts = [node.value]
        else:
            continue
        for part in parts:
            values = part.elts if isinstance(part, ast.Tuple | ast.Set | ast.List) else [part]
            if any(isinstance(v, ast.Constant) and v.value in NAMES for v in values):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "bot").rglob("*.py") if p != OWNER),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_chat_type_spelled_as_a_string(path: Path) -> None:
    assert not _spelled(path), f"use ChatType in {path.name} at lines {_spelled(path)}"


def test_the_check_sees_a_bare_string(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text('online = request.chat_type != "console"\n', encoding="utf-8")
    assert _spelled(planted) == [1]
