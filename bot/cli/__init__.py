"""The ``rotation-bot`` command line (typer), thin over library functions.

``main`` registers every command in one table; ``chat`` (ask, console, run), ``jobs`` (daily,
replay, demo: their orchestration lives in ``jobs/``), ``prices`` and ``export`` hold them,
``common`` the shared options, loading and error exits.
"""
