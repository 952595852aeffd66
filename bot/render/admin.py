"""/status as HTML: data freshness per symbol, last job runs, outbox and chat counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.render.format import esc, price
from storage.jobruns import JobRun
from storage.prices import Disagreement
from storage.stale_symbols import StaleMark


@dataclass(frozen=True)
class StatusData:
    """What /status shows: stored sessions, job runs, outbox rows per status, chats."""

    expected: dt.date | None
    freshness: Mapping[str, dt.date | None]
    jobs: Sequence[JobRun]
    outbox: Mapping[str, int]
    chats: Mapping[str, int]
    fetching: Sequence[str]
    #: symbol -> the source of its newest stored row
    sources: Mapping[str, str] = field(default_factory=dict)
    #: every symbol the operators were told is stale, until it is back
    stale: Mapping[str, StaleMark] = field(default_factory=dict)
    disagreements: Sequence[Disagreement] = ()


def status_html(data: StatusData) -> str:
    """Operator status: which symbols are behind, what the jobs did, what waits to be sent."""
    lines = ["<b>Status</b>"]
    expected = data.expected
    lines.append(f"Latest stored session: {esc(expected or 'none')}")
    by_day: dict[str, list[str]] = {}
    for symbol, day in data.freshness.items():
        by_day.setdefault(day.isoformat() if day else "missing", []).append(symbol)
    for when in sorted(by_day, reverse=True):
        symbols = by_day[when]
        shown = ", ".join(symbols) if len(symbols) <= 12 else f"{len(symbols)} symbols"
        mark = "✅" if expected is not None and when == expected.isoformat() else "⚠️"
        lines.append(f"{mark} {esc(when)}: {esc(shown)}")
    by_source: dict[str, list[str]] = {}
    for symbol, source in data.sources.items():
        by_source.setdefault(source, []).append(symbol)
    if by_source:
        lines.append("<b>Sources</b> (of each symbol's latest close)")
        for source, symbols in sorted(by_source.items()):
            shown = ", ".join(symbols) if len(symbols) <= 12 else f"{len(symbols)} symbols"
            lines.append(f"  {esc(source)}: {esc(shown)}")
    if data.stale:
        lines.append("<b>Stale symbols</b>")
        for symbol, told in sorted(data.stale.items()):
            last = told.last_close.isoformat() if told.last_close else "none stored"
            lines.append(
                f"⚠️ {esc(symbol)}: no close since {esc(last)} "
                f"(stale since {esc(told.since.isoformat())})"
            )
    if data.disagreements:
        lines.append("<b>Sources disagreeing</b> (more than 0.5 %; the stored row is kept)")
        for symbol, session, stored_source, stored, other_source, other in data.disagreements:
            lines.append(
                f"  {esc(symbol)} {esc(session)}: {esc(stored_source)} {esc(price(stored))}, "
                f"{esc(other_source)} {esc(price(other))}"
            )
    lines.append("<b>Last job runs</b>")
    if not data.jobs:
        lines.append("  none recorded")
    for job in data.jobs:
        detail = (job.detail or "")[:80]
        lines.append(
            f"  {esc(job.job)} {esc(job.session or '')}: {esc(job.status)}"
            f" at {esc(job.started_at)}" + (f" — {esc(detail)}" if detail else "")
        )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(data.outbox.items())) or "empty"
    lines.append(f"<b>Outbox</b>: {esc(counts)}")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(data.chats.items())) or "none"
    lines.append(f"<b>Chats</b>: {esc(counts)}")
    if data.fetching:
        lines.append("Fetching now: " + esc(", ".join(data.fetching)))
    return "\n".join(lines)
