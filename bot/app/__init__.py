"""The running bot (the Telegram face).

The composition root (``builder``: Application, handlers, update recording in the inbox, rate
gate, callbacks, start-up and shutdown), the typed context and ``halt``, the global error
handler, the daily job's scheduling, webhook settings, the warm-up and inline answers.
"""
