"""Fakes for tests: a local Bot API server and in-process helpers for python-telegram-bot."""

from tests.fakes.botapi import FakeBotApi
from tests.fakes.faults import FAULT_KINDS, ApiError
from tests.fakes.objects import (
    channel_chat,
    group_chat,
    make_user,
    private_chat,
    supergroup_chat,
)
from tests.fakes.records import ApiCall

__all__ = [
    "FAULT_KINDS",
    "ApiCall",
    "ApiError",
    "FakeBotApi",
    "channel_chat",
    "group_chat",
    "make_user",
    "private_chat",
    "supergroup_chat",
]
