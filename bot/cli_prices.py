"""`rotation-bot prices update|show`: refresh stored prices and look at them."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import typer

from bot.cli_common import date_option, fail, load
from jobs.refresh import RefreshReport, refresh_prices
from market.symbols import InvalidSymbol, normalize_symbol
from storage.prices import load_bars

prices = typer.Typer(help="Refresh and inspect stored daily prices.", no_args_is_help=True)


@prices.command("update")
def update(
    symbols: Annotated[
        list[str] | None, typer.Argument(help="Symbols to refresh (default: the universe).")
    ] = None,
    asof: Annotated[
        str | None, typer.Option(help="Refresh as if today were DATE (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Fetch new sessions from the configured source and store them."""

    day = date_option(asof)
    try:
        wanted = [normalize_symbol(s) for s in symbols] if symbols else None
    except InvalidSymbol as exc:
        raise fail(str(exc), 2) from None
    settings, services = load()
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
        typer.echo(f"{symbol:<18} +{report.added.get(symbol, 0):>4} rows  latest {latest}{late}")
    if report.readjusted:
        typer.echo(f"re-fetched after a re-adjustment: {', '.join(report.readjusted)}")
    current = [s for s in targets if s not in report.failures and s not in report.stale]
    source = settings.market_data_source
    typer.echo(f"{len(current)} of {len(targets)} symbols at session {expected} ({source})")
    problems = problem_lines(report)
    for line in problems:
        typer.echo(line, err=True)
    if problems:
        raise typer.Exit(1)


def problem_lines(report: RefreshReport) -> list[str]:
    """One line per problem of a refresh: failed, stale (with its date), gaps, skipped lines."""
    lines = [f"{symbol}: {why}" for symbol, why in sorted(report.failures.items())]
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


@prices.command("show")
def show(
    symbol: Annotated[str, typer.Argument(help="The symbol, e.g. IWM or ^RUT.")],
    last: Annotated[int, typer.Option(min=1, max=5000, help="How many sessions to show.")] = 10,
) -> None:
    """Print the last stored sessions of SYMBOL."""

    try:
        name = normalize_symbol(symbol)
    except InvalidSymbol as exc:
        raise fail(str(exc), 2) from None
    _, services = load()
    bars = load_bars(services.db, name, last=last)
    if bars.empty:
        raise fail(f"no prices stored for {name}; run: rotation-bot prices update {name}", 1)
    typer.echo(f"{name}: {len(bars)} sessions, last {bars.index[-1].date()}")
    typer.echo(
        f"{'date':<10} {'open':>12} {'high':>12} {'low':>12} {'close':>12} {'volume':>14}  source"
    )
    for day, row in zip(bars.index, bars.to_dict("records"), strict=True):
        cells = [_cell(row[c]) for c in ("open", "high", "low", "close")]
        volume = "" if row["volume"] != row["volume"] else f"{row['volume']:,.0f}"
        typer.echo(
            f"{day.date()!s:<10} {cells[0]:>12} {cells[1]:>12} {cells[2]:>12} {cells[3]:>12} "
            f"{volume:>14}  {row['source']}"
        )


def _cell(value: float) -> str:
    return "" if value != value else f"{value:,.4f}"
