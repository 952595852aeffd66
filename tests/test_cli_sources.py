"""`rotation-bot prices update` with Yahoo unreachable and MARKET_DATA_SOURCE=yahoo,tiingo
pointed at a local server speaking Tiingo's documented format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from curl_cffi.requests.exceptions import DNSError
from curl_cffi.requests.session import Session
from typer.testing import CliRunner

from bot.cli.main import app
from market.symbols import is_index
from market.universe import load_universe
from storage.db import open_db
from storage.prices import load_bars
from tests.fakes.price_sources import TOKEN, FakePriceSources

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:yfinance.*")
runner = CliRunner()
ASOF = "2026-03-31"


@pytest.fixture
def server() -> Iterator[FakePriceSources]:
    symbols = [s for s in load_universe().all_symbols() if not is_index(s)]
    with FakePriceSources().serve_tiingo(symbols).running() as running:
        yield running


def test_yahoo_unreachable_tiingo_stores_every_etf_and_stock(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, server: FakePriceSources
) -> None:
    def offline(self: Session, method: str, url: str, *args: object, **kwargs: object) -> None:
        raise DNSError("Could not resolve host: query2.finance.yahoo.com")

    monkeypatch.setattr(Session, "request", offline)
    database = clean_env / "rotation.db"
    monkeypatch.setenv("DATABASE_PATH", str(database))
    monkeypatch.setenv("YAHOO_CACHE_DIR", str(clean_env / "yf"))
    monkeypatch.setenv("MARKET_DATA_SOURCE", "yahoo,tiingo")
    monkeypatch.setenv("TIINGO_API_KEY", TOKEN)
    monkeypatch.setenv("TIINGO_API_URL", server.tiingo_url)
    server.html.add("KRE")  # an HTML challenge with HTTP 200: never read

    result = runner.invoke(app, ["prices", "update", "--asof", ASOF])

    assert result.exit_code == 1  # some symbols no source had
    assert "Traceback" not in result.output
    universe = load_universe().all_symbols()
    stocks = [s for s in universe if not is_index(s) and s != "KRE"]
    db = open_db(database)
    for symbol in stocks:
        bars = load_bars(db, symbol)
        assert set(bars["source"]) == {"tiingo"}, symbol
        assert bars["close"].tolist() == server.adjusted_closes(symbol)[: len(bars)]
        assert str(bars.index[-1].date()) == ASOF
    assert load_bars(db, "KRE").empty
    lines = result.output.splitlines()
    kre = [line for line in lines if line.startswith("KRE: ")]
    assert len(kre) == 1
    assert kre[0].startswith("KRE: yahoo: Yahoo unreachable: ")
    assert kre[0].endswith("tiingo: Tiingo answered a web page (HTTP 200), not data: not read")
    indexes = [s for s in universe if is_index(s)]
    named = [line for line in lines if "Tiingo carries no indexes" in line]
    assert len(named) == 1
    assert all(s in named[0] for s in indexes)
    assert "outage: yahoo: " in result.output
    iwm = next(line for line in lines if line.startswith("IWM "))
    assert iwm.endswith(f"latest {ASOF}  from tiingo")
