"""Delivery: everything that sends to Telegram.

The outbox sender (alerts, digests, dashboards), command replies, the dashboard's
post/pin/edit, Telegram's send limits, the aiohttp HTTP layer for Bot API calls, operator
reports and their throttle, and the member lookup behind admin checks.
"""
