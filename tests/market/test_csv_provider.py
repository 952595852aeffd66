"""CsvProvider over the bundled sample and over malformed files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from market.csv_provider import CsvFormatError, CsvProvider, read_price_csv

GOOD = "date,open,high,low,close,volume\n2026-03-30,1,2,0.5,1.5,100\n2026-03-31,,,,1.6,\n"


async def test_bundled_sample_has_all_symbols_up_to_april_first(sample_dir: Path) -> None:
    provider = CsvProvider(sample_dir)
    symbols = provider.available_symbols()
    assert len(symbols) == 46
    assert "^RUT" in symbols
    assert "IWM" in symbols
    result = await provider.fetch(symbols, dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    assert result.ok
    assert all(frame.index[-1].date() == dt.date(2026, 4, 1) for frame in result.bars.values())
    assert result.bars["^RUT"].index[0].date() == dt.date(2024, 1, 2)
    assert (result.bars["IJR"]["open"].isna()).all()  # close-only file


async def test_asof_hides_later_rows(sample_dir: Path) -> None:
    provider = CsvProvider(sample_dir, asof=dt.date(2026, 3, 15))
    result = await provider.fetch(["IWM"], dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert result.bars["IWM"].index[-1].date() == dt.date(2026, 3, 13)
    assert provider.latest_date(["IWM", "SPY"]) == dt.date(2026, 3, 13)


async def test_stale_symbols_keep_their_rows_and_missing_ones_fail_by_name(
    sample_dir: Path,
) -> None:
    provider = CsvProvider(sample_dir, asof=dt.date(2026, 3, 31))
    result = await provider.fetch(
        ["IWM", "NOPE"], dt.date(2026, 3, 1), dt.date(2026, 4, 1), expected_last=dt.date(2026, 4, 1)
    )
    assert list(result.bars) == ["IWM"]
    assert result.stale == {"IWM": dt.date(2026, 3, 31)}
    assert "IWM" not in result.failures
    assert "NOPE.csv" in result.failures["NOPE"]


def test_a_good_file_parses_with_empty_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "X.csv"
    path.write_text(GOOD)
    frame = read_price_csv(path)
    assert list(frame["close"]) == [1.5, 1.6]
    assert frame["volume"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        ("date,open,high,low,volume\n2026-03-30,1,2,0.5,100\n", 1, "missing column(s) close"),
        ("date,open,high,low,close,volume\n30/03/2026,1,2,0.5,1.5,100\n", 2, "not YYYY-MM-DD"),
        ("date,open,high,low,close,volume\n2026-03-30,1,2,0.5,abc,100\n", 2, "not a number"),
        ("date,open,high,low,close,volume\n2026-03-30,1,2,0.5,-1,100\n", 2, "not a positive price"),
        ("date,open,high,low,close,volume\n2026-03-30,1,2,0.5,0,100\n", 2, "not a positive price"),
        (GOOD + "2026-03-31,,,,1.7,\n", 4, "duplicate date"),
        (GOOD + "2026-03-27,,,,1.7,\n", 4, "out of order"),
        ("date,open,high,low,close,volume\n2026-03-30,1,2,0.5,,100\n", 2, "close is empty"),
        ("", 1, "empty"),
    ],
)
def test_malformed_files_name_file_and_line(
    tmp_path: Path, body: str, line: int, needle: str
) -> None:
    path = tmp_path / "BAD.csv"
    path.write_text(body)
    with pytest.raises(CsvFormatError) as info:
        read_price_csv(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"BAD.csv line {line}:")
    assert needle in str(info.value)


async def test_a_malformed_line_is_skipped_and_named_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "GOOD.csv").write_text(GOOD)
    (tmp_path / "BAD.csv").write_text(GOOD + "2026-03-27,,,,1.7,\n2026-04-01,,,,oops,\n")
    result = await CsvProvider(tmp_path).fetch(
        ["GOOD", "BAD"], dt.date(2026, 1, 1), dt.date(2026, 4, 1)
    )
    assert result.ok
    assert result.bars["GOOD"].equals(result.bars["BAD"])  # the two bad lines left out
    assert "GOOD" not in result.warnings
    [order, number] = result.warnings["BAD"]
    assert order.startswith("BAD.csv line 4: date 2026-03-27 is out of order")
    assert number.startswith("BAD.csv line 5: close 'oops' is not a number")


async def test_a_broken_header_fails_only_its_symbol(tmp_path: Path) -> None:
    (tmp_path / "GOOD.csv").write_text(GOOD)
    (tmp_path / "BAD.csv").write_text("day,close\n2026-03-30,1.5\n")
    result = await CsvProvider(tmp_path).fetch(
        ["GOOD", "BAD"], dt.date(2026, 1, 1), dt.date(2026, 4, 1)
    )
    assert list(result.bars) == ["GOOD"]
    assert "BAD.csv line 1: missing column(s)" in result.failures["BAD"]
