"""Outbox kinds are one closed set (``storage.outbox.Kind``), each with one body type
(``analytics.events.KINDS``; every kind's round trip is in test_alert_renderers); an unknown
kind is refused; renderers take typed bodies, never a payload dict."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from analytics.events import KINDS
from storage.db import open_db, transaction
from storage.outbox import (
    Kind,
    NewMessage,
    OutboxRow,
    Status,
    UnknownKind,
    enqueue,
    idem_key,
    rows_for,
)

ROOT = Path(__file__).resolve().parent.parent
OWNERS = {ROOT / "storage" / "outbox.py"}
NAMES = {k.value for k in Kind}
SESSION = dt.date(2026, 3, 6)
NOW = dt.datetime(2026, 3, 6, 22, tzinfo=dt.UTC)


def _is_kind(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "kind") or (
        isinstance(node, ast.Name) and node.id == "kind"
    )


def _bare(node: ast.expr) -> bool:
    values = node.elts if isinstance(node, ast.Tuple | ast.Set | ast.List) else [node]
    return any(isinstance(v, ast.Constant) and v.value in NAMES for v in values)


def _spelled(path: Path) -> list[int]:
    """Lines of ``path`` that branch on a kind against a bare string (``row.kind == "flip"``),
    queue a message with one (``NewMessage(kind="digest")``) or look a renderer up by one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        parts: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_kind(o) for o in operands):
                parts = operands
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "NewMessage":
            parts = [k.value for k in node.keywords if k.arg == "kind"] + node.args[3:4]
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            parts = [node.slice] if node.value.id in ("RENDERERS", "KINDS") else []
        if any(_bare(p) for p in parts):
            lines.append(node.lineno)
    return lines


SOURCES = sorted(
    p
    for p in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "jobs").rglob("*.py"), *OWNERS]
    if p not in OWNERS
)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_outbox_kind_spelled_as_a_string(path: Path) -> None:
    assert not _spelled(path), f"use storage.outbox.Kind in {path.name} at {_spelled(path)}"


def test_the_check_sees_a_bare_kind(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        'if row.kind == "dashboard":\n    pass\nm = NewMessage(kind="flip")\n'
        'if kind in ("digest", "sector"):\n    pass\nRENDERERS["flip"]\n'
        'if key == "digest":\n    pass\n',  # a /settings key, not a kind
        encoding="utf-8",
    )
    assert _spelled(planted) == [1, 3, 4, 6]


def test_every_kind_has_one_body_type() -> None:
    assert set(KINDS) == NAMES


def test_rows_are_typed_by_kind_and_status() -> None:
    hints = get_type_hints(OutboxRow)
    assert hints["kind"] is Kind
    assert hints["status"] is Status
    assert get_type_hints(NewMessage)["kind"] is Kind


#: Where payloads travel as data: the renderers, the two senders, the fan-out.
TYPED = sorted(
    [
        *(ROOT / "bot" / "render").glob("*.py"),
        ROOT / "bot" / "delivery" / "sender.py",
        ROOT / "bot" / "delivery" / "dashboard.py",
        ROOT / "jobs" / "fanout.py",
    ]
)
PAYLOAD_DICT = re.compile(r"\b(Mapping|dict)\[str, Any\]")


def _payload_dicts(path: Path) -> list[str]:
    """Functions of ``path`` taking or returning a Mapping/dict of str to Any."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = node.args
        annotations = [a.annotation for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        annotations.append(node.returns)
        if any(a is not None and PAYLOAD_DICT.search(ast.unparse(a)) for a in annotations):
            found.append(node.name)
    return found


@pytest.mark.parametrize("path", TYPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_renderer_takes_or_returns_a_payload_dict(path: Path) -> None:
    assert not _payload_dicts(path), f"type the bodies of {_payload_dicts(path)} in {path.name}"


def test_the_signature_check_sees_a_payload_dict(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "def html(payload: Mapping[str, Any]) -> str: ...\n"
        "def body(x: int) -> dict[str, Any]: ...\n"
        "def fine(body: Digest) -> str: ...\n",
        encoding="utf-8",
    )
    assert _payload_dicts(planted) == ["html", "body"]


def _queue(db: Any, kind: str) -> None:
    message = NewMessage(idem_key("e", 1), "e", 1, kind, SESSION, False, {}, NOW)  # type: ignore[arg-type]
    with transaction(db) as conn:
        enqueue(conn, [message], now=NOW)


def test_an_unknown_kind_is_refused_on_the_way_in(tmp_path: Path) -> None:
    db = open_db(tmp_path / "outbox.db")
    with pytest.raises(UnknownKind, match="'flp', which this version does not know"):
        _queue(db, "flp")
    assert rows_for(db) == []


def test_an_unknown_kind_in_the_database_is_refused_by_name(tmp_path: Path) -> None:
    db = open_db(tmp_path / "outbox.db")
    _queue(db, "digest")
    assert rows_for(db)[0].kind is Kind.DIGEST
    with transaction(db) as conn:
        conn.execute("UPDATE outbox SET kind = 'newsletter'")
    with pytest.raises(UnknownKind, match=r"outbox row \d+ has kind 'newsletter'"):
        rows_for(db)
