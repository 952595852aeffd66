"""Ragged market data built in a temporary folder from the bundled sample inside the project.

Real closes, with the defects real data has: a series that stops early (delisted, halted,
dropped by the source), sessions missing in the middle (a halt), a malformed line.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.settings import BUNDLED_DATA_DIR
from market.symbols import symbol_to_filename


def ragged_folder(
    folder: Path,
    *,
    cut: Mapping[str, dt.date] | None = None,
    drop: Mapping[str, Iterable[dt.date]] | None = None,
    bad: Mapping[str, dt.date] | None = None,
    only: Iterable[str] | None = None,
) -> Path:
    """Copy the bundled csv files into ``folder`` and damage them.

    ``cut[symbol]``: the series ends on that date (nothing after it). ``drop[symbol]``: those
    sessions are missing. ``bad[symbol]``: that session's close becomes "n/a" (a malformed
    line). ``only``: copy just these symbols. Returns ``folder``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    wanted = None if only is None else {symbol_to_filename(s) for s in only}
    for source in sorted(BUNDLED_DATA_DIR.glob("*.csv")):
        if wanted is None or source.name in wanted:
            shutil.copy(source, folder / source.name)
    for symbol, last in (cut or {}).items():
        _rewrite(folder, symbol, lambda day, line, last=last: line if day <= last else None)
    for symbol, days in (drop or {}).items():
        gone = set(days)
        _rewrite(folder, symbol, lambda day, line, gone=gone: None if day in gone else line)
    for symbol, when in (bad or {}).items():
        _rewrite(folder, symbol, lambda day, line, when=when: _spoil(line) if day == when else line)
    return folder


def _spoil(line: str) -> str:
    cells = line.split(",")
    cells[4] = "n/a"  # date,open,high,low,close,volume
    return ",".join(cells)


def line_of(folder: Path, symbol: str, day: dt.date) -> int:
    """The 1-based line number of ``day`` in the symbol's file (header is line 1)."""
    lines = (folder / symbol_to_filename(symbol)).read_text().splitlines()
    return next(i for i, text in enumerate(lines, start=1) if text.startswith(day.isoformat()))


def _rewrite(folder: Path, symbol: str, keep) -> None:  # type: ignore[no-untyped-def]
    path = folder / symbol_to_filename(symbol)
    header, *rows = path.read_text().splitlines()
    out = [header]
    for row in rows:
        kept = keep(dt.date.fromisoformat(row.split(",", 1)[0]), row)
        if kept is not None:
            out.append(kept)
    path.write_text("\n".join(out) + "\n")
