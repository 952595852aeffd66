"""`rotation-bot prices update|show`: refresh stored prices and look at them."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import typer

from bot.cli_common import date_option, fail, load
from bot.render.table import text_table
from jobs.refresh import refresh_prices
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
        typer.echo(f"{symbol:<18} +{report.added.get(symbol, 0):>4} rows  latest {latest}")
    if report.readjusted:
        typer.echo(f"re-fetched after a re-adjustment: {', '.join(report.readjusted)}")
    stored = [s for s in targets if s not in report.failures]
    source = settings.market_data_source
    typer.echo(f"{len(stored)} of {len(targets)} symbols at session {expected} ({source})")
    if report.failures:
        for symbol, why in sorted(report.failures.items()):
            typer.echo(f"{symbol}: {why}", err=True)
        raise typer.Exit(1)


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
    rows = []
    for day, row in zip(bars.index, bars.to_dict("records"), strict=True):
        cells = [_cell(row[c]) for c in ("open", "high", "low", "close")]
        volume = row["volume"]
        shown = "" if volume is None or volume != volume else f"{volume:,.0f}"
        rows.append([str(day.date()), *cells, shown, str(row["source"])])
    header = ["date", "open", "high", "low", "close", "volume", "source"]
    typer.echo(text_table(header, rows, "lrrrrrl"))


def _cell(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:,.4f}"
