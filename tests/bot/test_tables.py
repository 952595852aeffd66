"""Every <pre> table is sized to its content, on the widest real values of the bundled data."""

from __future__ import annotations

import html
import re

import pytest

from bot.handlers import answer
from bot.render.table import pre_table, text_table
from bot.services import Services
from market.universe import load_universe
from tests.bot.conftest import ASOF

PRE = re.compile(r"<pre>(.*?)</pre>", re.S)


def _tables(reply_html: str) -> list[list[str]]:
    return [html.unescape(block).split("\n") for block in PRE.findall(reply_html)]


def _gutters(lines: list[str]) -> list[tuple[int, int]]:
    """Runs of at least two columns that are blank on every line (the gaps between columns)."""
    width = max(len(line) for line in lines)
    padded = [line.ljust(width) for line in lines]
    blank = [all(line[i] == " " for line in padded) for i in range(width)]
    runs, start = [], None
    for i, is_blank in enumerate([*blank, False]):
        if is_blank and start is None:
            start = i
        elif not is_blank and start is not None:
            if i - start >= 2 and start > 0:
                runs.append((start, i))
            start = None
    return runs


def assert_columns_fit(lines: list[str]) -> None:
    """Each row has as many cells as the header and every cell stays inside its column."""
    header = lines[0]
    cells = len(re.split(r"\s{2,}", header.strip())) + (1 if header.startswith(" ") else 0)
    gutters = _gutters(lines)
    assert len(gutters) == cells - 1, "\n".join(lines)
    for line in lines[1:]:
        assert re.search(r"\S[+−]\d", line) is None, line  # a value run into its neighbour


def test_text_table_sizes_columns_and_aligns() -> None:
    text = text_table(["", "return"], [["1D", "+2.02 %"], ["1Y", "+266.44 %"]], "lr")
    assert text.split("\n") == ["       return", "1D    +2.02 %", "1Y  +266.44 %"]
    assert pre_table(["a"], [["<b>"]], "l") == "<pre>a\n&lt;b&gt;</pre>"
    with pytest.raises(ValueError, match="one entry per column"):
        text_table(["a", "b"], [["1"]], "lr")


@pytest.mark.parametrize("symbol", ["RKLB", "APLD", "SMALLCAP_WINNERS"])
async def test_ticker_table_fits_the_widest_returns(services: Services, symbol: str) -> None:
    reply = await answer(services, f"/ticker {symbol}", asof=ASOF)
    [table] = _tables(reply.html)
    assert_columns_fit(table)
    one_year = next(line for line in table if line.startswith("1Y"))
    # three-digit returns and spreads keep two spaces between them
    assert re.fullmatch(r"1Y\s+\+\d{3}\.\d\d %  \+\d{3}\.\d\d pp  \+\d{3}\.\d\d pp", one_year)
    assert len({len(line) for line in table}) == 1  # right-aligned: every row ends together


async def test_every_table_of_every_answer_fits(services: Services) -> None:
    universe = load_universe()
    texts = [f"/rotation {h}" for h in ("1d", "1w", "1m", "3m", "ytd", "1y")]
    texts += [f"/ticker {s}" for s in sorted(universe.all_symbols()) if not s.startswith("^T")]
    texts += [f"/ticker {b}" for b in ("MAG7", "SMALLCAP_WINNERS")]
    texts += [f"/history {p.key}" for p in universe.pairs]
    texts += ["/pair RKLB APLD 1y", "/pair SMALLCAP_WINNERS MAG7 1y"]
    seen = 0
    for text in texts:
        reply = await answer(services, text, asof=ASOF)
        for table in _tables(reply.html):
            assert_columns_fit(table)
            seen += 1
    assert seen >= len(texts) - 2  # the yield tickers have no table


async def test_history_shows_whole_basket_names(services: Services) -> None:
    reply = await answer(services, "/history SMALLCAP_WINNERS/MAG7", asof=ASOF)
    [table] = _tables(reply.html)
    assert any(" SMALLCAP_WINNERS " in line for line in table)
