"""Pure renderers: data in, Telegram HTML out (every interpolated value escaped)."""
