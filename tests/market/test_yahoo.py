"""YahooProvider offline: on yfinance-shaped frames, and through unmodified yfinance.

The second half feeds the real yfinance generated v8 chart JSON (built from the bundled
real closes) by patching curl_cffi's Session.request; the fake raises on any URL it does
not know and every test asserts that none was requested.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import threading
from typing import Any

import pandas as pd
import pytest
import yfinance as yf
from curl_cffi.requests.session import Session
from yfinance.exceptions import YFRateLimitError

from market import yahoo
from market.provider import BAR_COLUMNS, FetchResult
from market.yahoo import (
    NO_DATA,
    RATE_LIMITED,
    UNREACHABLE,
    RetryPolicy,
    YahooProvider,
    short_cause,
)
from tests.fakes.yahoo_chart import (
    FakeYahoo,
    UnexpectedRequest,
    load_bundled_bars,
    patch_curl_cffi,
)

# yfinance 1.7 uses `inplace=` under pandas 3.1, which emits Pandas4Warning (a
# DeprecationWarning) attributed to yfinance's modules; pyproject already ignores
# DeprecationWarning from yfinance.*, this keeps the module self-contained if that changes.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:yfinance.*")

#: A symbol no test serves: yfinance keeps each symbol's timezone for the whole process (in
#: the cache folder set once), so a symbol another test fetched would skip the timezone
#: look-up whose 404 these tests expect.
UNKNOWN = "NOSUCHETF"
START = dt.date(2026, 3, 2)
END = dt.date(2026, 4, 1)
NO_JITTER = RetryPolicy(attempts=3, base_delay=1.0, rate_limit_factor=4.0, jitter=0.0)


# --- helpers -----------------------------------------------------------------------------


def yf_frame(bars: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A frame shaped like yf.download(group_by="column", multi_level_index=True)."""
    parts = {
        symbol: frame.rename(columns=str.capitalize).rename_axis("Date")
        for symbol, frame in bars.items()
    }
    data = pd.concat(parts.values(), axis=1, keys=parts.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(axis=1, level=0)


def empty_yf_frame(symbols: list[str]) -> pd.DataFrame:
    """What yf.download returned offline: a (0, 6*N) frame."""
    prices = ["Adj Close", "Close", "High", "Low", "Open", "Volume"]
    columns = pd.MultiIndex.from_product([prices, symbols], names=["Price", "Ticker"])
    return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], name="Date"))


def sample(symbol: str, start: dt.date = START, end: dt.date = END) -> pd.DataFrame:
    return load_bundled_bars(symbol).loc[pd.Timestamp(start) : pd.Timestamp(end)]


class FakeDownload:
    """Stands in for yf.download: answers from a list (frames or exceptions), records calls."""

    def __init__(self, *answers: pd.DataFrame | BaseException, log: str | None = None) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []
        self.log = log

    def __call__(self, **kwargs: Any) -> pd.DataFrame:
        self.calls.append(kwargs)
        if self.log:
            logging.getLogger("yfinance").error(self.log)
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def tickers(self) -> list[list[str]]:
        return [sorted(call["tickers"]) for call in self.calls]


@pytest.fixture
def delays() -> list[float]:
    return []


@pytest.fixture
def provider(tmp_path: Any, delays: list[float]) -> YahooProvider:
    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    return YahooProvider(tmp_path / "yf-cache", retry=NO_JITTER, sleep=sleep, threads=False)


def install(monkeypatch: pytest.MonkeyPatch, fake: FakeDownload) -> FakeDownload:
    monkeypatch.setattr(yf, "download", fake)
    return fake


# --- 1. the provider on yfinance-shaped frames --------------------------------------------


