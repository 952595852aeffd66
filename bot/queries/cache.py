"""A small in-memory least-recently-used cache (snapshots, closes and chart PNGs)."""

from __future__ import annotations

from collections import OrderedDict

CACHE_SIZE = 8


class LruCache(OrderedDict[tuple[object, ...], object]):
    """At most ``size`` entries; the least recently used goes first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        super().__init__()
        self.size = size

    def get_or_none(self, key: tuple[object, ...]) -> object | None:
        """The cached value (marked recently used) or None."""
        if key not in self:
            return None
        self.move_to_end(key)
        return self[key]

    def put(self, key: tuple[object, ...], value: object) -> None:
        """Store ``value``, evicting the oldest entries past ``size``."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
