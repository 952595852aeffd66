"""CSV export of stored data: a pair (closes, ratio, trend, bands, regime) or one symbol.

Shared by ``/export`` in chats and ``rotation-bot export``. Reads SQLite only (never the price
source); the tables come from analytics.export and are written with a header row, no index
column, ISO dates and floats in their shortest round-trip form (they read back exactly).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from analytics.export import MAX_ROWS, RANGES, pair_table, symbol_table, with_sources
from analytics.types import PairSpec, Universe, UnknownSymbol
from bot.commands.registry import UserError
from bot.queries.readapi import NoData, closes_with, latest_session, parse_symbol, require_stored
from bot.services import Services
from storage.prices import Disagreement, disagreements_for, load_sources

EXPORT_USAGE = "/export A/B [1y|all] or /export SYMBOL [1y|all]"
DEFAULT_RANGE = "1y"
#: The largest file an export produces (Telegram takes documents up to 50 MB); MAX_ROWS rows
#: of a pair table are about 0.8 MB.
MAX_BYTES = 2 * 1024 * 1024
MAX_ARGS_CHARS = 64


@dataclass(frozen=True)
class ExportRequest:
    """What to export: a pair (``b`` set) or one symbol, over ``span`` (1y or all)."""

    a: str
    b: str | None
    span: str

    @property
    def label(self) -> str:
        """ "IWM/SPY" or "IWM"."""
        return self.a if self.b is None else f"{self.a}/{self.b}"


@dataclass(frozen=True)
class ExportFile:
    """A CSV document: its file name, bytes, row count and the session of its last row."""

    filename: str
    data: bytes
    rows: int
    session: dt.date
    label: str


def parse_export(
    services: Services, raw: str, usage: str = EXPORT_USAGE, universe: Universe | None = None
) -> ExportRequest:
    """ "IWM/SPY 1y", "IWM SPY all", "IWM" -> ExportRequest (baskets of ``universe``: the
    chat's, default the bundled ones); UserError naming what was wrong."""
    if len(raw) > MAX_ARGS_CHARS:
        raise UserError("That is too long for a command argument.", usage)
    if any(not ch.isprintable() for ch in raw):
        raise UserError("The arguments contain control characters.", usage)
    words = raw.replace("/", " / ").split()
    span = DEFAULT_RANGE
    if words and words[-1].lower() in RANGES:
        span = words.pop().lower()
    names = [w for w in words if w != "/"]
    if not names:
        raise UserError("What should I export? For example /export IWM/SPY.", usage)
    if len(names) > 2:
        raise UserError("Give one symbol or one pair, then optionally 1y or all.", usage)
    symbols = [parse_symbol(services, n, usage, universe) for n in names]
    if len(symbols) == 2 and symbols[0] == symbols[1]:
        raise UserError(f"A pair needs two different symbols, not {symbols[0]} twice.", usage)
    return ExportRequest(symbols[0], symbols[1] if len(symbols) == 2 else None, span)


def file_name(label: str, session: dt.date) -> str:
    """ "IWM-SPY_2026-03-31.csv" (carets dropped, anything odd replaced)."""
    slug = re.sub(r"[^A-Za-z0-9.=-]+", "-", label.replace("^", "").replace("/", "-")).strip("-")
    return f"{slug or 'export'}_{session.isoformat()}.csv"


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV: header row, no index, "\\n" line ends, NaN as empty."""
    text: str = table.to_csv(index=False, lineterminator="\n")
    return text.encode("utf-8")


@dataclass(frozen=True)
class _Inputs:
    label: str
    names: tuple[str, ...]
    universe: Universe
    session: dt.date
    closes: pd.DataFrame
    sources: dict[str, dict[str, str]]
    disagreements: list[Disagreement]


def _inputs(
    services: Services, request: ExportRequest, asof: dt.date | None, universe: Universe
) -> _Inputs:
    """The stored closes an export needs (SQLite reads: on the caller's thread)."""
    names = [request.a] if request.b is None else [request.a, request.b]
    resolved = require_stored(services, names, EXPORT_USAGE, universe)
    session = latest_session(services, asof)
    closes = closes_with(services, session, resolved, universe)
    sources = load_sources(services.db, resolved, end=session)
    found = disagreements_for(services.db, resolved)
    label = "/".join(resolved)
    return _Inputs(label, tuple(resolved), universe, session, closes, sources, found)


def _render(services: Services, inputs: _Inputs, span: str) -> ExportFile:
    """The CSV from the loaded closes (pure computation: safe in a worker thread)."""
    label, session, closes = inputs.label, inputs.session, inputs.closes
    try:
        if len(inputs.names) == 1:
            table = symbol_table(closes, label, inputs.universe, session, span)
        else:
            a, b = inputs.names
            listed = next((p for p in services.universe.pairs if p.key == label), None)
            spec = listed or PairSpec(a, b, f"{a} vs {b}")
            table = pair_table(closes, spec, inputs.universe, session, span)
    except UnknownSymbol:
        raise NoData(f"No stored closes for {label} on or before {session}.") from None
    if table.empty:
        raise NoData(f"{label} has no common closes on or before {session}.")
    table = with_sources(table, inputs.names, inputs.sources, inputs.disagreements)
    data = to_csv_bytes(table)
    if len(data) > MAX_BYTES:
        raise UserError(f"That export would exceed {MAX_BYTES // 1024 // 1024} MB.", EXPORT_USAGE)
    last = dt.date.fromisoformat(str(table["date"].iloc[-1]))
    return ExportFile(file_name(label, last), data, len(table), last, label)


def build_export(
    services: Services,
    request: ExportRequest,
    asof: dt.date | None,
    universe: Universe | None = None,
) -> ExportFile:
    """The CSV of ``request`` from stored closes up to ``asof`` (None: the latest stored;
    baskets of ``universe``, default the bundled ones).

    Raises NotStored for symbols without stored prices, UserError when there is nothing to
    export or the file would exceed MAX_BYTES.
    """
    inputs = _inputs(services, request, asof, universe or services.universe)
    return _render(services, inputs, request.span)


async def export_file(
    services: Services,
    request: ExportRequest,
    asof: dt.date | None,
    universe: Universe | None = None,
) -> ExportFile:
    """build_export with the reads on the event loop and the table built off it."""
    inputs = _inputs(services, request, asof, universe or services.universe)
    return await asyncio.to_thread(_render, services, inputs, request.span)


def describe(export: ExportFile, span: str) -> str:
    """One line for the caption or the CLI: rows, range, as-of session."""
    what = "the last year" if span == "1y" else f"every stored session, at most {MAX_ROWS}"
    return (
        f"{export.label}: {export.rows} sessions ({what}), as of {export.session.isoformat()} "
        f"close, {len(export.data):,} bytes"
    )