async def test_success_gives_contract_bars_from_one_batched_call(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch, delays: list[float]
) -> None:
    fake = install(
        monkeypatch, FakeDownload(yf_frame({"IWM": sample("IWM"), "SPY": sample("SPY")}))
    )

    result = await provider.fetch(["iwm", "SPY"], START, END, expected_last=END)

    assert result.ok
    assert result.source == "yahoo"
    assert not result.rate_limited
    assert sorted(result.bars) == ["IWM", "SPY"]
    for symbol, bars in result.bars.items():
        assert list(bars.columns) == list(BAR_COLUMNS)
        assert (bars.dtypes == "float64").all()
        assert bars.index.name == "date"
        assert isinstance(bars.index, pd.DatetimeIndex)
        assert bars.index.tz is None
        assert bars.index.is_monotonic_increasing
        pd.testing.assert_frame_equal(
            bars, sample(symbol), check_names=False, check_index_type=False
        )
    assert delays == []
    assert len(fake.calls) == 1
    call = fake.calls[0]
    assert sorted(call["tickers"]) == ["IWM", "SPY"]
    assert call["start"] == "2026-03-02"
    assert call["end"] == "2026-04-02"  # yfinance's end is exclusive
    assert call["auto_adjust"] is True
    assert call["progress"] is False
    assert call["group_by"] == "column"
    assert call["multi_level_index"] is True


