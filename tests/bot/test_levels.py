"""Yields and volatility are levels, not prices: changes in bp or points, no drawdown, no
total-return wording, no spreads against equities; the quadrant text uses the chart's units."""

from __future__ import annotations

import pytest

from bot.commands.offline import reply_to_plain
from bot.commands.registry import UserError
from bot.handlers import answer
from bot.services import Services
from tests.bot.conftest import ASOF


@pytest.mark.parametrize(("symbol", "unit"), [("^TNX", " bp"), ("^IRX", " bp"), ("^VIX", " pts")])
async def test_a_level_shows_changes_not_returns(
    services: Services, symbol: str, unit: str
) -> None:
    plain = reply_to_plain(await answer(services, f"/ticker {symbol}", asof=ASOF))
    assert "1D " in plain
    assert unit in plain
    assert "max drawdown" not in plain
    assert "Price level only" not in plain
    assert "vs SPY" not in plain
    assert " pp" not in plain
    assert "a level, not a price" in plain


async def test_a_price_keeps_returns_drawdown_and_spreads(services: Services) -> None:
    plain = reply_to_plain(await answer(services, "/ticker ^RUT", asof=ASOF))
    assert "max drawdown" in plain
    assert "vs SPY" in plain
    assert "Price level only (no dividends)" in plain


async def test_a_pair_with_a_level_is_refused_with_a_reason(services: Services) -> None:
    with pytest.raises(UserError, match="level and not a price"):
        await answer(services, "/pair ^VIX SPY", asof=ASOF)


async def test_quadrant_text_is_in_the_charts_units(services: Services) -> None:
    reply = await answer(services, "/quadrant", asof=ASOF)
    plain = reply_to_plain(reply)
    assert "(100 = in line with the trend)" in plain
    for line in plain.splitlines():
        if line.strip().startswith(("IWM ", "QQQ ")):
            strength = float(line.split("strength ")[1].split(",")[0])
            assert 80 < strength < 120  # an index around 100, as plotted, not a 0-based offset
