"""Commands through the offline face: full answers, bad input answered, nothing written."""

from __future__ import annotations

import re

import pytest

from bot.commands.offline import reply_to_plain
from bot.commands.registry import UserError
from bot.handlers import answer
from bot.services import Services
from tests.bot.conftest import ASOF, prices_fingerprint

PNG = b"\x89PNG\r\n\x1a\n"


async def test_rotation_full_answer_with_chart_and_buttons(services: Services) -> None:
    reply = await answer(services, "/rotation", asof=ASOF)
    plain = reply_to_plain(reply)
    assert "as of 2026-03-31 close" in plain
    assert "Russell 2000" in plain
    assert "S&P 500" in plain
    assert "IWM/SPY" in plain
    assert "KRE/SPY" in plain
    assert "SMALLCAP_WINNERS/MAG7" in plain
    assert "SPY leads since 2026-03-10" in plain
    # RSP has led SPY since 2025-12-16: equal weight ahead of cap weight is broad participation
    assert re.search(r"Breadth: broad \(RSP/SPY: RSP leads\)", plain)
    assert "SPY's lead in IWM/SPY is not confirmed by breadth" in plain
    assert reply.photo is not None
    assert reply.photo.startswith(PNG)
    assert reply.keyboard is not None
    data = [d for row in reply.keyboard for _, d in row]
    assert "rot:ytd" in data
    assert "rot:1m:r" in data
    assert all(len(d.encode()) <= 64 for d in data)
    assert "<" not in plain.replace("<=", "")


async def test_rotation_horizon_changes_the_bold_column(services: Services) -> None:
    reply = await answer(services, "/rotation ytd", asof=ASOF)
    assert "<b>YTD +5.30 pp</b>" in reply.html
    assert "Rotation</b> · YTD" in reply.html


async def test_ticker_iwm(services: Services) -> None:
    reply = await answer(services, "/ticker iwm", asof=ASOF)
    plain = reply_to_plain(reply)
    assert plain.startswith("IWM")
    for part in ("1D", "1W", "1M", "YTD", "1Y", "vs SPY", "52-week range", "IWM/SPY"):
        assert part in plain
    assert "as of 2026-03-31 close" in plain
    assert reply.photo is not None
    assert reply.photo.startswith(PNG)


async def test_ticker_basket(services: Services) -> None:
    plain = reply_to_plain(await answer(services, "/ticker MAG7", asof=ASOF))
    assert "Magnificent Seven" in plain
    assert "AAPL" in plain
    assert "basket of 7" in plain
    assert "SMALLCAP_WINNERS/MAG7: benchmark" in plain


async def test_ticker_index_alias_and_price_only(services: Services) -> None:
    plain = reply_to_plain(await answer(services, "/ticker RUT", asof=ASOF))
    assert plain.startswith("^RUT")
    assert "Price level only" in plain
    assert "mixed basis" in plain  # ^RUT (price) against SPY/IWM (total return)


@pytest.mark.parametrize("text", ["/pair IWM SPY", "/pair IWM/SPY", "/pair iwm vs spy"])
async def test_pair_spellings_agree(services: Services, text: str) -> None:
    plain = reply_to_plain(await answer(services, text, asof=ASOF))
    assert plain.startswith("IWM / SPY")
    assert "SPY leads since 2026-03-10" in plain
    assert "as of 2026-03-31 close" in plain


async def test_pair_mixed_basis_says_so(services: Services) -> None:
    plain = reply_to_plain(await answer(services, "/pair ^RUT SPY", asof=ASOF))
    assert "Mixed basis: price vs total return" in plain
    assert "Ad-hoc pair" in plain


async def test_history_and_quadrant_and_help(services: Services) -> None:
    history = reply_to_plain(await answer(services, "/history", asof=ASOF))
    assert "2026-03-10" in history
    assert "The new leader gained over the next 20 sessions" in history
    assert "as of 2026-03-31 close" in history
    other = reply_to_plain(await answer(services, "/history KRE/SPY", asof=ASOF))
    assert "KRE/SPY" in other
    quadrant = await answer(services, "/quadrant", asof=ASOF)
    assert "Leading" in reply_to_plain(quadrant)
    assert quadrant.photo is not None
    help_text = reply_to_plain(await answer(services, "/help"))
    for name in ("/rotation", "/ticker", "/pair", "/quadrant", "/history", "/status"):
        assert name in help_text


