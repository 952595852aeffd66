"""A PriceProvider over a folder of `<SYMBOL>.csv` files (the bundled sample, or the user's)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from market.provider import BAR_COLUMNS, FetchResult, empty_bars
from market.symbols import symbol_to_filename

HEADER = ("date", "open", "high", "low", "close", "volume")


class CsvFormatError(ValueError):
    """A csv file that breaks the format; the message names the file and the line."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path.name} line {line}: {problem}")


def _number(raw: str, column: str, path: Path, line: int, *, price: bool) -> float:
    text = raw.strip()
    if text == "":
        if column == "close":
            raise CsvFormatError(path, line, "close is empty")
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise CsvFormatError(path, line, f"{column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise CsvFormatError(path, line, f"{column} {text!r} is not a finite number")
    if price and value <= 0:
        raise CsvFormatError(path, line, f"{column} {text} is not a positive price")
    if not price and value < 0:
        raise CsvFormatError(path, line, f"{column} {text} is negative")
    return value


def read_price_csv(path: Path) -> pd.DataFrame:
    """Parse and validate one csv file into a bar frame; raise CsvFormatError on any problem."""
    frame, problems = parse_price_csv(path)
    if problems:
        raise problems[0]
    return frame


def parse_price_csv(path: Path) -> tuple[pd.DataFrame, list[CsvFormatError]]:
    """Parse one csv file, skipping malformed lines: (the valid rows, one error per bad line).

    A file whose header is missing or broken raises CsvFormatError (nothing in it can be
    trusted). A bad line (a field that is not a number, a bad date, a duplicate or an
    out-of-order date, too few fields) is left out and named with its line number, so one
    typo costs one session of one symbol, not the whole file.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise CsvFormatError(path, 1, "the file is empty")
        names = [h.strip().lower() for h in header]
        missing = [c for c in HEADER if c not in names]
        if missing:
            raise CsvFormatError(path, 1, f"missing column(s) {', '.join(missing)}")
        pos = {c: names.index(c) for c in HEADER}
        dates: list[dt.date] = []
        values: list[list[float]] = []
        problems: list[CsvFormatError] = []
        for line, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                day, numbers = _parse_row(path, line, row, names, pos, dates[-1] if dates else None)
            except CsvFormatError as exc:
                problems.append(exc)
                continue
            dates.append(day)
            values.append(numbers)
    if not dates:
        return empty_bars(), problems
    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    frame = pd.DataFrame(
        np.asarray(values, dtype="float64"), index=index, columns=list(BAR_COLUMNS)
    )
    return frame, problems


def _parse_row(
    path: Path,
    line: int,
    row: list[str],
    names: list[str],
    pos: dict[str, int],
    previous: dt.date | None,
) -> tuple[dt.date, list[float]]:
    if len(row) < len(names):
        raise CsvFormatError(path, line, f"expected {len(names)} fields, got {len(row)}")
    raw_date = row[pos["date"]].strip()
    try:
        day = dt.date.fromisoformat(raw_date)
    except ValueError:
        raise CsvFormatError(path, line, f"date {raw_date!r} is not YYYY-MM-DD") from None
    if previous is not None and day == previous:
        raise CsvFormatError(path, line, f"duplicate date {day}")
    if previous is not None and day < previous:
        raise CsvFormatError(path, line, f"date {day} is out of order (after {previous})")
    numbers = [_number(row[pos[c]], c, path, line, price=c != "volume") for c in BAR_COLUMNS]
    return day, numbers


#: Parsed files by path: (mtime, bars, the lines skipped as malformed).
CsvCache = dict[Path, tuple[float, pd.DataFrame, list[CsvFormatError]]]


class CsvProvider:
    """Daily bars from `<folder>/<SYMBOL>.csv`; nothing after ``asof`` is ever visible."""

    name = "csv"

    def __init__(
        self,
        folder: Path,
        asof: dt.date | None = None,
        *,
        cache: CsvCache | None = None,
    ) -> None:
        """``cache``: parsed files by path (with their mtime), shared between providers so a
        request never parses a file again that an earlier one read (bot.services)."""
        self.folder = Path(folder)
        self.asof = asof
        self._cache: CsvCache = {} if cache is None else cache

    def available_symbols(self) -> list[str]:
        """Symbols with a file in the folder, with the caret restored for known indexes."""
        return sorted(filename_to_symbol(p.name) for p in self.folder.glob("*.csv"))

    def latest_date(self, symbols: Sequence[str]) -> dt.date | None:
        """The newest session any of ``symbols`` has on file, capped at ``asof``.

        The csv source is a frozen market: this date plays "the latest completed session".
        """
        last: dt.date | None = None
        for symbol in symbols:
            path = self.folder / symbol_to_filename(symbol)
            if not path.is_file():
                continue
            try:
                frame, _ = self._load(path)
            except CsvFormatError:
                continue
            if self.asof is not None:
                frame = frame.loc[: pd.Timestamp(self.asof)]
            if not frame.empty:
                day = frame.index[-1].date()
                last = day if last is None or day > last else last
        return last

    def _load(self, path: Path) -> tuple[pd.DataFrame, list[CsvFormatError]]:
        mtime = path.stat().st_mtime
        cached = self._cache.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1], cached[2]
        frame, problems = parse_price_csv(path)
        self._cache[path] = (mtime, frame, problems)
        return frame, problems

    async def _load_async(self, path: Path) -> tuple[pd.DataFrame, list[CsvFormatError]]:
        """``_load`` in a worker thread: a parse never holds the event loop."""
        return await asyncio.to_thread(self._load, path)

    async def fetch(
        self,
        symbols: Sequence[str],
        start: dt.date,
        end: dt.date,
        *,
        expected_last: dt.date | None = None,
    ) -> FetchResult:
        """Bars from the csv files; no file or a broken header fails the symbol.

        Malformed lines are skipped and named in ``warnings``; a symbol whose last row is
        older than ``expected_last`` keeps its rows and is named in ``stale``.
        """
        cutoff = min(end, self.asof) if self.asof else end
        bars: dict[str, pd.DataFrame] = {}
        failures: dict[str, str] = {}
        warnings: dict[str, tuple[str, ...]] = {}
        stale: dict[str, dt.date] = {}
        for symbol in symbols:
            path = self.folder / symbol_to_filename(symbol)
            if not path.is_file():
                failures[symbol] = f"no file {path.name} in {self.folder}"
                continue
            try:
                frame, problems = await self._load_async(path)
            except CsvFormatError as exc:
                failures[symbol] = str(exc)
                continue
            if problems:
                warnings[symbol] = tuple(f"{p} (line skipped)" for p in problems)
            visible = frame.loc[pd.Timestamp(start) : pd.Timestamp(cutoff)]
            if visible.empty:
                failures[symbol] = f"no rows between {start} and {cutoff}"
                continue
            last = visible.index[-1].date()
            if expected_last is not None and last < expected_last:
                stale[symbol] = last
            bars[symbol] = visible.copy()
        return FetchResult(
            bars=bars, failures=failures, source=self.name, warnings=warnings, stale=stale
        )


_INDEX_FILES = {"RUT", "GSPC", "IXIC", "VIX", "TNX", "IRX", "SP600", "SPXEW", "DJI", "NDX"}


def filename_to_symbol(name: str) -> str:
    """'RUT.csv' -> '^RUT' for known index files; 'IWM.csv' -> 'IWM'."""
    stem = name.removesuffix(".csv").upper()
    return "^" + stem if stem in _INDEX_FILES else stem
