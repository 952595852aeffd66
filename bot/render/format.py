"""The one number style of the bot (+6.84 %, +5.66 pp, signs always shown) and message splitting.

Every number a user sees is formatted here. ``None`` (not enough data) shows as "n/a".
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Mapping, Sequence

NA = "n/a"
MINUS = "−"  # U+2212: as wide as "+", so signed columns line up in <pre> blocks
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_TAG_RE = re.compile(r"<[^>]+>")


def gap_note(gaps: Mapping[str, int], legs: Sequence[str], shown: Mapping[str, str]) -> str | None:
    """The footnote of spreads marked "*": which of the ``shown`` horizons (horizon -> label,
    in display order) span sessions without a close of a leg, how many, and which legs.
    Plain text; None when no shown horizon does."""
    marked = [h for h in shown if gaps.get(h)]
    if not marked:
        return None
    most = max(gaps[h] for h in marked)
    return (
        f"* {', '.join(shown[h] for h in marked)}: the window spans {most} session(s) with no "
        f"{' or '.join(legs)} close (measured from the last close of both legs before them)"
    )


def esc(value: object) -> str:
    """HTML-escape ``str(value)`` (quotes too)."""
    return html.escape(str(value), quote=True)


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def _signed(value: float, digits: int) -> str:
    text = f"{abs(value):,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        return f"{0:.{digits}f}"
    return ("+" if value > 0 else MINUS) + text


def pct(fraction: float | None, digits: int = 2) -> str:
    """A fraction as a signed percentage: 0.0684 -> "+6.84 %"."""
    if fraction is None or _missing(fraction):
        return NA
    return _signed(100.0 * fraction, digits) + " %"


def pp(points: float | None, digits: int = 2) -> str:
    """Percentage points, signed: 5.66 -> "+5.66 pp"."""
    if points is None or _missing(points):
        return NA
    return _signed(points, digits) + " pp"


def bp(points: float | None, digits: int = 0) -> str:
    """Basis points, signed: 12.0 -> "+12 bp"."""
    if points is None or _missing(points):
        return NA
    return _signed(points, digits) + " bp"


def signed(value: float | None, digits: int = 2) -> str:
    """A plain signed number: 1.56 -> "+1.56"."""
    if value is None or _missing(value):
        return NA
    return _signed(value, digits)


def metric(value: float | None, unit: str) -> str:
    """A rule metric in its unit: pp, fractions as %, anything else a signed number."""
    if unit == "pp":
        return pp(value)
    if unit == "fraction":
        return pct(value)
    return signed(value)


def price(value: float | None) -> str:
    """A price or index level: thousands separated, 2 decimals (4 below 1)."""
    if value is None or _missing(value):
        return NA
    digits = 4 if abs(value) < 1 else 2
    return f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    """A price ratio A/B with 4 significant decimals."""
    if value is None or _missing(value):
        return NA
    return f"{value:.4g}" if value >= 1000 else f"{value:.4f}"


def share(fraction: float | None) -> str:
    """An unsigned share: 0.5 -> "50 %" (hit rates, coverage)."""
    if fraction is None or _missing(fraction):
        return NA
    return f"{math.floor(100.0 * fraction + 0.5):.0f} %"  # half up: 1 of 8 is 13 %


def ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 3 -> "3rd", 11 -> "11th", 23 -> "23rd", 100 -> "100th"."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """ "1 confirmed flip", "2 confirmed flips" (``many`` for irregular plurals)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def day(value: dt.date | None) -> str:
    """A date as 2026-03-31 (n/a for None)."""
    return NA if value is None else value.isoformat()


def own_date(last: dt.date | None, session: dt.date) -> str:
    """The date a figure carries when its data ends before the session shown:
    " · as of 2026-07-01 (no newer close)", "" when it is current, " · no close yet" without
    any."""
    if last is None:
        return " · no close yet"
    if last >= session:
        return ""
    return f" · as of {last.isoformat()} (no newer close)"


def asof_line(session: dt.date) -> str:
    """The footer every numeric message carries."""
    return f"<i>as of {esc(session.isoformat())} close</i>"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split HTML at line boundaries into chunks of at most ``limit`` UTF-16 units.

    Renderers keep every tag inside one line, so a chunk never cuts a tag in two. The raw
    HTML length is measured, which is never less than what Telegram counts. A single line
    longer than the limit is cut at the limit (only plain-text lines can be that long).
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _hard_split(line, limit):
            extra = utf16_len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
                extra = utf16_len(piece)
            current.append(piece)
            size += extra
    if current:
        chunks.append("\n".join(current))
    return [c for c in (chunk.strip("\n") for chunk in chunks) if c.strip()]


def _hard_split(line: str, limit: int) -> list[str]:
    if utf16_len(line) <= limit:
        return [line]
    out: list[str] = []
    piece = ""
    for char in line:
        if utf16_len(piece + char) > limit:
            out.append(piece)
            piece = ""
        piece += char
    return [*out, piece]


def html_to_plain(text: str) -> str:
    """Strip Telegram-HTML tags and unescape entities (plain text for the terminal, inline
    titles and the caption's length)."""
    return html.unescape(_TAG_RE.sub("", text))
