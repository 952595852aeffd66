"""Queries: what every face reads.

The read API over stored prices and snapshots (``readapi``: it builds the views in
``bot.views``), exports, the LRU caches, the chart cache (PNGs and sent file ids) and the
background fetcher of symbols not stored yet. Never Telegram, never the renderers.
"""
