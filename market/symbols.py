"""Symbol syntax in one place: normalising, validating, and mapping to csv file names."""

from __future__ import annotations

import re
from collections.abc import Callable

# Yahoo-style symbols: an optional caret (indexes), then letters/digits with optional
# '.', '-' or '=' separators (BRK-B, BF.B, ^GSPC, EURUSD=X). At most 12 characters.
_SYMBOL_RE = re.compile(r"^\^?[A-Z0-9]{1,10}(?:[.\-=][A-Z0-9]{1,5})?$")
MAX_SYMBOL_LEN = 12
# Share classes: exchanges write BRK.B, Yahoo writes BRK-B. Only a single letter A-E after
# letters is a class; other suffixes are Yahoo's exchange suffixes (VOD.L, SAP.DE, 7203.T).
_CLASS_SHARE_RE = re.compile(r"^([A-Z]{1,6})\.([A-E])$")
# Common names of indexes whose Yahoo symbol has a caret. COMP is also a stock: a stored
# symbol of the plain name always wins over its alias (see resolve_alias).
ALIASES = {
    "RUT": "^RUT",
    "SPX": "^GSPC",
    "GSPC": "^GSPC",
    "IXIC": "^IXIC",
    "COMP": "^IXIC",
    "VIX": "^VIX",
    "TNX": "^TNX",
    "IRX": "^IRX",
}

SYMBOL_HELP = (
    "A symbol is 1-10 letters or digits, optionally with a caret for an index "
    "and one '.', '-' or '=' part, e.g. IWM, ^RUT, BRK-B (BRK.B works too)."
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
    share_class = _CLASS_SHARE_RE.match(candidate)
    if share_class is not None:
        return f"{share_class.group(1)}-{share_class.group(2)}"
    return candidate


def resolve_alias(symbol: str, is_known: Callable[[str], bool]) -> str:
    """``symbol``, or the index it is a common name for (RUT -> ^RUT) unless ``is_known`` says
    the plain name is a symbol in its own right (stored, or in the universe)."""
    target = ALIASES.get(symbol)
    if target is None or is_known(symbol):
        return symbol
    return target


def symbol_to_filename(symbol: str) -> str:
    """'^RUT' -> 'RUT.csv'; 'IWM' -> 'IWM.csv'."""
    return normalize_symbol(symbol).lstrip("^") + ".csv"


def is_index(symbol: str) -> bool:
    """True for caret symbols (index levels: price return, no dividends)."""
    return symbol.startswith("^")
