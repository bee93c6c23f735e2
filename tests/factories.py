"""Builders of Telegram update JSON, shaped exactly as the Bot API (7.0+) sends it.

Tests feed these dicts to the webhook, to ``FakeBotApi.push_update`` or, through
``make_update``, straight to ``Application.process_update``.  Ids come from counters so a
test run is reproducible; ``reset_ids()`` restarts them.

Return shapes: builders named after a *message* (``message_json``, ``command_json``,
``group_message_json``, ``service_message_json``, ``bot_message_json``) return a Message
dict to wrap with ``update_json``; builders of other update kinds (``callback_query_json``,
``edited_message_json``, ``channel_post_json``, ``my_chat_member_json``) return a whole
Update dict, and ``album_json`` returns a list of them.  Offsets and lengths of entities are
in UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from telegram import Bot, Message, Update

BOT_ID = 123456
BOT_USERNAME = "saring_bot"
BOT_USER: dict[str, Any] = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Saring",
    "username": BOT_USERNAME,
}
GROUP_CHAT_ID = -1001234567890
CHANNEL_CHAT_ID = -1009876543210
JSON = dict[str, Any]

_update_ids = itertools.count(100_001)
_message_ids = itertools.count(1)
_other_ids = itertools.count(1)


def reset_ids() -> None:
    """Restart the id counters (e.g. from an autouse fixture) for reproducible ids."""
    global _update_ids, _message_ids, _other_ids
    _update_ids = itertools.count(100_001)
    _message_ids = itertools.count(1)
    _other_ids = itertools.count(1)


def _now(date: int | None) -> int:
    """Dates default to now so handlers that ignore stale updates still see these as fresh."""
    return int(time.time()) if date is None else date


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# ----------------------------------------------------------------------------- building blocks
def user_json(
    user_id: int = 1001, first_name: str = "Budi", username: str | None = "asn_a"
) -> JSON:
    user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"}
    if username:
        user["username"] = username
    return user


def chat_json(chat_id: int, chat_type: str, *, title: str | None = None, **extra: Any) -> JSON:
    chat: JSON = {"id": chat_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = title or f"Grup {chat_id}"
    return chat | {k: v for k, v in extra.items() if v is not None}


def entity(kind: str, offset: int, length: int, **extra: Any) -> JSON:
    return {"type": kind, "offset": offset, "length": length, **extra}


def text_link_entity(offset: int, length: int, url: str) -> JSON:
    return entity("text_link", offset, length, url=url)


def url_entity(offset: int, length: int) -> JSON:
    return entity("url", offset, length)


def mention_entity(offset: int, length: int) -> JSON:
    return entity("mention", offset, length)


def entity_for(text: str, needle: str, kind: str = "url", **extra: Any) -> JSON:
    """An entity covering the first ``needle`` in ``text``, with UTF-16 offsets."""
    start = text.index(needle)
    return entity(kind, utf16_len(text[:start]), utf16_len(needle), **extra)


# ----------------------------------------------------------------------------- forward origins
def origin_channel(
    chat_id: int,
    title: str,
    username: str | None = None,
    message_id: int = 1,
    *,
    date: int | None = None,
) -> JSON:
    chat = chat_json(chat_id, "channel", title=title, username=username)
    return {"type": "channel", "date": _now(date), "chat": chat, "message_id": message_id}


def origin_user(user_id: int, first_name: str, username: str | None = None) -> JSON:
    sender = user_json(user_id, first_name, username)
    return {"type": "user", "date": _now(None), "sender_user": sender}


def origin_hidden_user(sender_user_name: str) -> JSON:
    return {"type": "hidden_user", "date": _now(None), "sender_user_name": sender_user_name}


def origin_chat(chat_id: int, title: str, author_signature: str | None = None) -> JSON:
    origin: JSON = {"type": "chat", "date": _now(None)}
    origin["sender_chat"] = chat_json(chat_id, "supergroup", title=title)
    if author_signature:
        origin["author_signature"] = author_signature
    return origin


# ----------------------------------------------------------------------------- messages
def _media(photo: bool, document: bool, video: bool) -> JSON:
    n = next(_other_ids)
    media: JSON = {}
    if photo:
        media["photo"] = [
            {"file_id": f"PH{n}s", "file_unique_id": f"uPH{n}s", "width": 90, "height": 67},
            {"file_id": f"PH{n}", "file_unique_id": f"uPH{n}", "width": 1280, "height": 960},
        ]
    if document:
        media["document"] = {
            "file_id": f"DC{n}",
            "file_unique_id": f"uDC{n}",
            "file_name": "surat_edaran.pdf",
            "mime_type": "application/pdf",
            "file_size": 48_213,
        }
    if video:
        media["video"] = {
            "file_id": f"VD{n}",
            "file_unique_id": f"uVD{n}",
            "width": 640,
            "height": 360,
            "duration": 12,
        }
    return media


def message_json(
    text: str | None = None,
    *,
    chat_id: int = 1001,
    user_id: int = 1001,
    username: str | None = "asn_a",
    first_name: str = "Budi",
    chat_type: str = "private",
    caption: str | None = None,
    photo: bool = False,
    document: bool = False,
    video: bool = False,
    media_group_id: str | None = None,
    entities: list[JSON] | None = None,
    caption_entities: list[JSON] | None = None,
    forward_origin: JSON | None = None,
    reply_to: JSON | int | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> JSON:
    """A user's message; a negative ``chat_id`` with the default type becomes a supergroup."""
    if chat_type == "private" and chat_id < 0:
        chat_type = "supergroup"
    chat = chat_json(chat_id, chat_type)
    if chat_type == "private":
        chat |= {"first_name": first_name} | ({"username": username} if username else {})
    message: JSON = {
        "message_id": next(_message_ids) if message_id is None else message_id,
        "from": user_json(user_id, first_name, username),
        "chat": chat,
        "date": _now(date),
    }
    optional = {
        "text": text,
        "entities": entities,
        "caption": caption,
        "caption_entities": caption_entities,
        "media_group_id": media_group_id,
        "forward_origin": forward_origin,
    }
    message |= {k: v for k, v in optional.items() if v is not None}
    message |= _media(photo, document, video)
    if isinstance(reply_to, int):
        reply_to = {"message_id": reply_to, "chat": chat, "date": message["date"], "text": "…"}
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    return message


