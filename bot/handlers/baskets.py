"""A chat's own baskets: /basket NAME SYM SYM ..., /basket del NAME, /baskets.

The rules of a chat basket (how many members, how many baskets, what a name may be) live
here and nowhere else. A chat's basket is an equal-weight basket rebalanced daily, exactly
like the bundled ones (``bot.queries.readapi.chat_universe`` resolves it in that chat only).
"""

from __future__ import annotations

import re

from analytics.returns import series_kind
from analytics.types import Universe
from bot.commands.registry import Command, Reply, Request, UserError
from bot.queries.readapi import (
    chat_basket_rows,
    chat_universe,
    leg_id,
    parse_symbol,
    require_price,
    require_stored,
)
from bot.render.baskets import basket_saved_html, baskets_html
from bot.render.format import esc
from bot.services import Services, utc_now
from market.symbols import ALIASES
from storage.chats import upsert_chat
from storage.custom import chat_baskets, delete_basket, save_basket
from storage.db import transaction
from storage.prices import last_dates
from storage.rules import chat_rules, delete_rule
from storage.subscriptions import chat_subscriptions, unsubscribe

#: Members of one basket, and baskets of one chat.
MIN_MEMBERS = 2
MAX_MEMBERS = 25
MAX_BASKETS = 10
#: A basket's name after upper-casing: letters A-Z, digits and "_", at most 20 characters.
MAX_NAME_CHARS = 20
NAME_RE = re.compile(rf"[A-Z0-9_]{{1,{MAX_NAME_CHARS}}}")
#: The longest argument text /basket reads (25 members of 12 characters and a name).
MAX_ARGS_CHARS = 400

BASKET_USAGE = (
    f"/basket NAME SYM SYM ... ({MIN_MEMBERS}-{MAX_MEMBERS} symbols; NAME of A-Z, 0-9 and _, "
    f"at most {MAX_NAME_CHARS}) · /basket del NAME · /baskets"
)
BASKETS_USAGE = "/baskets"
_DELETE_WORDS = frozenset({"del", "delete", "rm"})


def _shown(text: str, most: int = 24) -> str:
    return text if len(text) <= most else text[:most] + "…"


def basket_name(request: Request, text: str) -> str:
    """A new basket's name (upper-cased), or UserError: the pattern, and never a name that
    already means something (a stored or universe symbol, an index alias, a bundled basket)."""
    name = text.upper()
    if not NAME_RE.fullmatch(name):
        raise UserError(
            f"“{_shown(text)}” is not a basket name: use A-Z, 0-9 and _, at most "
            f"{MAX_NAME_CHARS} characters.",
            BASKET_USAGE,
        )
    universe = request.services.universe
    if universe.basket(name) is not None:
        raise UserError(f"{name} is a bundled basket; choose another name.", BASKET_USAGE)
    known = set(universe.all_symbols())
    if name in known or name in ALIASES or last_dates(request.services.db, [name]):
        raise UserError(f"{name} is a symbol; a basket needs a name of its own.", BASKET_USAGE)
    return name


def basket_members(request: Request, words: list[str], name: str) -> list[str]:
    """The members as symbols (order kept), or UserError: malformed, a basket, a level, the
    basket itself, repeated, fewer than MIN_MEMBERS or more than MAX_MEMBERS."""
    if len(words) > MAX_MEMBERS:
        raise UserError(f"{len(words)} symbols; a basket has at most {MAX_MEMBERS}.", BASKET_USAGE)
    uni = chat_universe(request.services, request.chat_id)
    members: list[str] = []
    for word in words:
        symbol = parse_symbol(request.services, word, BASKET_USAGE)
        if symbol == name or uni.basket(symbol) is not None:
            raise UserError(f"{symbol} is a basket; members are symbols.", BASKET_USAGE)
        require_price(symbol, BASKET_USAGE, "it cannot be a member")
        if symbol in members:
            raise UserError(f"{symbol} is listed twice.", BASKET_USAGE)
        members.append(symbol)
    if len(members) < MIN_MEMBERS:
        raise UserError(f"A basket needs at least {MIN_MEMBERS} different symbols.", BASKET_USAGE)
    return members