async def test_rows_outside_the_range_are_dropped(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    wide = sample("IWM", dt.date(2026, 2, 20), END)
    install(monkeypatch, FakeDownload(yf_frame({"IWM": wide})))

    result = await provider.fetch(["IWM"], START, dt.date(2026, 3, 31))

    bars = result.bars["IWM"]
    assert bars.index[0] == pd.Timestamp("2026-03-02")
    assert bars.index[-1] == pd.Timestamp("2026-03-31")


async def test_empty_frame_fails_every_symbol_after_all_attempts(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch, delays: list[float]
) -> None:
    fake = install(monkeypatch, FakeDownload(empty_yf_frame(["IWM", "SPY"])))

    result = await provider.fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert result.bars == {}
    assert result.failures == {"IWM": NO_DATA, "SPY": NO_DATA}
    assert not result.rate_limited
    assert len(fake.calls) == 3
    assert delays == [1.0, 2.0]


async def test_missing_symbol_is_named_and_only_it_is_requested_again(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = install(monkeypatch, FakeDownload(yf_frame({"IWM": sample("IWM")})))

    result = await provider.fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert sorted(result.bars) == ["IWM"]
    assert result.failures == {"SPY": "missing from Yahoo's answer"}
    assert fake.tickers() == [["IWM", "SPY"], ["SPY"], ["SPY"]]


async def test_all_nan_closes_fail_with_what_yfinance_logged(
    provider: YahooProvider,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Real yfinance keeps a failed symbol as all-NaN columns and logs why.
    spy = sample("SPY").assign(open=float("nan"), close=float("nan"))
    failed = "['SPY']: possibly delisted; no timezone found"
    install(monkeypatch, FakeDownload(yf_frame({"IWM": sample("IWM"), "SPY": spy}), log=failed))

    with caplog.at_level(logging.DEBUG):
        result = await provider.fetch(["IWM", "SPY"], START, END)

    assert sorted(result.bars) == ["IWM"]
    assert result.failures == {
        "SPY": "no closes in Yahoo's answer; yfinance: possibly delisted; no timezone found"
    }
    # yfinance's own "Failed downloads" lines are held back (we report them ourselves).
    assert not [r for r in caplog.records if r.name == "yfinance"]


@pytest.mark.parametrize("expected_last", [None, END])
async def test_nan_tail_rows_are_dropped_and_the_symbol_reported_stale(
    provider: YahooProvider,
    monkeypatch: pytest.MonkeyPatch,
    delays: list[float],
    expected_last: dt.date | None,
) -> None:
    spy = sample("SPY")
    spy.loc[pd.Timestamp(END), "close"] = float("nan")
    fake = install(monkeypatch, FakeDownload(yf_frame({"IWM": sample("IWM"), "SPY": spy})))

    result = await provider.fetch(["IWM", "SPY"], START, END, expected_last=expected_last)

    assert result.failures == {}
    assert result.stale == {"SPY": dt.date(2026, 3, 31)}
    assert sorted(result.bars) == ["IWM", "SPY"]
    # Every valid row up to the last valid close, and not the NaN one.
    pd.testing.assert_frame_equal(
        result.bars["SPY"],
        sample("SPY", end=dt.date(2026, 3, 31)),
        check_names=False,
        check_index_type=False,
    )
    # SPY was asked for again on every attempt (a late close may still arrive).
    assert fake.tickers() == [["IWM", "SPY"], ["SPY"], ["SPY"]]
    assert delays == [1.0, 2.0]


async def test_interior_nan_close_rows_are_dropped(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    iwm = sample("IWM")
    iwm.loc[pd.Timestamp("2026-03-10"), "close"] = float("nan")
    install(monkeypatch, FakeDownload(yf_frame({"IWM": iwm})))

    result = await provider.fetch(["IWM"], START, END, expected_last=END)

    assert result.ok
    assert pd.Timestamp("2026-03-10") not in result.bars["IWM"].index
    assert len(result.bars["IWM"]) == len(iwm) - 1


async def test_stale_symbols_keep_their_rows_and_are_reported_with_their_last_close(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_end = dt.date(2026, 3, 31)
    frame = yf_frame({"IWM": sample("IWM", end=old_end), "SPY": sample("SPY", end=old_end)})
    fake = install(monkeypatch, FakeDownload(frame))

    result = await provider.fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert result.ok
    assert result.stale == {"IWM": old_end, "SPY": old_end}
    assert result.unreachable == frozenset()
    for symbol in ("IWM", "SPY"):
        pd.testing.assert_frame_equal(
            result.bars[symbol],
            sample(symbol, end=old_end),
            check_names=False,
            check_index_type=False,
        )
    assert len(fake.calls) == 3  # stale symbols are asked for again on every attempt


async def test_a_stale_symbol_that_catches_up_on_a_retry_is_current(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_end = dt.date(2026, 3, 30)
    first = yf_frame({"IWM": sample("IWM"), "SPY": sample("SPY", end=old_end)})
    fake = install(monkeypatch, FakeDownload(first, yf_frame({"SPY": sample("SPY")})))

    result = await provider.fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert result.ok
    assert result.stale == {}
    assert result.bars["SPY"].index[-1] == pd.Timestamp(END)
    assert fake.tickers() == [["IWM", "SPY"], ["SPY"]]


async def test_stale_rows_are_kept_when_a_retry_finds_yahoo_unreachable(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_end = dt.date(2026, 3, 27)
    stale = yf_frame({"IWM": sample("IWM"), "SPY": sample("SPY", end=old_end)})
    offline = RuntimeError("curl: (6) Could not resolve host: query2.finance.yahoo.com")
    fake = install(monkeypatch, FakeDownload(stale, offline))

    result = await provider.fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert len(fake.calls) == 2  # the network error ends the retries
    assert result.failures == {}
    assert result.unreachable == frozenset()
    assert result.stale == {"SPY": old_end}
    assert result.bars["SPY"].index[-1] == pd.Timestamp(old_end)
    assert result.bars["IWM"].index[-1] == pd.Timestamp(END)


async def test_rate_limit_raised_is_reported_and_backs_off_longer(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch, delays: list[float]
) -> None:
    install(monkeypatch, FakeDownload(YFRateLimitError()))

    result = await provider.fetch(["IWM", "SPY"], START, END)

    assert result.rate_limited
    assert result.failures == {"IWM": RATE_LIMITED, "SPY": RATE_LIMITED}
    assert result.unreachable == {"IWM", "SPY"}
    assert delays == [4.0, 8.0]  # four times the ordinary 1 s, 2 s


async def test_exception_inside_yfinance_fails_every_symbol_without_url(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    boom = RuntimeError(
        "curl: (6) Could not resolve host for "
        "https://query2.finance.yahoo.com/v8/finance/chart/SPY?crumb=abc\nmore detail"
    )
    fake = install(monkeypatch, FakeDownload(boom))

    result = await provider.fetch(["IWM", "SPY"], START, END)

    assert len(fake.calls) == 1  # a network error: not retried
    cause = f"{UNREACHABLE}: RuntimeError: curl: (6) Could not resolve host for <url> more detail"
    assert result.failures == {"IWM": cause, "SPY": cause}
    assert not result.rate_limited
    assert result.unreachable == {"IWM", "SPY"}  # the source broke, not the symbols


async def test_retry_then_success(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch, delays: list[float]
) -> None:
    good = yf_frame({"IWM": sample("IWM"), "SPY": sample("SPY")})
    fake = install(monkeypatch, FakeDownload(empty_yf_frame(["IWM", "SPY"]), good))

    result = await provider.fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert result.ok
    assert sorted(result.bars) == ["IWM", "SPY"]
    assert len(fake.calls) == 2
    assert delays == [1.0]


async def test_rate_limit_then_success_clears_the_flag(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch, delays: list[float]
) -> None:
    install(monkeypatch, FakeDownload(YFRateLimitError(), yf_frame({"IWM": sample("IWM")})))

    result = await provider.fetch(["IWM"], START, END)

    assert result.ok
    assert not result.rate_limited
    assert delays == [4.0]


async def test_invalid_symbols_fail_without_being_requested(
    provider: YahooProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = install(monkeypatch, FakeDownload(yf_frame({"IWM": sample("IWM")})))

    result = await provider.fetch(["IWM", "not a symbol", "iwm"], START, END)

    assert sorted(result.bars) == ["IWM"]
    assert list(result.failures) == ["not a symbol"]
    assert "is not a symbol" in result.failures["not a symbol"]
    assert fake.tickers() == [["IWM"]]


async def test_start_after_end_is_refused(provider: YahooProvider) -> None:
    with pytest.raises(ValueError, match="after end"):
        await provider.fetch(["IWM"], END, START)


def test_retry_delay_grows_is_capped_and_jitters_down() -> None:
    policy = RetryPolicy(base_delay=2.0, max_delay=10.0, jitter=0.5, rate_limit_factor=4.0)
    rng = random.Random(7)
    delays = [policy.delay(n, rate_limited=False, rng=rng) for n in (1, 2, 3, 4)]
    ceilings = [2.0, 4.0, 8.0, 10.0]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert 5.0 <= policy.delay(1, rate_limited=True, rng=rng) <= 8.0


def test_short_cause_is_one_short_line_without_urls() -> None:
    text = "HTTPError 404 at https://query2.finance.yahoo.com/x?crumb=SECRET\n" + "x" * 500
    cause = short_cause(text)
    assert "\n" not in cause
    assert "http" not in cause
    assert "SECRET" not in cause
    assert len(cause) <= 160


def test_the_yfinance_cache_folder_is_set_once_per_process(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    locations: list[str] = []
    monkeypatch.setattr(yahoo, "_cache_location", None)
    monkeypatch.setattr(yf, "set_tz_cache_location", locations.append)

    YahooProvider(tmp_path / "first")
    YahooProvider(tmp_path / "second")

    assert locations == [str(tmp_path / "first")]
    assert (tmp_path / "first").is_dir()
    assert (tmp_path / "second").is_dir()


# --- 2. unmodified yfinance fed generated v8 chart JSON -------------------------------------


@pytest.fixture
def fake_yahoo(monkeypatch: pytest.MonkeyPatch) -> FakeYahoo:
    return patch_curl_cffi(monkeypatch, FakeYahoo())


@pytest.fixture
def real_provider(tmp_path: Any, delays: list[float]) -> YahooProvider:
    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    return YahooProvider(tmp_path / "yf-cache", retry=NO_JITTER, sleep=sleep)


def test_the_fake_refuses_any_url_it_does_not_know(fake_yahoo: FakeYahoo) -> None:
    with pytest.raises(UnexpectedRequest):
        Session().get("https://example.com/")
    assert fake_yahoo.unexpected == ["https://example.com/"]


async def test_yfinance_returns_the_bundled_closes_exactly(
    real_provider: YahooProvider, fake_yahoo: FakeYahoo
) -> None:
    symbols = ["IWM", "SPY", "^RUT", "IJR"]  # IJR is a close-only series in the sample
    fake_yahoo.serve(symbols)
    first, last = dt.date(2024, 1, 2), dt.date(2026, 4, 1)

    result = await real_provider.fetch(symbols, first, last, expected_last=last)

    assert result.ok, result.failures
    assert fake_yahoo.unexpected == []
    assert set(fake_yahoo.chart_symbols()) == set(symbols)
    for symbol in symbols:
        expected = load_bundled_bars(symbol)
        bars = result.bars[symbol]
        assert list(bars.index) == list(expected.index)
        assert bars["close"].tolist() == expected["close"].tolist()  # exact, not approximate
    iwm, iwm_csv = result.bars["IWM"], load_bundled_bars("IWM")
    for column in ("open", "high", "low", "volume"):
        assert iwm[column].tolist() == iwm_csv[column].tolist()


async def test_yfinance_answers_for_stale_and_nan_tail_symbols_keep_their_valid_rows(
    real_provider: YahooProvider, fake_yahoo: FakeYahoo, delays: list[float]
) -> None:
    fake_yahoo.serve(["IWM", "SPY", "^RUT"])
    halted = dt.date(2026, 3, 20)
    fake_yahoo.bars["^RUT"] = fake_yahoo.bars["^RUT"].loc[: pd.Timestamp(halted)]
    # Yahoo lists the last session for SPY but with no prices in it.
    spy = fake_yahoo.bars["SPY"].loc[: pd.Timestamp(END)].copy()
    spy.loc[pd.Timestamp(END)] = float("nan")
    fake_yahoo.bars["SPY"] = spy

    result = await real_provider.fetch(["IWM", "SPY", "^RUT"], START, END, expected_last=END)

    assert result.failures == {}
    assert result.stale == {"^RUT": halted, "SPY": dt.date(2026, 3, 31)}
    for symbol, last in (("IWM", END), ("SPY", dt.date(2026, 3, 31)), ("^RUT", halted)):
        bars = result.bars[symbol]
        expected = load_bundled_bars(symbol).loc[pd.Timestamp(START) : pd.Timestamp(last)]
        assert list(bars.index) == list(expected.index)
        assert bars["close"].tolist() == expected["close"].tolist()
        assert not bars["close"].isna().any()
    # The stale symbols were asked for on every attempt, IWM once.
    charts = fake_yahoo.chart_symbols()
    assert charts.count("IWM") == 1
    assert charts.count("SPY") == charts.count("^RUT") >= 3
    assert delays == [1.0, 2.0]
    assert fake_yahoo.unexpected == []


async def test_unknown_symbol_404_is_named_in_failures(
    real_provider: YahooProvider, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.serve(["IWM"])
    fake_yahoo.not_found.add(UNKNOWN)

    result = await real_provider.fetch(["IWM", UNKNOWN], START, END, expected_last=END)

    assert sorted(result.bars) == ["IWM"]
    assert list(result.failures) == [UNKNOWN]
    assert "no timezone found" in result.failures[UNKNOWN]
    assert not result.rate_limited
    assert result.unreachable == frozenset()  # Yahoo answered: the symbol is really unknown
    assert result.bars["IWM"]["close"].tolist() == sample("IWM")["close"].tolist()
    assert fake_yahoo.unexpected == []


async def test_empty_answer_for_one_symbol_is_named_in_failures(
    real_provider: YahooProvider, fake_yahoo: FakeYahoo
) -> None:
    fake_yahoo.serve(["IWM", "SPY"])
    fake_yahoo.bars["SPY"] = fake_yahoo.bars["SPY"].loc[: pd.Timestamp("2025-12-31")]

    result = await real_provider.fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert sorted(result.bars) == ["IWM"]
    assert list(result.failures) == ["SPY"]
    # The last attempt asked for SPY alone, so the whole answer was empty.
    assert result.failures["SPY"] == (
        NO_DATA + "; yfinance: possibly delisted; no price data found (1d 2026-03-02 -> 2026-04-02)"
    )
    assert fake_yahoo.unexpected == []


async def test_http_429_is_reported_as_rate_limited(
    real_provider: YahooProvider, fake_yahoo: FakeYahoo, delays: list[float]
) -> None:
    fake_yahoo.serve(["IWM", "SPY"])
    fake_yahoo.rate_limited = True

    result = await real_provider.fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert result.rate_limited
    assert result.failures == {"IWM": RATE_LIMITED, "SPY": RATE_LIMITED}
    assert delays == [4.0, 8.0]
    assert fake_yahoo.unexpected == []


async def test_unreachable_yahoo_names_every_symbol_once_without_retrying(
    real_provider: YahooProvider, fake_yahoo: FakeYahoo, delays: list[float]
) -> None:
    fake_yahoo.unreachable = True

    result = await real_provider.fetch(["SPY", "IWM"], START, END, expected_last=END)

    assert result.bars == {}
    assert sorted(result.failures) == ["IWM", "SPY"]
    cause = result.failures["SPY"]
    assert result.failures["IWM"] == cause  # one cause: reported in one line
    assert cause.startswith(UNREACHABLE + ": ")
    assert "DNSError" in cause
    assert "http" not in cause
    assert result.unreachable == {"IWM", "SPY"}
    assert delays == []  # the first network failure ends the batch
    assert fake_yahoo.unexpected == []


async def test_a_network_error_mid_batch_stops_the_retries(
    real_provider: YahooProvider, fake_yahoo: FakeYahoo, delays: list[float]
) -> None:
    fake_yahoo.serve(["IWM", "SPY"])
    fake_yahoo.down.add("SPY")

    result = await real_provider.fetch(["IWM", "SPY"], START, END, expected_last=END)

    assert sorted(result.bars) == ["IWM"]
    assert result.unreachable == {"SPY"}
    assert result.failures["SPY"].startswith(UNREACHABLE)
    assert delays == []
    assert fake_yahoo.chart_symbols().count("SPY") == 1


async def test_yfinance_log_lines_stay_out_of_the_terminal(
    real_provider: YahooProvider, fake_yahoo: FakeYahoo, caplog: pytest.LogCaptureFixture
) -> None:
    fake_yahoo.serve(["IWM"])
    fake_yahoo.not_found.add("QQQ")
    caplog.set_level(logging.DEBUG)

    await real_provider.fetch(["IWM", "QQQ"], START, END, expected_last=END)

    from_yfinance = [r for r in caplog.records if r.name.startswith("yfinance")]
    assert from_yfinance == []  # held back: a terminal at INFO never sees them
    ours = [r.getMessage() for r in caplog.records if r.name == "market.yahoo"]
    assert any(m.startswith("yfinance: ") and "QQQ" in m for m in ours)
    assert all(
        r.levelno == logging.DEBUG
        for r in caplog.records
        if r.name == "market.yahoo" and r.getMessage().startswith("yfinance: ")
    )


async def test_overlapping_downloads_keep_their_own_errors(
    tmp_path: Any, fake_yahoo: FakeYahoo
) -> None:
    """The daily job and a user's fetch at once: one meets an unknown symbol, the other a
    network error; neither may take the other's error (an outage must not become "not
    found", nor a real miss an outage).

    The first download is held inside its first chart request until the second download
    has finished its attempt (or two seconds passed: one download at a time cannot wait
    for the other), so without serialised downloads their yfinance log records interleave.
    """
    fake_yahoo.serve(["IWM", "SPY", "DIA"])
    fake_yahoo.not_found.add(UNKNOWN)
    fake_yahoo.down.add("DIA")
    first = ("IWM", UNKNOWN)
    first_held, second_done = threading.Event(), threading.Event()

    def hold_first(symbol: str) -> None:
        if symbol in first and not first_held.is_set():
            first_held.set()
            second_done.wait(timeout=2.0)

    class SecondDone(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "DIA" in record.getMessage() or "unreachable" in record.getMessage():
                second_done.set()

    watcher = SecondDone()
    logging.getLogger("market.yahoo").addHandler(watcher)
    fake_yahoo.before_chart = hold_first

    async def no_sleep(seconds: float) -> None:
        return None

    def provider() -> YahooProvider:
        return YahooProvider(tmp_path / "yf", retry=NO_JITTER, sleep=no_sleep, threads=False)

    async def second() -> FetchResult:
        await asyncio.to_thread(first_held.wait, 2.0)
        return await provider().fetch(["SPY", "DIA"], START, END, expected_last=END)

    try:
        daily, user = await asyncio.gather(
            provider().fetch(list(first), START, END, expected_last=END), second()
        )
    finally:
        logging.getLogger("market.yahoo").removeHandler(watcher)

    assert sorted(daily.bars) == ["IWM"]
    assert "no timezone found" in daily.failures[UNKNOWN]
    assert daily.unreachable == frozenset()  # the symbol is unknown: Yahoo answered
    assert sorted(user.bars) == ["SPY"]
    assert user.failures["DIA"].startswith(UNREACHABLE)
    assert "Could not resolve host" in user.failures["DIA"]
    assert user.unreachable == {"DIA"}  # an outage: not remembered as "not found"
    assert fake_yahoo.unexpected == []


async def test_a_retry_asks_yahoo_again_instead_of_reusing_a_cached_answer(
    real_provider: YahooProvider, fake_yahoo: FakeYahoo
) -> None:
    # yfinance caches answers for past ranges in-process, 404s included.
    fake_yahoo.serve(["IWM"])
    fake_yahoo.not_found.add("IWM")
    failed = await real_provider.fetch(["IWM"], START, END)
    fake_yahoo.not_found.clear()

    result = await real_provider.fetch(["IWM"], START, END, expected_last=END)

    assert list(failed.failures) == ["IWM"]
    assert result.ok, result.failures
    assert fake_yahoo.unexpected == []
