"""/status as HTML: data freshness per symbol, last job runs, outbox and chat counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.render.format import esc


@dataclass(frozen=True)
class StatusData:
    """What /status shows; counts are None when their table does not exist yet."""

    expected: dt.date | None
    freshness: Mapping[str, dt.date | None]
    jobs: Sequence[Mapping[str, object]]
    outbox: Mapping[str, int] | None
    chats: Mapping[str, int] | None
    fetching: Sequence[str]


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
    lines.append("<b>Last job runs</b>")
    if not data.jobs:
        lines.append("  none recorded")
    for job in data.jobs:
        detail = str(job.get("detail") or "")[:80]
        lines.append(
            f"  {esc(job.get('job'))} {esc(job.get('session') or '')}: {esc(job.get('status'))}"
            f" at {esc(job.get('started_at'))}" + (f" — {esc(detail)}" if detail else "")
        )
    if data.outbox is not None:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(data.outbox.items())) or "empty"
        lines.append(f"<b>Outbox</b>: {esc(counts)}")
    if data.chats is not None:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(data.chats.items())) or "none"
        lines.append(f"<b>Chats</b>: {esc(counts)}")
    if data.fetching:
        lines.append("Fetching now: " + esc(", ".join(data.fetching)))
    return "\n".join(lines)
