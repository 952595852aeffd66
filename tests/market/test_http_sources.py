"""Tiingo and FRED through the project's own HTTP client against local servers that answer in
the documented formats, faults included; and the ordered chain of sources."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from market.chain import SourceChain
from market.fred import FredProvider
from market.tiingo import NOT_CARRIED, TiingoProvider
from market.yahoo import RetryPolicy, YahooProvider
from tests.fakes.price_sources import TOKEN, FakePriceSources
from tests.fakes.yahoo_chart import FakeYahoo, load_bundled_bars, patch_curl_cffi

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:yfinance.*")

START = dt.date(2026, 3, 2)
END = dt.date(2026, 4, 1)


def sample(symbol: str) -> pd.DataFrame:
    return load_bundled_bars(symbol).loc[pd.Timestamp(START) : pd.Timestamp(END)]


@pytest.fixture
def server() -> Iterator[FakePriceSources]:
    fake = FakePriceSources().serve_tiingo(["IWM", "SPY", "QQQ"])
    fake.serve_fred("DGS10", "^TNX").serve_fred("DTB3", "^IRX")
    with fake.running() as running:
        yield running


def tiingo(server: FakePriceSources, token: str = TOKEN) -> TiingoProvider:
    return TiingoProvider(token, api_url=server.tiingo_url)


async def test_tiingo_bars_are_the_adjusted_fields(server: FakePriceSources) -> None:
    result = await tiingo(server).fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert result.ok, result.failures
    assert result.source == "tiingo"
    for symbol in ("IWM", "SPY"):
        bars, expected = result.bars[symbol], sample(symbol)
        assert list(bars.index) == list(expected.index)
        assert bars["close"].tolist() == expected["close"].tolist()  # adjClose, not close
        assert bars["open"].tolist() == expected["open"].tolist()
    assert sorted(server.requests) == ["/tiingo/daily/iwm/prices", "/tiingo/daily/spy/prices"]


async def test_an_html_page_with_200_is_a_failure_never_read(server: FakePriceSources) -> None:
    server.html.add("SPY")

    result = await tiingo(server).fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert sorted(result.bars) == ["IWM"]
    assert result.failures == {"SPY": "Tiingo answered a web page (HTTP 200), not data: not read"}
    assert result.unreachable == {"SPY"}


async def test_an_unknown_ticker_404_is_named(server: FakePriceSources) -> None:
    result = await tiingo(server).fetch(["IWM", "NOSUCH"], START, END)

    assert result.failures == {"NOSUCH": "Tiingo does not know it (HTTP 404)"}
    assert result.unreachable == frozenset()  # Tiingo answered: the ticker is unknown


async def test_429_is_rate_limited(server: FakePriceSources) -> None:
    server.rate_limited.add("IWM")

    result = await tiingo(server).fetch(["IWM"], START, END)

    assert result.rate_limited
    assert result.failures == {"IWM": "rate limited by Tiingo"}


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        ("empty", "Tiingo answered an empty body"),
        ("truncated", "Tiingo answered malformed or truncated JSON"),
    ],
)
async def test_an_empty_or_truncated_answer_stores_nothing(
    server: FakePriceSources, fault: str, cause: str
) -> None:
    getattr(server, fault).add("SPY")

    result = await tiingo(server).fetch(["SPY"], START, END)

    assert result.bars == {}
    assert result.failures["SPY"].startswith(cause)


async def test_a_wrong_token_is_a_failure_with_its_reason(server: FakePriceSources) -> None:
    result = await tiingo(server, token="wrong").fetch(["SPY"], START, END)

    assert result.failures == {"SPY": "Tiingo answered HTTP 401"}


async def test_indexes_are_not_asked_of_tiingo(server: FakePriceSources) -> None:
    result = await tiingo(server).fetch(["^RUT", "IWM"], START, END)

    assert result.failures == {"^RUT": NOT_CARRIED}
    assert all("rut" not in path for path in server.requests)


async def test_fred_series_stand_in_for_the_yields_labelled_as_fred(
    server: FakePriceSources,
) -> None:
    server.fred_missing["DGS10"] = {"2026-03-10"}
    fred = FredProvider(api_url=server.fred_url)

    result = await fred.fetch(["^TNX", "^IRX", "SPY"], START, END, expected_last=END)

    assert result.sources == {"^TNX": "fred:DGS10", "^IRX": "fred:DTB3"}
    assert result.failures == {"SPY": "FRED carries no series for it"}
    tnx = sample("^TNX")
    kept = tnx.drop(pd.Timestamp("2026-03-10"))  # '.' is a day without a value: left out
    assert list(result.bars["^TNX"].index) == list(kept.index)
    assert result.bars["^TNX"]["close"].tolist() == kept["close"].tolist()
    assert result.bars["^IRX"]["close"].tolist() == sample("^IRX")["close"].tolist()


async def test_fred_older_date_header_is_read_and_html_or_empty_is_refused(
    server: FakePriceSources,
) -> None:
    server.fred_header = "DATE"
    server.html.add("DTB3")
    fred = FredProvider(api_url=server.fred_url)

    result = await fred.fetch(["^TNX", "^IRX"], START, END)

    assert sorted(result.bars) == ["^TNX"]
    assert result.failures == {
        "^IRX": "fred:DTB3: FRED answered a web page (HTTP 200), not data: not read"
    }
    server.html.clear()
    server.empty.add("DTB3")
    again = await fred.fetch(["^IRX"], START, END)
    assert again.failures == {"^IRX": "fred:DTB3: FRED answered an empty body"}


async def test_the_chain_asks_the_next_source_for_what_yahoo_could_not_give(
    server: FakePriceSources, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    yahoo_fake = patch_curl_cffi(monkeypatch, FakeYahoo().serve(["QQQ", "^RUT"]))
    # Yahoo is a session late for QQQ and has never heard of IWM; SPY it gives.
    yahoo_fake.serve(["SPY"])
    yahoo_fake.bars["QQQ"] = yahoo_fake.bars["QQQ"].loc[: pd.Timestamp("2026-03-31")]

    async def no_sleep(seconds: float) -> None:
        return None

    yahoo = YahooProvider(tmp_path / "yf", retry=RetryPolicy(attempts=1), sleep=no_sleep)
    chain = SourceChain([yahoo, tiingo(server), FredProvider(api_url=server.fred_url)])

    result = await chain.fetch(
        ["SPY", "QQQ", "IWM", "^RUT", "^TNX", "^GSPC"], START, END, expected_last=END
    )

    assert result.source_of("SPY") == "yahoo"
    assert result.source_of("QQQ") == "tiingo"  # current at Tiingo, late at Yahoo
    assert result.source_of("IWM") == "tiingo"
    assert result.source_of("^RUT") == "yahoo"
    assert result.source_of("^TNX") == "fred:DGS10"
    assert sorted(result.failures) == ["^GSPC"]
    cause = result.failures["^GSPC"]
    assert cause.startswith("yahoo: ")
    assert f"tiingo: {NOT_CARRIED}" in cause
    assert cause.endswith("fred: FRED carries no series for it")
    assert result.stale == {}
    assert result.bars["IWM"]["close"].tolist() == sample("IWM")["close"].tolist()
    assert "/tiingo/daily/spy/prices" not in server.requests  # Yahoo had it


async def test_a_rate_limited_yahoo_backs_off_boundedly_then_tiingo_answers_one_outage_line(
    server: FakePriceSources, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    yahoo_fake = patch_curl_cffi(monkeypatch, FakeYahoo().serve(["IWM", "SPY", "QQQ"]))
    yahoo_fake.rate_limited = True
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    policy = RetryPolicy(attempts=4, base_delay=2.0, max_delay=10.0, rate_limit_factor=4.0)
    yahoo = YahooProvider(tmp_path / "yf", retry=policy, sleep=sleep, rng=random.Random(3))
    chain = SourceChain([yahoo, tiingo(server)])

    result = await chain.fetch(["IWM", "SPY", "QQQ"], START, END, expected_last=END)

    assert result.ok, result.failures
    assert {result.source_of(s) for s in ("IWM", "SPY", "QQQ")} == {"tiingo"}
    assert len(delays) == 3
    ceilings = [8.0, 10.0, 10.0]  # 2 s x 4 for a rate limit, doubling, capped at 10 s
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert delays != ceilings  # jittered
    assert result.outages == {
        "yahoo": "yahoo: rate limited by Yahoo (3 symbol(s), asked of tiingo)"
    }
