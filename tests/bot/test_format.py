"""Number style and message splitting."""

from __future__ import annotations

import pytest

from bot.render.format import esc, pct, pp, price, split_message, utf16_len


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0684, "+6.84 %"),
        (-0.0566, "−5.66 %"),
        (0.0, "0.00 %"),
        (-0.00001, "0.00 %"),
        (None, "n/a"),
    ],
)
def test_pct_signs_always_shown(value: float | None, text: str) -> None:
    assert pct(value) == text


def test_pp_and_price() -> None:
    assert pp(5.66) == "+5.66 pp"
    assert pp(-0.004) == "0.00 pp"
    assert pp(float("nan")) == "n/a"
    assert price(2496.37) == "2,496.37"


def test_escape_everything() -> None:
    assert esc('<b>"x"&</b>') == "&lt;b&gt;&quot;x&quot;&amp;&lt;/b&gt;"


def test_split_message_keeps_lines_whole_and_under_the_limit() -> None:
    lines = [f"<b>line {i}</b> " + "x" * (i % 70) for i in range(600)]
    text = "\n".join(lines)
    chunks = split_message(text, limit=4096)
    assert len(chunks) > 1
    assert all(utf16_len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks).split("\n") == lines


def test_split_message_counts_emoji_as_two_units() -> None:
    text = "\n".join(["📈" * 100] * 30)
    chunks = split_message(text, limit=1000)
    assert all(utf16_len(c) <= 1000 for c in chunks)
    assert sum(c.count("📈") for c in chunks) == 3000


def test_split_message_cuts_an_overlong_line() -> None:
    chunks = split_message("y" * 9000, limit=4096)
    assert [len(c) for c in chunks] == [4096, 4096, 808]
