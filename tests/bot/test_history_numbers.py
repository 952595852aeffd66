"""/history agrees with itself: the summary lines are computed from the columns it prints.

For every preset pair on the bundled data the printed +5/+20/+60 columns are read back, and the
hit counts, flip counts, means and overlap marks of the summary lines must follow from them.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from analytics.snapshot import build_snapshot
from bot.render.format import html_to_plain
from bot.render.history import OVERLAP_MARK, history_html
from market.universe import load_universe
from tests.analytics.conftest import load_bundled

ASOF = dt.date(2026, 3, 31)
UNIVERSE = load_universe()
PRESET_PAIRS = sorted({k for keys in UNIVERSE.presets.values() for k in keys})
SUMMARY = re.compile(
    r"^\+(\d+): The new leader gained over the next \d+ sessions in (\d+) of (\d+) flips? "
    r"\((\d+) %\), mean ([+−]?[\d.]+) % in its favour\.(?: (\d+) of those windows)?"
)


def number(text: str) -> float:
    return float(text.replace("−", "-").rstrip("%"))


@pytest.fixture(scope="module")
def snapshot():
    return build_snapshot(load_bundled(), UNIVERSE, ASOF)


@pytest.mark.parametrize("key", PRESET_PAIRS)
def test_history_summary_follows_from_its_columns(snapshot, key: str) -> None:
    plain = html_to_plain(history_html(snapshot.pairs[key], snapshot.session))
    lines = plain.splitlines()
    rows = [line.split() for line in lines if re.match(r"^\d{4}-\d{2}-\d{2} ", line)]
    assert rows, plain
    columns: dict[str, list[str]] = {"5": [], "20": [], "60": []}
    for cells in rows:
        for h, cell in zip(("5", "20", "60"), cells[3:6], strict=True):
            if cell != "n/a":
                columns[h].append(cell)
    summaries = {m.group(1): m for m in map(SUMMARY.match, lines) if m}
    assert set(summaries) == set(columns), plain
    for h, cells in columns.items():
        match = summaries[h]
        values = [number(c.rstrip(OVERLAP_MARK)) for c in cells]
        hits, count, share, mean = (int(match[2]), int(match[3]), int(match[4]), number(match[5]))
        assert count == len(values)
        # columns are rounded to 0.01 %: a printed 0.00 % may hide either sign, never a hit
        assert sum(v > 0 for v in values) <= hits <= sum(v >= 0 for v in values)
        assert share == int(100 * hits / count + 0.5)
        assert mean == pytest.approx(sum(values) / len(values), abs=0.01)
        overlaps = sum(1 for c in cells if c.endswith(OVERLAP_MARK))
        assert int(match[6] or 0) == overlaps
