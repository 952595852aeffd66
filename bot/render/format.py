"""The one number style of the bot (+6.84 %, +5.66 pp, signs always shown) and message splitting.

Every number a user sees is formatted here. ``None`` (not enough data) shows as "n/a".
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Iterator, Mapping, Sequence

NA = "n/a"
MINUS = "−"  # U+2212: as wide as "+", so signed columns line up in <pre> blocks
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


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
    """The text Telegram shows for ``text`` sent as HTML: tags dropped, entities decoded as
    Telegram decodes them (plain text for the terminal, inline titles and every length)."""
    return "".join(shown for _, shown, _ in _tokens(text))


def telegram_len(text: str) -> int:
    """Length of HTML ``text`` as Telegram counts it against its limits: the text left after
    entity parsing, in UTF-16 code units."""
    return utf16_len(html_to_plain(text))


def fits(text: str, limit: int = CAPTION_LIMIT) -> bool:
    """True when HTML ``text`` fits ``limit`` as Telegram counts it (CAPTION_LIMIT for a
    photo or document caption, TEXT_LIMIT for a message)."""
    return telegram_len(text) <= limit


def fit_html(text: str, limit: int = CAPTION_LIMIT, ellipsis: str = "…") -> str:
    """HTML ``text`` cut to fit ``limit`` as Telegram counts it, still valid HTML.

    The one rule for "fits in a caption" (``limit`` CAPTION_LIMIT) or "in one message"
    (TEXT_LIMIT). Text that fits comes back unchanged. Otherwise the cut never falls inside
    a tag or an entity such as ``&amp;``; it is made at the last line end when that keeps at
    least half of what fits, tags left open are closed, tags left empty are dropped, and
    ``ellipsis`` marks the cut.
    """
    tokens = list(_tokens(text))
    if utf16_len("".join(shown for _, shown, _ in tokens)) <= limit:
        return text
    budget = limit - utf16_len(ellipsis)
    kept: list[tuple[str, str, str]] = []
    used = 0
    line_end: int | None = None  # len(kept) before the last newline that fits
    for token in tokens:
        shown = token[1]
        if shown:
            used += utf16_len(shown)
            if used > budget:
                break
            if shown == "\n" and used - 1 >= budget // 2:
                line_end = len(kept)
        kept.append(token)
    if line_end is not None:
        kept = kept[:line_end]
    opened: list[str] = []
    for _, _, tag in kept:
        if tag.startswith("/"):
            if opened:
                opened.pop()
        elif tag:
            opened.append(tag)
    while kept and (_opens(kept[-1][2]) or kept[-1][1].isspace()):
        if _opens(kept.pop()[2]):
            opened.pop()  # an element cut before any of its text
    closing = "".join(f"</{tag}>" for tag in reversed(opened))
    return "".join(raw for raw, _, _ in kept) + closing + ellipsis


def _opens(tag: str) -> bool:
    return bool(tag) and not tag.startswith("/")


_TOKEN_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>"  # a tag
    r"|&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,4});"  # an entity
    r"|.",
    re.DOTALL,
)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}  # the only names Telegram decodes


def _tokens(text: str) -> Iterator[tuple[str, str, str]]:
    """``(raw, shown, tag)`` for each tag, entity and character of ``text``: ``shown`` is
    what Telegram shows for it ("" for a tag), ``tag`` the tag's name ("/b" for an end tag,
    "" for text)."""
    for match in _TOKEN_RE.finditer(text):
        raw = match.group(0)
        if match.group(2) is not None:
            yield raw, "", match.group(1) + match.group(2).lower()
        elif match.group(3) is not None:
            yield raw, _entity(match.group(3)), ""
        else:
            yield raw, raw, ""


def _entity(body: str) -> str:
    """What Telegram shows for ``&body;``: the character, or the text unchanged when it is
    not an entity Telegram knows (it keeps an unknown ``&`` as is)."""
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
        return f"&{body};"
    return _NAMED.get(body, f"&{body};")
