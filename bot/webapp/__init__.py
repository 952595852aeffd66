"""The Mini App: a page inside Telegram with the bot's charts, and the JSON API it reads."""
