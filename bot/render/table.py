"""Monospace tables sized to their content: every <pre> table and every CLI table goes here.

Cells are already formatted strings (see bot.render.format); tabulate only lays them out, with
number parsing off so "+266.44 %" or "n/a" is never reinterpreted. Columns are two spaces apart
and as wide as their widest cell, so no value ever runs into its neighbour.
"""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from bot.render.format import esc


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    """Plain text: ``align`` has one letter per column, ``l`` (left) or ``r`` (right)."""
    if len(align) != len(header) or any(len(row) != len(header) for row in rows):
        raise ValueError("every row and the alignment need one entry per column")
    sides = tuple("left" if a == "l" else "right" for a in align)
    text = tabulate(
        [list(r) for r in rows],
        headers=list(header),
        tablefmt="plain",
        disable_numparse=True,
        colalign=sides,
    )
    return "\n".join(line.rstrip() for line in text.split("\n"))


def pre_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    """The same table as an HTML <pre> block (escaped)."""
    return "<pre>" + esc(text_table(header, rows, align)) + "</pre>"
