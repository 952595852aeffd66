"""Benchmarks of rotation-bot against its performance budget (issue #6).

``python -m bench`` (``make bench``) runs every benchmark and writes ``bench/results.json``;
``BENCHMARKS.md`` explains the method, the data and the baselines. Not part of ``make test``.
"""