BAD_INPUTS = [
    ("/ticker", "Which symbol"),
    ("/ticker IWM SPY", "Too many arguments"),
    ("/ticker " + "A" * 500, "too long"),
    ("/ticker <b>IWM</b>", "is not a symbol"),
    ("/ticker ;DROP TABLE prices", "Too many arguments"),
    ("/ticker ;DROP", "is not a symbol"),
    ("/ticker 📈", "is not a symbol"),
    ("/ticker IW\x07M", "control characters"),
    ("/pair IWM", "Give two symbols"),
    ("/pair IWM IWM", "two different symbols"),
    ("/pair IWM SPY 2y", "Unknown horizon"),
    ("/rotation 5y", "Unknown horizon"),
    ("/rotation 1m 1y", "Too many arguments"),
    ("/quadrant now", "Too many arguments"),
    ("/nosuchcommand", "Unknown command"),
    ("hello", "Type a command"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUTS)
async def test_bad_input_gets_one_clear_line_and_writes_nothing(
    services: Services, text: str, expected: str
) -> None:
    before = prices_fingerprint(services)
    with pytest.raises(UserError) as caught:
        await answer(services, text, asof=ASOF)
    assert expected in caught.value.message
    assert "\n" not in caught.value.message
    assert len(caught.value.message) < 200
    assert prices_fingerprint(services) == before
    assert services.db.execute("SELECT COUNT(*) FROM prices").fetchone()[0] > 10_000


async def test_no_data_before_history_starts(services: Services) -> None:
    import datetime as dt

    with pytest.raises(UserError, match="No prices stored on or before 2020-01-01"):
        await answer(services, "/rotation", asof=dt.date(2020, 1, 1))


async def test_pair_horizon_changes_what_the_answer_leads_with(services: Services) -> None:
    chosen = await answer(services, "/pair IWM/SPY 3m", asof=ASOF)
    plain_reply = await answer(services, "/pair IWM SPY", asof=ASOF)
    plain, default = reply_to_plain(chosen), reply_to_plain(plain_reply)
    assert plain != default
    assert chosen.photo != plain_reply.photo  # the chart marks where the 3M window starts
    assert "3M marked" in (chosen.caption or "")
    second = plain.splitlines()[1]
    assert re.fullmatch(
        r"3M: (IWM ahead of SPY|SPY ahead of IWM) by \d+\.\d\d pp \(ratio .+\)", second
    )
    assert default.splitlines()[1].startswith("SPY leads since")
    spreads = next(line for line in plain.splitlines() if " · 1D " in line)
    assert spreads.startswith("3M ")


async def test_rotation_score_says_which_pairs_and_horizons(services: Services) -> None:
    plain = reply_to_plain(await answer(services, "/rotation", asof=ASOF))
    line = next(line for line in plain.splitlines() if line.startswith("Spreads:"))
    assert re.fullmatch(
        r"Spreads: the challenger is ahead in most of these pairs over \d of 6 horizons"
        r"( \((1D|1W|1M|3M|YTD|1Y)(, (1D|1W|1M|3M|YTD|1Y))*\))?\.",
        line,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/pair IWM/SPY/QQQ", "A pair is two symbols, not three (IWM, SPY, QQQ)"),
        ("/pair IWM SPY QQQ", "A pair is two symbols, not three"),
        ("/history IWM", "Give two symbols, e.g. /history IWM/SPY."),
        ("/history IWM/SPY/QQQ", "A pair is two symbols, not three (IWM, SPY, QQQ)."),
        ("/history IWM SPY 3m", "A pair is two symbols, not three (IWM, SPY, 3m)."),
        ("/pair IWM", "Give two symbols, e.g. /pair IWM/SPY."),
        ("/pair IWM SPY 6m", "Unknown horizon “6m”"),
    ],
)
async def test_pair_refusals_name_the_problem_and_the_command(
    services: Services, text: str, expected: str
) -> None:
    with pytest.raises(UserError) as caught:
        await answer(services, text, asof=ASOF)
    assert expected in caught.value.message
    assert caught.value.usage is not None
    assert caught.value.usage.startswith(text.split()[0])


@pytest.mark.parametrize("text", ["/ticker RUT", "/pair RUT SPX", "/history RUT/GSPC"])
async def test_index_aliases_work_in_every_command(services: Services, text: str) -> None:
    plain = reply_to_plain(await answer(services, text, asof=ASOF))
    assert "^RUT" in plain


async def test_class_shares_are_asked_for_in_yahoo_spelling(services: Services) -> None:
    told: list[str] = []
    with pytest.raises(UserError) as caught:
        await answer(services, "/ticker brk.b", asof=ASOF, progress=told.append)
    assert told == ["fetching BRK-B from the price source…"]
    assert caught.value.message.startswith("BRK-B ")


def test_subscribe_and_alert_pairs_take_aliases_and_share_classes() -> None:
    from bot.handlers.subscriptions import pair_key
    from market.universe import load_universe

    universe = load_universe()
    assert pair_key(universe, "rut/gspc") == "^RUT/^GSPC"
    assert pair_key(universe, "RUT/SPX") == "^RUT/^GSPC"
    assert pair_key(universe, "brk.b/spy") == "BRK-B/SPY"
    assert pair_key(universe, "iwm/spy") == "IWM/SPY"
    assert pair_key(universe, "<b>") == "<B>"


async def test_start_lists_commands_once_and_points_to_help(services: Services) -> None:
    plain = reply_to_plain(await answer(services, "/start"))
    assert plain.count("/help") == 1
    assert plain.rstrip().endswith("Every command with its arguments: /help")


async def test_asof_before_the_data_names_the_stored_range(services: Services) -> None:
    import datetime as dt

    with pytest.raises(UserError) as caught:
        await answer(services, "/ticker IWM", asof=dt.date(2023, 6, 30))
    assert caught.value.message == (
        "No prices stored on or before 2023-06-30: the stored sessions run from 2024-01-02 "
        "to 2026-03-31."
    )


@pytest.mark.parametrize(
    "text", ["/rotation", "/ticker IWM", "/pair IWM SPY", "/history", "/quadrant"]
)
async def test_first_sessions_say_not_enough_history(services: Services, text: str) -> None:
    import datetime as dt

    with pytest.raises(UserError) as caught:
        await answer(services, text, asof=dt.date(2024, 1, 5))
    assert caught.value.message == (
        "Not enough history as of 2024-01-05: 4 stored sessions since 2024-01-02, and answers "
        "need 6. The first session with enough is 2024-01-09."
    )


@pytest.mark.parametrize("text", ["/rotation", "/ticker IWM", "/pair IWM SPY 1w", "/history"])
async def test_first_answerable_session_has_no_degenerate_figures(
    services: Services, text: str
) -> None:
    import datetime as dt

    # warnings are errors in this suite: a chart of a few sessions must not warn either
    reply = await answer(services, text, asof=dt.date(2024, 1, 9))
    plain = reply_to_plain(reply)
    assert "as of 2024-01-09 close" in plain
    assert "0 of 0" not in plain
    assert "52-week range" not in plain
    assert "no regime yet — no regime yet" not in plain
