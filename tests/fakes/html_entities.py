"""Parse Telegram-flavoured HTML into plain text and entities, failing like the Bot API does.

Mirrors tdlib's ``parse_html``: only the tags Telegram documents are accepted, ``<``, ``>`` and
``&`` outside tags must be escaped, end tags must match, and errors name the UTF-8 byte offset.
Offsets and lengths of the returned entities are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import MessageEntity

_TAG_TYPES = {
    "b": MessageEntity.BOLD,
    "strong": MessageEntity.BOLD,
    "i": MessageEntity.ITALIC,
    "em": MessageEntity.ITALIC,
    "u": MessageEntity.UNDERLINE,
    "ins": MessageEntity.UNDERLINE,
    "s": MessageEntity.STRIKETHROUGH,
    "strike": MessageEntity.STRIKETHROUGH,
    "del": MessageEntity.STRIKETHROUGH,
    "tg-spoiler": MessageEntity.SPOILER,
    "span": MessageEntity.SPOILER,
    "a": MessageEntity.TEXT_LINK,
    "code": MessageEntity.CODE,
    "pre": MessageEntity.PRE,
    "blockquote": MessageEntity.BLOCKQUOTE,
    "tg-emoji": MessageEntity.CUSTOM_EMOJI,
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,4});")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")


class EntityParseError(ValueError):
    """Telegram could not parse the entities of a text; ``str()`` is tdlib's message."""


@dataclass
class _Open:
    tag: str
    byte_offset: int
    start: int  # UTF-16 offset in the output
    attrs: dict[str, str]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how the Bot API counts offsets and limits)."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[MessageEntity]]:
    """Return ``(plain_text, entities)`` for ``text`` sent with ``parse_mode=HTML``.

    Raises:
        EntityParseError: with tdlib's description, e.g. ``Unsupported start tag "foo" at byte
            offset 0`` or ``Can't find end tag corresponding to start tag "b"``.
    """
    out: list[str] = []
    out_len = 0
    stack: list[_Open] = []
    entities: list[MessageEntity] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "&":
            decoded, i = _decode_entity(text, i)
        elif ch != "<":
            decoded, i = ch, i + 1
        elif text.startswith("</", i):
            i = _close_tag(text, i, stack, entities, out_len)
            continue
        else:
            opened, i = _open_tag(text, i, out_len)
            if opened is not None:
                stack.append(opened)
            continue
        out.append(decoded)
        out_len += utf16_len(decoded)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e.offset, -e.length))
    return "".join(out), entities


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int]:
    match = _ENTITY_RE.match(text, i)
    if match is None:
        return "&", i + 1  # tdlib keeps an unknown '&' as is
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), match.end()
        return "&", i + 1
    if body in _NAMED:
        return _NAMED[body], match.end()
    return "&", i + 1


def _open_tag(text: str, i: int, out_len: int) -> tuple[_Open | None, int]:
    begin = i
    j = i + 1
    while j < len(text) and not text[j].isspace() and text[j] != ">":
        j += 1
    if j >= len(text):
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    tag = text[i + 1 : j].lower()
    if tag not in _TAG_TYPES:
        raise EntityParseError(
            f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
        )
    end = text.find(">", j)
    if end < 0:
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    attrs = _parse_attrs(text[j:end])
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    return _Open(tag, _byte_offset(text, begin), out_len, attrs), end + 1


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        name, value = match.group(1).lower(), match.group(2) or ""
        if name:
            if value[:1] in ("'", '"'):
                value = value[1:-1]
            attrs[name] = html.unescape(value)
    return attrs


def _close_tag(
    text: str, i: int, stack: list[_Open], entities: list[MessageEntity], out_len: int
) -> int:
    begin = _byte_offset(text, i)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
    j = i + 2
    while j < len(text) and not text[j].isspace() and text[j] != ">":
        j += 1
    name = text[i + 2 : j].lower()
    while j < len(text) and text[j].isspace():
        j += 1
    if j >= len(text) or text[j] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
    opened = stack.pop()
    if name and name != opened.tag:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
            f'found "</{name}>"'
        )
    inside_pre = bool(stack) and stack[-1].tag == "pre"
    entity = _entity_for(opened, out_len, inside_pre=inside_pre)
    if entity is not None:
        _merge_pre_code(entity, entities)
    return j + 1


def _entity_for(opened: _Open, out_len: int, *, inside_pre: bool) -> MessageEntity | None:
    length = out_len - opened.start
    if length <= 0:
        return None
    kind = _TAG_TYPES[opened.tag]
    if kind == MessageEntity.TEXT_LINK:
        url = opened.attrs.get("href", "")
        if not url:
            return None
        return MessageEntity(kind, opened.start, length, url=url)
    if kind == MessageEntity.BLOCKQUOTE and "expandable" in opened.attrs:
        kind = MessageEntity.EXPANDABLE_BLOCKQUOTE
    if kind == MessageEntity.CUSTOM_EMOJI:
        return MessageEntity(
            kind, opened.start, length, custom_emoji_id=opened.attrs.get("emoji-id", "")
        )
    language = opened.attrs.get("class", "")
    if kind == MessageEntity.CODE and inside_pre and language.startswith("language-"):
        return MessageEntity(MessageEntity.PRE, opened.start, length, language=language[9:])
    return MessageEntity(kind, opened.start, length)


def _merge_pre_code(entity: MessageEntity, entities: list[MessageEntity]) -> None:
    """Fold ``<pre><code class="language-x">`` into one ``pre`` entity with a language."""
    if entity.type == MessageEntity.PRE and entities:
        inner = entities[-1]
        if (inner.type, inner.offset, inner.length) == (
            MessageEntity.PRE,
            entity.offset,
            entity.length,
        ):
            return  # the inner <code class="language-x"> already made the pre entity
    entities.append(entity)
