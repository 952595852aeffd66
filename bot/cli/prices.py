"""`rotation-bot prices update|show`: refresh stored prices and look at them."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import typer

from bot.cli.common import date_option, fail, load
from bot.render.table import text_table
from bot.services import Services
from jobs.refresh import RefreshReport, refresh_prices
from market.symbols import InvalidSymbol, normalize_symbol, resolve_alias
from storage.prices import last_dates, load_bars


def update(
    symbols: Annotated[
        list[str] | None,
        typer.Argument(metavar="SYMBOL", help="Symbols to refresh (default: the universe)."),
    ] = None,
    asof: Annotated[
        str | None, typer.Option(metavar="DATE", help="Refresh as if today were DATE (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Fetch new sessions from the configured source and store them."""

    day = date_option(asof)
    try:
        wanted = [normalize_symbol(s) for s in symbols] if symbols else None
    except InvalidSymbol as exc:
        raise fail(str(exc), 2) from None
    settings, services = load()
    if wanted is not None:
        wanted = list(dict.fromkeys(_resolve(services, s) for s in wanted))
    targets = wanted or list(services.universe.all_symbols())
    now = dt.datetime.now(dt.UTC)
    expected = services.expected_session(now, day)
    report = asyncio.run(
        refresh_prices(
            services.db,
            services.provider(day),
            services.calendar,
            targets,
            expected,
            fetched_at=now,
        )
    )
    for symbol in targets:
        if symbol in report.failures:
            continue
        latest = report.latest.get(symbol)
        late = " (stale: no newer close at the source)" if symbol in report.stale else ""
        source = f"  from {report.sources[symbol]}" if symbol in report.sources else ""
        typer.echo(
            f"{symbol:<18} +{report.added.get(symbol, 0):>4} rows  latest {latest}{late}{source}"
        )
    if report.readjusted:
        typer.echo(f"re-fetched after a re-adjustment: {', '.join(report.readjusted)}")
    if report.weekdays:
        typer.echo(
            f"no exchange calendar for {', '.join(report.weekdays)}: judged by weekdays "
            "(Monday to Friday, no holidays)"
        )
    for line in sorted(report.outages.values()):
        typer.echo(f"outage: {line}")
    for symbol, when, stored_source, stored, other_source, other in report.disagreements:
        typer.echo(
            f"{symbol} {when}: {other_source} close {other:g} is more than 0.5 % from the stored "
            f"{stored_source} close {stored:g}; the stored row is kept"
        )
    current = [s for s in targets if s not in report.failures and s not in report.stale]
    sources = settings.market_data_source
    typer.echo(f"{len(current)} of {len(targets)} symbols at session {expected} ({sources})")
    problems = problem_lines(report)
    for line in problems:
        typer.echo(line, err=True)
    if problems:
        raise typer.Exit(1)


def failure_lines(failures: dict[str, str]) -> list[str]:
    """One line per symbol, or one line per cause that several symbols share (an outage
    gives every symbol the same cause: one line in all)."""
    by_cause: dict[str, list[str]] = {}
    for symbol, why in sorted(failures.items()):
        by_cause.setdefault(why, []).append(symbol)
    return [
        f"{symbols[0]}: {why}"
        if len(symbols) == 1
        else f"{len(symbols)} symbols ({', '.join(symbols)}): {why}"
        for why, symbols in by_cause.items()
    ]


def problem_lines(report: RefreshReport) -> list[str]:
    """One line per problem of a refresh: failed (symbols sharing a cause in one line), stale
    (with its date), gaps, skipped lines."""
    lines = failure_lines(report.failures)
    for symbol, last in sorted(report.stale.items()):
        if symbol not in report.failures:
            lines.append(
                f"{symbol}: stale: last close {last}, expected {report.expected} "
                "(its rows up to then are stored)"
            )
    for symbol, days in sorted(report.gaps.items()):
        shown = ", ".join(d.isoformat() for d in days[:5]) + (" …" if len(days) > 5 else "")
        lines.append(f"{symbol}: {len(days)} session(s) missing inside the series: {shown}")
    for symbol, skipped in sorted(report.warnings.items()):
        lines.extend(f"{symbol}: {w}" for w in skipped)
    return lines


def show(
    symbol: Annotated[
        str, typer.Argument(metavar="SYMBOL", help="The symbol, e.g. IWM, ^RUT or RUT.")
    ],
    last: Annotated[
        int, typer.Option(min=1, max=5000, metavar="N", help="How many sessions to show.")
    ] = 10,
) -> None:
    """Print the last stored sessions of SYMBOL."""

    try:
        name = normalize_symbol(symbol)
    except InvalidSymbol as exc:
        raise fail(str(exc), 2) from None
    _, services = load()
    name = _resolve(services, name)
    bars = load_bars(services.db, name, last=last)
    if bars.empty:
        raise fail(f"no prices stored for {name}; run: rotation-bot prices update {name}", 1)
    count = f"{len(bars)} session" + ("" if len(bars) == 1 else "s")
    typer.echo(f"{name}: {count}, last {bars.index[-1].date()}")
    rows = []
    for day, row in zip(bars.index, bars.to_dict("records"), strict=True):
        cells = [_cell(row[c]) for c in ("open", "high", "low", "close")]
        volume = row["volume"]
        shown = "" if volume is None or volume != volume else f"{volume:,.0f}"
        rows.append([str(day.date()), *cells, shown, str(row["source"])])
    header = ["date", "open", "high", "low", "close", "volume", "source"]
    typer.echo(text_table(header, rows, "lrrrrrl"))


def _resolve(services: Services, symbol: str) -> str:
    """Aliases as in chat (RUT -> ^RUT) unless the plain name is stored or in the universe."""
    universe = set(services.universe.all_symbols())
    return resolve_alias(symbol, lambda n: n in universe or bool(last_dates(services.db, [n])))


def _cell(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:,.4f}"