def bot_message_json(
    text: str, *, chat_id: int = 1001, reply_markup: JSON | None = None, **kw: Any
) -> JSON:
    """A message the bot itself sent (what a callback query points at)."""
    message = message_json(text, chat_id=chat_id, **kw)
    message["from"] = dict(BOT_USER)
    if reply_markup is not None:
        message["reply_markup"] = reply_markup
    return message


def command_json(command: str, args: str = "", **kw: Any) -> JSON:
    """``/command args`` with the ``bot_command`` entity Telegram attaches."""
    head = f"/{command.removeprefix('/')}"
    text = f"{head} {args}" if args else head
    return message_json(text, entities=[entity("bot_command", 0, utf16_len(head))], **kw)


def group_message_json(
    text: str, *, chat_id: int = GROUP_CHAT_ID, mention_bot: bool = False, **kw: Any
) -> JSON:
    """A group message; ``mention_bot`` prefixes @saring_bot (if absent) with its entity."""
    entities = list(kw.pop("entities", None) or [])
    if mention_bot:
        handle = f"@{BOT_USERNAME}"
        if handle not in text:
            shift = utf16_len(handle) + 1
            entities = [e | {"offset": e["offset"] + shift} for e in entities]
            text = f"{handle} {text}"
        entities.append(entity_for(text, handle, "mention"))
        entities.sort(key=lambda e: e["offset"])
    kw.setdefault("chat_type", "supergroup")
    return message_json(text, chat_id=chat_id, entities=entities or None, **kw)


