"""Every alert kind is a type with every renderer, and real alerts render without holes.

Bodies come from the real rules run over the bundled data (every rule kind), go through the
outbox's JSON form and back, and are rendered by each entry of the one renderer table.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from analytics.charts import with_charts
from analytics.events import (
    KINDS,
    DashboardBody,
    Digest,
    Event,
    FlipAlert,
    Folded,
    board_events,
    decode,
    decode_alert,
    encode,
    map_events,
)
from analytics.rules import default_rules, evaluate_rules
from analytics.snapshot import build_snapshot
from analytics.types import Rule
from bot.render.alerts import RENDERERS, alert_html, alert_line, why_html
from bot.render.format import html_to_plain
from market.universe import load_universe
from storage.db import open_db, transaction
from storage.outbox import Kind, NewMessage, enqueue, idem_key, rows_for
from tests.analytics.conftest import load_bundled

RULES = (
    *default_rules(),
    Rule("t1", "threshold", "IWM/SPY", "spread_1w", ">", 0.0, 0.5),
    Rule("m", "spread_move", None, value=1.0),
)


@pytest.fixture(scope="module")
def events() -> list[Event]:
    closes = load_bundled()
    universe = load_universe()
    state: dict[str, Any] = {}
    found: list[Event] = []
    sessions = closes.loc["2025-02-10":"2025-03-07"].index
    for stamp in sessions:
        snap = build_snapshot(closes, universe, stamp.date())
        new, state = evaluate_rules(snap, RULES, state)
        found += with_charts(new, closes, universe)
        found += board_events(snap)  # the sector board's alerts and, on Fridays, its map
        found += map_events(snap) if stamp.weekday() == 4 else []
    return found


def test_every_kind_has_every_renderer() -> None:
    assert set(RENDERERS) == set(KINDS) - {Kind.DASHBOARD}  # bot.render.dashboard draws it
    for kind, renderer in RENDERERS.items():
        assert callable(renderer.html), kind
        assert callable(renderer.line), kind
        assert callable(renderer.why), kind


def test_real_alerts_of_every_kind_round_trip_and_render(events: list[Event]) -> None:
    kinds = {e.kind for e in events}
    assert kinds == set(KINDS) - {"digest", "dashboard"}, kinds
    folded = [Folded(e.kind, e.payload) for e in events if not e.urgent][:6]
    digest = Digest(dt.date(2025, 3, 7), (), "broad", "not confirmed", tuple(folded), 1)
    samples = [(e.kind, e.payload) for e in events] + [("digest", encode(digest))]
    for kind, payload in samples:
        stored = json.loads(json.dumps(payload))  # what the outbox keeps
        body = decode_alert(kind, stored)
        assert isinstance(body, KINDS[kind])
        html = alert_html(body)
        line = alert_line(dt.date(2025, 3, 7), "X/Y", body)
        why = why_html(body, None)
        for text in (html, line, why):
            assert "None" not in text, (kind, text)
        assert "n/a" not in html_to_plain(RENDERERS[kind].line(body)), (kind, line)
        assert "as of 2025-" in html, html


def test_a_flip_carries_its_chart_and_names_every_pair_of_its_theme(
    events: list[Event],
) -> None:
    flips = [e for e in events if e.kind == "flip"]
    assert flips
    for event in flips:
        body = decode("flip", json.loads(json.dumps(event.payload)))
        assert isinstance(body, FlipAlert)
        assert body.chart is not None
        assert body.chart.pair == body.moves[0].pair
        assert len(body.chart.dates) == len(body.chart.ratio) == len(body.chart.state) > 200
        assert tuple(m.pair for m in body.moves) == event.pairs
        assert body.chart.dates[-1] == event.session


def test_a_missing_field_fails_loudly_instead_of_printing_none(events: list[Event]) -> None:
    payload = dict(next(e for e in events if e.kind == "stretch").payload)
    del payload["moves"]
    with pytest.raises((KeyError, TypeError)):
        alert_html(decode_alert("stretch", payload))


def test_every_kind_round_trips_through_the_outbox(events: list[Event], tmp_path: Path) -> None:
    """A body of each kind, queued in a real outbox file and read back, decodes equal."""
    session = dt.date(2025, 3, 7)
    folded = tuple(Folded(e.kind, e.payload) for e in events if not e.urgent)[:6]
    rows = {e.kind: e.body for e in events}
    digest = Digest(session, (), "broad", "not confirmed", folded, 1, {"IWM/SPY": None})
    board = DashboardBody(session, "IWM/SPY", (), "narrow", {"IWM/QQQ": session})
    bodies = {Kind(k): b for k, b in rows.items()} | {Kind.DIGEST: digest, Kind.DASHBOARD: board}
    assert set(bodies) == set(Kind)
    now = dt.datetime(2025, 3, 7, 22, tzinfo=dt.UTC)
    db = open_db(tmp_path / "outbox.db")
    with transaction(db) as conn:
        enqueue(conn, [NewMessage(idem_key(k, 1), k, 1, k, session, False, encode(b), now)
                       for k, b in bodies.items()], now=now)  # fmt: skip
    stored = rows_for(db)
    assert {r.kind for r in stored} == set(Kind)
    for row in stored:
        assert decode(row.kind, row.payload) == bodies[row.kind], row.kind
