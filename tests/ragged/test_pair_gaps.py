"""Pair spreads over a window that spans a halt in one leg are marked, on ragged real data.

KRE misses three sessions (a halt, 2026-03-25 .. 27) and IWM one (2026-03-10): every spread
whose window reaches back to one of them carries "*" and a footnote naming the leg, in
/pair, /rotation, the "vs" columns of /ticker, flip alerts, digests and the dashboard; the
others, and pairs of intact legs, don't.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from collections.abc import Iterator

import pytest

from analytics.rules import default_rules, evaluate_rules
from analytics.snapshot import build_snapshot
from analytics.types import Snapshot
from bot.commands.offline import reply_to_plain
from bot.handlers import answer
from bot.render.alerts import alert_html, digest_body_html
from bot.render.dashboard import dashboard_html
from bot.render.format import html_to_plain
from bot.services import Services
from jobs.daily import load_history
from jobs.fanout import dashboard_body, digest_body
from jobs.refresh import refresh_prices
from market.csv_provider import CsvProvider
from tests.conftest import csv_services
from tests.ragged.data import ragged_folder

SESSION = dt.date(2026, 4, 1)
KRE_HALT = [dt.date(2026, 3, 25), dt.date(2026, 3, 26), dt.date(2026, 3, 27)]
IWM_HALT = [dt.date(2026, 3, 10)]
# The 1W window of SESSION starts 5 sessions back, on 2026-03-25 (in KRE's halt); 1M starts
# 21 sessions back, on 2026-03-03 (before IWM's missing session); 1D starts on 2026-03-31.
KRE_MARKED = ["1W", "1M", "3M", "YTD", "1Y"]
IWM_MARKED = ["1M", "3M", "YTD", "1Y"]
LABELS = ["1D", "1W", "1M", "3M", "YTD", "1Y"]
KRE_NOTE = (
    "* 1W, 1M, 3M, YTD, 1Y: the window spans 3 session(s) with no KRE close "
    "(measured from the last close of both legs before them)"
)
IWM_NOTE = (
    "* 1M, 3M, YTD, 1Y: the window spans 1 session(s) with no IWM close "
    "(measured from the last close of both legs before them)"
)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("pair-gaps")
    folder = ragged_folder(root / "prices", drop={"KRE": KRE_HALT, "IWM": IWM_HALT})
    built = csv_services(root / "bot.db", token="123:TEST", operators=frozenset())
    built = dataclasses.replace(
        built, settings=dataclasses.replace(built.settings, market_data_dir=folder)
    )
    symbols = list(built.universe.all_symbols())
    now = dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
    report = asyncio.run(
        refresh_prices(
            built.db, CsvProvider(folder), built.calendar, symbols, SESSION, fetched_at=now
        )
    )
    assert report.gaps == {"KRE": tuple(KRE_HALT), "IWM": tuple(IWM_HALT)}
    yield built
    built.db.conn.close()


async def ask(services: Services, text: str) -> str:
    return reply_to_plain(await answer(services, text))


def spread_marks(line: str) -> list[str]:
    """Horizons marked "*" in a spreads line ("YTD +5.84 pp* · 1D +0.32 pp · ...")."""
    found = dict(re.findall(r"(1D|1W|1M|3M|YTD|1Y) [−+]?[\d.]+ pp(\*?)", line))
    assert sorted(found) == sorted(LABELS), line
    return [h for h in LABELS if found[h]]


def table_marks(text: str, column: int) -> list[str]:
    """Horizons whose cell in ``column`` (1 = first after the label) ends with "*"."""
    marked = []
    for label in LABELS:
        row = next(
            r for r in text.splitlines() if r.split() and r.split()[0] == label and "·" not in r
        )
        cells = re.findall(r"[−+]?[\d.]+ (?:pp|%)\*?|n/a\*?", row)
        if cells[column - 1].endswith("*"):
            marked.append(label)
    return marked


def line_with(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(start))


async def test_pair_marks_exactly_the_windows_spanning_a_halt_of_a_leg(
    services: Services,
) -> None:
    text = await ask(services, "/pair KRE SPY")
    assert spread_marks(line_with(text, "YTD")) == KRE_MARKED
    assert table_marks(text, 1) == KRE_MARKED  # spread
    assert table_marks(text, 2) == KRE_MARKED  # ratio
    assert KRE_NOTE in text

    text = await ask(services, "/pair IWM SPY 1m")
    assert "by 0.14 pp* (ratio" in line_with(text, "1M:")
    assert spread_marks(line_with(text, "1M ")) == IWM_MARKED
    assert table_marks(text, 1) == IWM_MARKED
    assert IWM_NOTE in text

    # The same pair the other way round names the same leg.
    text = await ask(services, "/pair SPY KRE")
    assert table_marks(text, 1) == KRE_MARKED
    assert KRE_NOTE in text


async def test_pairs_of_intact_legs_are_not_marked(services: Services) -> None:
    for query in ("/pair QQQ SPY", "/pair ^RUT ^GSPC", "/pair IJR SPY 1w"):
        text = await ask(services, query)
        assert "*" not in text, query
        assert "the window spans" not in text, query


async def test_rotation_marks_the_pair_lines_spanning_a_halt(services: Services) -> None:
    text = await ask(services, "/rotation 1w")
    blocks = text.split("\n\n")

    def block(key: str) -> str:
        return next(b for b in blocks if b.splitlines()[0].endswith(key))

    kre = block("KRE/SPY")
    assert spread_marks(kre.splitlines()[2]) == KRE_MARKED
    assert KRE_NOTE in kre
    for key in ("IWM/SPY", "IWM/QQQ"):
        assert spread_marks(block(key).splitlines()[2]) == IWM_MARKED, key
        assert IWM_NOTE in block(key), key
    for key in ("^RUT/^GSPC", "IJR/SPY", "RSP/SPY", "SMALLCAP_WINNERS/MAG7"):
        assert spread_marks(block(key).splitlines()[2]) == [], key
        assert "the window spans" not in block(key), key


async def test_ticker_marks_spreads_against_a_reference_with_a_halt(
    services: Services,
) -> None:
    text = await ask(services, "/ticker SPY")  # SPY is intact; its reference IWM is not
    assert table_marks(text, 1) == []  # SPY's own return
    assert table_marks(text, 2) == IWM_MARKED  # vs IWM
    assert "* vs IWM " + IWM_NOTE.removeprefix("* ") in text

    text = await ask(services, "/ticker KRE")
    assert table_marks(text, 1) == KRE_MARKED  # its own return
    assert table_marks(text, 2) == KRE_MARKED  # vs SPY: KRE's own note explains it
    assert table_marks(text, 3) == KRE_MARKED  # vs IWM: both legs have gaps
    assert "* vs SPY" not in text
    assert (
        "* vs IWM 1W, 1M, 3M, YTD, 1Y: the window spans 4 session(s) with no KRE or IWM close"
    ) in text

    text = await ask(services, "/ticker QQQ")
    assert table_marks(text, 1) == []
    assert table_marks(text, 2) == []  # vs SPY
    assert table_marks(text, 3) == IWM_MARKED  # vs IWM


# The alerts show the 1W, 1M and 3M spreads (labels as they print them).
ALERT_KRE_NOTE = (
    "* 1w, 1m, 3m: the window spans 3 session(s) with no KRE close "
    "(measured from the last close of both legs before them)"
)
ALERT_IWM_NOTE = (
    "* 1m, 3m: the window spans 1 session(s) with no IWM close "
    "(measured from the last close of both legs before them)"
)


def alert_marks(line: str) -> list[str]:
    """Horizons marked "*" in an alert's spreads ("1w +2.03 pp* · 1m ... · 3m ...")."""
    found = dict(re.findall(r"(1w|1m|3m) [−+]?[\d.]+ pp(\*?)", line))
    assert sorted(found) == ["1m", "1w", "3m"], line
    return [h for h in ("1w", "1m", "3m") if found[h]]


