"""Rotation analytics: pure pandas/numpy, no I/O, no clock (``asof`` is a parameter).

Entry points: ``analytics.snapshot.build_snapshot`` (everything for a universe, once per
session), ``symbol_stats`` / ``pair_stats`` / ``pair_series`` / ``basket_index`` /
``quadrant_tails`` for ad-hoc queries and charts, ``analytics.rules.evaluate_rules`` for
alerts. The data contract lives in ``analytics.types``.
"""