async def cmd_basket(request: Request) -> Reply:
    """/basket NAME SYM SYM ...: make or replace one of this chat's baskets; /basket del NAME."""
    raw = request.raw_args
    if len(raw) > MAX_ARGS_CHARS:
        raise UserError("That is too long for /basket.", BASKET_USAGE)
    if any(not ch.isprintable() for ch in raw):
        raise UserError("The arguments contain control characters.", BASKET_USAGE)
    args = list(request.args)
    if not args:
        raise UserError("Name the basket and its symbols.", BASKET_USAGE)
    if args[0].lower() in _DELETE_WORDS:
        return _delete(request, args[1:])
    name = basket_name(request, args[0])
    members = basket_members(request, args[1:], name)
    db = request.services.db
    existing = {b.name for b in chat_baskets(db, request.chat_id)}
    replaced = name in existing
    if not replaced and len(existing) >= MAX_BASKETS:
        raise UserError(
            f"This chat has {MAX_BASKETS} baskets, the most allowed; delete one first "
            "(/baskets lists them, /basket del NAME removes one).",
            BASKET_USAGE,
        )
    # unknown members are fetched in the background, then the command runs again
    members = require_stored(request.services, members, BASKET_USAGE)
    if len(set(members)) != len(members):  # two spellings of one index (RUT and ^RUT)
        raise UserError("A symbol is listed twice.", BASKET_USAGE)
    now = utc_now()
    with transaction(db):
        upsert_chat(db, request.chat_id, request.chat_type, now=now)
        save_basket(db, request.chat_id, name, tuple(members), now=now)
    count = len(existing) + (0 if replaced else 1)
    return Reply(basket_saved_html(name, members, replaced, count, MAX_BASKETS))


def _delete(request: Request, rest: list[str]) -> Reply:
    if len(rest) != 1:
        raise UserError("Name one basket to delete.", BASKET_USAGE)
    name = rest[0].upper()
    if not NAME_RE.fullmatch(name):
        raise UserError(f"“{_shown(rest[0])}” is not a basket name.", BASKET_USAGE)
    db, chat = request.services.db, request.chat_id
    with transaction(db):
        if not delete_basket(db, chat, name):
            raise UserError(f"This chat has no basket {name}; see /baskets.", BASKET_USAGE)
        # what followed it goes with it: its pairs' subscriptions and alerts
        subs = [s.target for s in chat_subscriptions(db, chat) if _names(s.target, name)]
        for target in subs:
            unsubscribe(db, chat, target)
        rules = [r.id for r in chat_rules(db, chat) if _names(r.pair, name)]
        for rule_id in rules:
            delete_rule(db, chat, rule_id)
    gone = ""
    if subs or rules:
        gone = f" Also stopped: {len(subs)} subscription(s) and {len(rules)} alert(s) on its pairs."
    return Reply(f"Deleted basket {esc(name)}.{gone}")


def _names(pair: str, name: str) -> bool:
    return name in pair.split("/")


def basket_pair(services: Services, universe: Universe, text: str, usage: str) -> str | None:
    """ "A/B" when ``text`` is a pair naming one of the chat's own baskets (``universe``: the
    chat's, ``chat_universe``), its legs checked as /pair checks them (NotStored for a symbol
    worth fetching); None when it names none of them."""
    if universe is services.universe:
        return None
    words = [w for w in text.replace("/", " ").split() if w]
    if len(words) != 2:
        return None
    try:
        a, b = (parse_symbol(services, w, usage, universe) for w in words)
    except UserError:
        return None
    if all(leg_id(services, universe, n) == n for n in (a, b)):
        return None
    if a == b:
        raise UserError(f"A pair needs two different symbols, not {a} twice.", usage)
    for leg in (a, b):
        if series_kind(leg) != "price":
            raise UserError(
                f"{leg} is a level, not a price: a pair against it means nothing.", usage
            )
    a, b = require_stored(services, [a, b], usage, universe)
    return f"{a}/{b}"


async def cmd_baskets(request: Request) -> Reply:
    """/baskets: this chat's baskets with their members, coverage and as-of session."""
    if request.args:
        raise UserError("/baskets takes no arguments.", BASKETS_USAGE)
    rows, session = chat_basket_rows(request.services, request.chat_id, request.asof)
    shown = [(r.basket.name, r.basket.members, r.stats) for r in rows]
    return Reply(baskets_html(shown, session, MAX_BASKETS))


COMMANDS: tuple[Command, ...] = (
    Command("basket", "Make or delete one of this chat's baskets", BASKET_USAGE, cmd_basket,
            admins_only_in_groups=True),
    Command("baskets", "This chat's baskets", BASKETS_USAGE, cmd_baskets),
)  # fmt: skip
