"""Render: pure text and pictures. Data in (``bot.views``, analytics types, commands' types),
Telegram HTML, plain text and chart PNGs out (every interpolated value escaped). Renderers
read nothing: no queries, no storage reads, no Telegram.
"""
