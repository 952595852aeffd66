"""Typed access to shared state: the Services in bot_data and per-process runtime caches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from telegram.ext import CallbackContext

    from bot.services import Services

SERVICES_KEY = "services"
T = TypeVar("T")


def services_of(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    """The Services the application was built with (``bot_data["services"]``)."""
    return cast("Services", context.bot_data[SERVICES_KEY])


def runtime(services: Services, key: str, factory: type[T]) -> T:
    """A per-Services runtime object (cache, limiter, fetcher) created on first use."""
    found = services.extras.get(key)
    if found is None:
        found = factory()
        services.extras[key] = found
    return cast(T, found)
