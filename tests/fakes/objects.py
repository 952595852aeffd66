"""Build python-telegram-bot objects (users, chats, members, messages) for fakes and tests.

Everything here returns real ``telegram`` classes so that ``.to_dict()`` yields payloads that
python-telegram-bot parses back without complaint.
"""

from __future__ import annotations

import datetime as dtm
import itertools
import struct

from telegram import (
    AcceptedGiftTypes,
    Chat,
    ChatFullInfo,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    Message,
    MessageEntity,
    User,
)

_ids = itertools.count(1)


def now() -> dtm.datetime:
    """Current UTC time truncated to whole seconds, as Telegram sends dates."""
    return dtm.datetime.now(dtm.UTC).replace(microsecond=0)


def make_user(
    user_id: int | None = None, first_name: str = "Alice", username: str | None = None
) -> User:
    """A human user; ids default to a fresh positive number."""
    uid = user_id if user_id is not None else 10_000 + next(_ids)
    return User(uid, first_name, is_bot=False, username=username, language_code="en")


def bot_user(bot_id: int, username: str = "RotationTestBot") -> User:
    """The bot itself, as getMe describes it."""
    return User(
        bot_id,
        "Rotation Bot",
        is_bot=True,
        username=username,
        can_join_groups=True,
        can_read_all_group_messages=False,
        supports_inline_queries=False,
        can_connect_to_business=False,
        has_main_web_app=False,
    )


def private_chat(user: User) -> Chat:
    """The private chat between the bot and ``user`` (same id as the user)."""
    return Chat(user.id, Chat.PRIVATE, first_name=user.first_name, username=user.username)


def group_chat(chat_id: int | None = None, title: str = "Test group") -> Chat:
    """A basic group (small negative id)."""
    cid = chat_id if chat_id is not None else -(4000 + next(_ids))
    return Chat(cid, Chat.GROUP, title=title)


def supergroup_chat(
    chat_id: int | None = None, title: str = "Test supergroup", *, is_forum: bool = False
) -> Chat:
    """A supergroup (``-100…`` id)."""
    cid = chat_id if chat_id is not None else -(1_000_000_000_000 + next(_ids))
    return Chat(cid, Chat.SUPERGROUP, title=title, is_forum=is_forum or None)


def channel_chat(
    chat_id: int | None = None, title: str = "Test channel", username: str | None = None
) -> Chat:
    """A channel (``-100…`` id), optionally public with an ``@username``."""
    cid = chat_id if chat_id is not None else -(1_000_000_000_000 + next(_ids))
    return Chat(cid, Chat.CHANNEL, title=title, username=username)


def chat_for_id(chat_id: int) -> Chat:
    """Guess a chat for a bare id the way Telegram ids are shaped."""
    if chat_id > 0:
        return Chat(chat_id, Chat.PRIVATE, first_name=f"User{chat_id}")
    if chat_id <= -1_000_000_000_000:
        return Chat(chat_id, Chat.SUPERGROUP, title=f"Chat {chat_id}")
    return Chat(chat_id, Chat.GROUP, title=f"Group {chat_id}")


def full_info(chat: Chat) -> ChatFullInfo:
    """The ``getChat`` answer for ``chat``."""
    return ChatFullInfo(
        chat.id,
        chat.type,
        title=chat.title,
        username=chat.username,
        first_name=chat.first_name,
        is_forum=chat.is_forum,
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types=AcceptedGiftTypes(False, False, False, False, False),
    )


def chat_member(user: User, status: str, *, can_post_messages: bool = True) -> ChatMember:
    """A ``ChatMember`` subclass for ``status`` (creator/administrator/member/left/kicked)."""
    if status == ChatMember.OWNER:
        return ChatMemberOwner(user, is_anonymous=False)
    if status == ChatMember.ADMINISTRATOR:
        return ChatMemberAdministrator(
            user,
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=True,
            can_edit_stories=True,
            can_delete_stories=True,
            can_post_messages=can_post_messages,
            can_edit_messages=can_post_messages,
        )
    if status == ChatMember.MEMBER:
        return ChatMemberMember(user)
    if status == ChatMember.LEFT:
        return ChatMemberLeft(user)
    if status == ChatMember.BANNED:
        return ChatMemberBanned(user, until_date=dtm.datetime.fromtimestamp(0, dtm.UTC))
    raise ValueError(f"unsupported chat member status {status!r}")


def command_message(
    message_id: int,
    chat: Chat,
    user: User | None,
    text: str,
    *,
    sender_chat: Chat | None = None,
    message_thread_id: int | None = None,
) -> Message:
    """A message whose text starts with ``/command`` (with its ``bot_command`` entity)."""
    command = text.split(maxsplit=1)[0] if text else ""
    entities = (
        [MessageEntity(MessageEntity.BOT_COMMAND, 0, len(command.encode("utf-16-le")) // 2)]
        if command.startswith("/")
        else []
    )
    return Message(
        message_id,
        now(),
        chat,
        from_user=user,
        sender_chat=sender_chat,
        text=text,
        entities=entities,
        message_thread_id=message_thread_id,
        is_topic_message=True if message_thread_id is not None and chat.is_forum else None,
    )


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of a PNG, JPEG, GIF or WebP image, or None if not recognised."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None