@pytest.fixture(scope="module")
def snapshot(services: Services) -> Snapshot:
    closes = load_history(services.db, services.calendar, services.universe, SESSION)
    return build_snapshot(closes, services.universe, SESSION)


def test_flip_alerts_mark_spreads_spanning_a_halt(snapshot: Snapshot) -> None:
    rules = [r for r in default_rules() if r.kind == "flip"]
    _, state = evaluate_rules(snapshot, rules, {})
    # Every pair's stored regime the other way round: each pair with a regime flips now.
    turned = {slot: {**e, "state": "A" if e["state"] == "B" else "B"} for slot, e in state.items()}
    events, _ = evaluate_rules(snapshot, rules, turned)
    texts = {e.pairs[0]: html_to_plain(alert_html(e.body)) for e in events}
    assert {"KRE/SPY", "IWM/SPY", "IJR/SPY"} <= set(texts)

    assert alert_marks(line_with(texts["KRE/SPY"], "Spreads")) == ["1w", "1m", "3m"]
    assert ALERT_KRE_NOTE in texts["KRE/SPY"]
    assert alert_marks(line_with(texts["IWM/SPY"], "Spreads")) == ["1m", "3m"]
    assert ALERT_IWM_NOTE in texts["IWM/SPY"]
    assert alert_marks(line_with(texts["IJR/SPY"], "Spreads")) == []
    assert "the window spans" not in texts["IJR/SPY"]


def test_digest_rows_mark_spreads_spanning_a_halt(snapshot: Snapshot) -> None:
    body = digest_body(snapshot, ["IWM/SPY", "KRE/SPY", "IJR/SPY"])
    lines = html_to_plain(digest_body_html(body)).splitlines()

    def row(pair: str) -> list[str]:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{pair}:"))
        return lines[at + 1 : at + 3]

    spreads, note = row("IWM/SPY")
    assert alert_marks(spreads) == ["1m", "3m"]
    assert note.strip() == ALERT_IWM_NOTE
    spreads, note = row("KRE/SPY")
    assert alert_marks(spreads) == ["1w", "1m", "3m"]
    assert note.strip() == ALERT_KRE_NOTE
    spreads, after = row("IJR/SPY")
    assert alert_marks(spreads) == []
    assert "the window spans" not in after


def test_the_dashboard_marks_spreads_spanning_a_halt(
    services: Services, snapshot: Snapshot
) -> None:
    text = html_to_plain(dashboard_html(dashboard_body(snapshot, services.universe)))
    marked = {
        line.split()[0]: re.findall(r"(1M|YTD) [−+]?[\d.]+ pp\*", line)
        for line in text.splitlines()
        if "/" in line.split(" ", 1)[0]
    }
    assert marked == {
        "IWM/SPY": ["1M", "YTD"],
        "^RUT/^GSPC": [],
        "IWM/QQQ": ["1M", "YTD"],
        "IJR/SPY": [],
        "RSP/SPY": [],
        "KRE/SPY": ["1M", "YTD"],
        "SMALLCAP_WINNERS/MAG7": [],
    }
    assert "* the window spans up to 3 session(s) with no IWM or KRE close" in text
