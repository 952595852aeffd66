"""Commands: what a chat command is and how one runs, on any face.

``Request``, ``Reply``, ``Command`` and ``UserError`` (registry), the one command parser,
dispatch (operator and group-admin checks, notes), access (operators, group admins through the
lookup it is given), input validation, the per-user sliding-window gate, and the offline runner
(ask, console, demo, warm-up). No telegram import here, and no handler import: whoever needs
the command table (``bot.handlers.COMMANDS``) is given it.
"""
