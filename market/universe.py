"""The tracked universe as data: the bundled TOML (or the user's), validated into analytics."""

from __future__ import annotations

import hashlib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from analytics.types import (
    BasketSpec,
    BoardSpec,
    PairSpec,
    QuadrantParams,
    RegimeParams,
    Universe,
)
from market.symbols import InvalidSymbol, normalize_symbol

_BASKET_NAME_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class UniverseError(ValueError):
    """A universe file that cannot be used; the message names the file and the problem."""


def universe_hash(universe: Universe) -> str:
    """A short stable fingerprint of the universe (stored snapshots are keyed by it)."""
    return hashlib.sha256(repr(universe).encode("utf-8")).hexdigest()[:16]


def bundled_universe_text() -> str:
    """The TOML shipped with the package."""
    return resources.files("market").joinpath("universe.toml").read_text(encoding="utf-8")


def load_universe(path: Path | None = None) -> Universe:
    """Load and validate the universe from ``path`` (default: the bundled file)."""
    where = str(path) if path else "bundled universe.toml"
    try:
        text = path.read_text(encoding="utf-8") if path else bundled_universe_text()
        raw = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UniverseError(f"{where}: {exc}") from None
    try:
        return parse_universe(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise UniverseError(f"{where}: {exc}") from None


def _symbol(text: str, baskets: set[str]) -> str:
    if text in baskets:
        return text
    try:
        return normalize_symbol(text)
    except InvalidSymbol as exc:
        raise ValueError(str(exc)) from None


def _regime(raw: dict[str, Any], base: RegimeParams) -> RegimeParams:
    """Regime settings from a table; ``band = "scaled"`` (or no band) follows the volatility."""
    given = raw.get("band", base.band)
    band = None if given is None or given == "scaled" else float(given)
    confirm = int(raw.get("confirm", base.confirm))
    window = int(raw.get("window", base.window))
    sigmas = float(raw.get("band_sigmas", base.band_sigmas))
    floor = float(raw.get("band_floor", base.band_floor))
    fixed_ok = band is None or 0 <= band < 0.5
    if not fixed_ok or confirm < 1 or window < 2 or not 0 < sigmas <= 10 or not 0 <= floor < 0.5:
        raise ValueError(
            f"regime band={given} confirm={confirm} window={window} band_sigmas={sigmas} "
            f"band_floor={floor} out of range"
        )
    return RegimeParams(
        band=band, confirm=confirm, window=window, band_sigmas=sigmas, band_floor=floor
    )


def parse_universe(raw: dict[str, Any]) -> Universe:
    """Build a Universe from parsed TOML; raise ValueError naming the first problem."""
    baskets = []
    for name, spec in dict(raw.get("baskets", {})).items():
        if not set(name) <= _BASKET_NAME_CHARS:
            raise ValueError(f"basket name {name!r}: use A-Z, 0-9 and _")
        members = tuple(normalize_symbol(m) for m in spec["members"])
        if not members:
            raise ValueError(f"basket {name} has no members")
        share = float(spec.get("min_share", raw.get("basket_min_share", BasketSpec.min_share)))
        if not 0 < share <= 1:
            raise ValueError(f"basket {name}: min_share {share} must be in (0, 1]")
        baskets.append(
            BasketSpec(
                name=name, label=str(spec.get("label", name)), members=members, min_share=share
            )
        )
    names = {b.name for b in baskets}
    default_regime = _regime(dict(raw.get("regime", {})), RegimeParams())
    pairs = []
    for item in raw.get("pairs", []):
        a, b = _symbol(item["a"], names), _symbol(item["b"], names)
        if a == b:
            raise ValueError(f"pair {a}/{b} compares a symbol with itself")
        label = str(item.get("label", f"{a} vs {b}"))
        regime = _regime(item, default_regime)
        theme = str(item.get("theme", ""))
        pairs.append(PairSpec(a=a, b=b, label=label, regime=regime, theme=theme))
    if not pairs:
        raise ValueError("no pairs defined")
    keys = {p.key for p in pairs}
    if len(keys) != len(pairs):
        raise ValueError("a pair is listed twice")
    heads = {p.key for p in pairs if not p.theme or p.theme == p.key}
    for pair in pairs:
        if pair.theme and pair.theme not in heads:
            raise ValueError(
                f"pair {pair.key}: theme {pair.theme} must be a listed pair heading its own theme"
            )
    presets = {}
    for preset, members in dict(raw.get("presets", {})).items():
        unknown = [k for k in members if k not in keys]
        if unknown:
            raise ValueError(f"preset {preset} names unknown pair(s) {', '.join(unknown)}")
        presets[str(preset).lower()] = tuple(members)
    for key in ("lead_pair",):
        if raw.get(key, "IWM/SPY") not in keys:
            raise ValueError(f"{key} {raw.get(key)!r} is not a listed pair")
    breadth = tuple(raw.get("breadth_pairs", ()))
    for key in breadth:
        if key not in keys:
            raise ValueError(f"breadth pair {key} is not a listed pair")
    participation = raw.get("participation_pair", "RSP/SPY" if "RSP/SPY" in keys else None)
    if participation is not None and participation not in keys:
        raise ValueError(f"participation pair {participation} is not a listed pair")
    quadrant = QuadrantParams(**dict(raw.get("quadrant", {})))
    boards = _boards(raw, names)
    clash = set(boards) & set(presets)
    if clash:
        raise ValueError(f"board {', '.join(sorted(clash))} has the name of a preset")
    scoreboard = raw.get("scoreboard")
    if scoreboard is not None:
        unknown = [k for k in scoreboard if k not in presets]
        if unknown:
            raise ValueError(f"scoreboard names unknown preset(s) {', '.join(unknown)}")
        scoreboard = tuple(str(k) for k in scoreboard)
    return Universe(
        pairs=tuple(pairs),
        baskets=tuple(baskets),
        headline=tuple(_symbol(s, names) for s in raw.get("headline", ("^RUT", "^GSPC", "^IXIC"))),
        context=tuple(_symbol(s, names) for s in raw.get("context", ())),
        members=tuple(_symbol(s, names) for s in raw.get("members", ())),
        benchmark=_symbol(raw.get("benchmark", "SPY"), names),
        lead_pair=str(raw.get("lead_pair", "IWM/SPY")),
        breadth_pairs=breadth,
        participation_pair=participation,
        presets=presets,
        quadrant=quadrant,
        boards=boards,
        scoreboard=scoreboard,
    )


def _boards(raw: dict[str, Any], baskets: set[str]) -> dict[str, BoardSpec]:
    """The [boards.NAME] tables: members as [symbol, name] pairs against one benchmark."""
    out: dict[str, BoardSpec] = {}
    for name, spec in dict(raw.get("boards", {})).items():
        members = tuple((_symbol(str(sym), baskets), str(label)) for sym, label in spec["members"])
        if len(members) < 2:
            raise ValueError(f"board {name} needs at least two members")
        benchmark = _symbol(str(spec.get("benchmark", raw.get("benchmark", "SPY"))), baskets)
        if benchmark in {s for s, _ in members}:
            raise ValueError(f"board {name}: {benchmark} is its benchmark and a member")
        band = float(spec.get("band", BoardSpec.band))
        confirm = int(spec.get("confirm", BoardSpec.confirm))
        if not 0 <= band < 10 or confirm < 1:
            raise ValueError(f"board {name}: band={band} confirm={confirm} out of range")
        out[str(name).lower()] = BoardSpec(
            name=str(name).lower(),
            label=str(spec.get("label", name)),
            benchmark=benchmark,
            members=members,
            band=band,
            confirm=confirm,
        )
    return out
