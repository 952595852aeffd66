"""Symbol syntax in one place: normalising, validating, and mapping to csv file names."""

from __future__ import annotations

import re

# Yahoo-style symbols: an optional caret (indexes), then letters/digits with optional
# '.', '-' or '=' separators (BRK-B, BF.B, ^GSPC, EURUSD=X). At most 12 characters.
_SYMBOL_RE = re.compile(r"^\^?[A-Z0-9]{1,10}(?:[.\-=][A-Z0-9]{1,5})?$")
MAX_SYMBOL_LEN = 12

SYMBOL_HELP = (
    "A symbol is 1-10 letters or digits, optionally with a caret for an index "
    "and one '.', '-' or '=' part, e.g. IWM, ^RUT, BRK-B."
)


class InvalidSymbol(ValueError):
    """A text that is not a syntactically valid symbol."""

    def __init__(self, text: str) -> None:
        self.text = text
        shown = text if len(text) <= 20 else text[:20] + "…"
        super().__init__(f"{shown!r} is not a symbol. {SYMBOL_HELP}")


def normalize_symbol(text: str) -> str:
    """Upper-case and validate a symbol; raise InvalidSymbol when it does not look like one."""
    candidate = text.strip().upper()
    if not candidate or len(candidate) > MAX_SYMBOL_LEN or not _SYMBOL_RE.match(candidate):
        raise InvalidSymbol(text)
    return candidate


def is_valid_symbol(text: str) -> bool:
    """True when normalize_symbol would accept the text."""
    try:
        normalize_symbol(text)
    except InvalidSymbol:
        return False
    return True


def symbol_to_filename(symbol: str) -> str:
    """'^RUT' -> 'RUT.csv'; 'IWM' -> 'IWM.csv'."""
    return normalize_symbol(symbol).lstrip("^") + ".csv"


def is_index(symbol: str) -> bool:
    """True for caret symbols (index levels: price return, no dividends)."""
    return symbol.startswith("^")
