"""A fetch that failed because the source was down is not reported as an unknown symbol."""

from __future__ import annotations

import pytest

from bot.fetcher import Fetcher, is_transient


@pytest.mark.parametrize(
    ("reason", "transient"),
    [
        ("rate limited by Yahoo", True),
        ("no data returned (Yahoo unreachable or symbols unknown); yfinance: DNSError('x')", True),
        ("no data returned; network: Cookie/crumb fetch failed (DNSError)", True),
        ("ConnectTimeout: timed out", True),
        ("the price source failed", True),
        (
            "no data returned (Yahoo unreachable or symbols unknown); yfinance: possibly delisted",
            False,
        ),
        ("no file ZZZZ.csv in /data", False),
        ("missing from Yahoo's answer", False),
    ],
)
def test_transient_causes_are_told_apart(reason: str, transient: bool) -> None:
    assert is_transient(reason) is transient


def test_only_real_misses_are_remembered() -> None:
    fetcher = Fetcher(clock=lambda: 100.0)
    fetcher.note_missing({"ZZZZ": "no file ZZZZ.csv in /data", "IWM": "rate limited by Yahoo"})
    assert fetcher.recently_missing("ZZZZ")
    assert not fetcher.recently_missing("IWM")