def service_message_json(
    *, chat_id: int = GROUP_CHAT_ID, new_members: list[JSON] | None = None, **kw: Any
) -> JSON:
    """A ``new_chat_members`` service message (by default the bot being added)."""
    message = message_json(None, chat_id=chat_id, chat_type="supergroup", **kw)
    message["new_chat_members"] = new_members if new_members is not None else [dict(BOT_USER)]
    return message


# ----------------------------------------------------------------------------- updates
def update_json(
    message: JSON | None = None, *, update_id: int | None = None, **kinds: JSON
) -> JSON:
    """Wrap a payload: ``update_json(msg)`` or ``update_json(callback_query=...)`` etc."""
    update: JSON = {"update_id": next(_update_ids) if update_id is None else update_id}
    if message is not None:
        update["message"] = message
    return update | kinds


def callback_query_json(
    data: str,
    *,
    user_id: int = 1001,
    message: JSON | None = None,
    chat_id: int = 1001,
    username: str | None = "asn_a",
    first_name: str = "Budi",
) -> JSON:
    """An Update for a button press on ``message`` (default: a bot message in ``chat_id``)."""
    query: JSON = {
        "id": str(4_000_000 + next(_other_ids)),
        "from": user_json(user_id, first_name, username),
        "chat_instance": f"ci{chat_id}",
        "data": data,
        "message": message if message is not None else bot_message_json("…", chat_id=chat_id),
    }
    return update_json(callback_query=query)


def album_json(
    captions: list[str | None], *, media_group_id: str = "13579246801357924", **kw: Any
) -> list[JSON]:
    """One Update per album item; Telegram sends them separately, sharing a media_group_id."""
    return [
        update_json(message_json(caption=c, photo=True, media_group_id=media_group_id, **kw))
        for c in captions
    ]


def edited_message_json(text: str, *, edit_date: int | None = None, **kw: Any) -> JSON:
    message = message_json(text, **kw)
    message["edit_date"] = _now(edit_date)
    return update_json(edited_message=message)


def channel_post_json(
    text: str,
    *,
    chat_id: int = CHANNEL_CHAT_ID,
    title: str = "Kanal Resmi",
    username: str | None = None,
    **kw: Any,
) -> JSON:
    chat = chat_json(chat_id, "channel", title=title, username=username)
    post: JSON = {
        "message_id": next(_message_ids),
        "sender_chat": chat,
        "chat": chat,
        "date": _now(kw.pop("date", None)),
        "text": text,
    }
    return update_json(channel_post=post | kw)


def _member(status: str, user: JSON) -> JSON:
    member: JSON = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    if status == "administrator":
        rights = (
            "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members "
            "can_promote_members can_change_info can_invite_users can_post_stories "
            "can_edit_stories can_delete_stories"
        )
        member |= dict.fromkeys(rights.split(), False)
        member |= {"can_be_edited": False, "is_anonymous": False, "can_delete_messages": True}
    return member


def my_chat_member_json(
    *,
    chat_id: int = GROUP_CHAT_ID,
    old_status: str = "left",
    new_status: str = "member",
    user_id: int = 1001,
) -> JSON:
    """The bot's own membership changing (added, promoted, removed, blocked in private)."""
    chat_type = "private" if chat_id > 0 else "supergroup"
    change: JSON = {
        "chat": chat_json(chat_id, chat_type) | ({"first_name": "Budi"} if chat_id > 0 else {}),
        "from": user_json(user_id),
        "date": _now(None),
        "old_chat_member": _member(old_status, dict(BOT_USER)),
        "new_chat_member": _member(new_status, dict(BOT_USER)),
    }
    return update_json(my_chat_member=change)


# ----------------------------------------------------------------------------- PTB objects
def make_update(data: JSON, bot: Bot | None = None) -> Update:
    """Parse through PTB exactly as the webhook path does."""
    return Update.de_json(data, bot)


def make_message(text: str | None = None, *, bot: Bot | None = None, **kw: Any) -> Message:
    update = make_update(update_json(message_json(text, **kw)), bot)
    assert update.message is not None
    return update.message
