"""Chat command handlers; each module exports ``COMMANDS`` and may export ``install(app)``."""

HANDLER_MODULES: tuple[str, ...] = (
    "bot.handlers.market",
    "bot.handlers.admin",
    "bot.handlers.subscriptions",
    "bot.handlers.export",
)
