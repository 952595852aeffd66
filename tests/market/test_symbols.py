"""Symbol syntax: upper-casing, carets, file names, and refusals that explain themselves."""

from __future__ import annotations

import pytest

from market.csv_provider import filename_to_symbol
from market.symbols import (
    InvalidSymbol,
    normalize_symbol,
    resolve_alias,
    symbol_to_filename,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iwm", "IWM"),
        (" ^rut ", "^RUT"),
        ("BRK-B", "BRK-B"),
        ("bf.b", "BF-B"),
        ("brk.b", "BRK-B"),
        ("BRK.A", "BRK-A"),
        ("vod.l", "VOD.L"),
        ("7203.T", "7203.T"),
        ("SAP.DE", "SAP.DE"),
        ("EURUSD=X", "EURUSD=X"),
    ],
)
def test_valid_symbols_are_normalised(text: str, expected: str) -> None:
    assert normalize_symbol(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        ";DROP TABLE",
        "<b>IWM</b>",
        "IWM SPY",
        "^^RUT",
        "A" * 13,
        "📈",
        "IW\x00M",
        "I\u200bWM",
    ],
)
def test_invalid_symbols_are_refused_with_help(text: str) -> None:
    with pytest.raises(InvalidSymbol, match="A symbol is"):
        normalize_symbol(text)


def test_long_input_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidSymbol) as info:
        normalize_symbol("X" * 500)
    assert len(str(info.value)) < 200


def test_caret_maps_to_file_name_and_back() -> None:
    assert symbol_to_filename("^RUT") == "RUT.csv"
    assert symbol_to_filename("iwm") == "IWM.csv"
    assert filename_to_symbol("RUT.csv") == "^RUT"
    assert filename_to_symbol("IWM.csv") == "IWM"


def test_aliases_name_the_index_unless_the_plain_symbol_is_known() -> None:
    assert resolve_alias("RUT", lambda _: False) == "^RUT"
    assert resolve_alias("SPX", lambda _: False) == "^GSPC"
    assert resolve_alias("COMP", lambda name: name == "COMP") == "COMP"
    assert resolve_alias("IWM", lambda _: False) == "IWM"
