"""Accepting an update into the inbox: the one step both the webhook and the poller share.

An update is acknowledged (HTTP 200, or a getUpdates offset moved past it) only after this
commit, so a crash at any point loses nothing, and `update_id` as the key makes a
redelivery a no-op (P1, P2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.inbox import InboxRepository

_CHAT_CARRIERS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
)


class MalformedUpdate(ValueError):
    """The body is JSON but not a Telegram update."""


def update_id_of(payload: Any) -> int:
    """Raises MalformedUpdate unless `payload` is an object with an integer update_id."""
    if not isinstance(payload, Mapping):
        raise MalformedUpdate("update is not a JSON object")
    update_id = payload.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise MalformedUpdate("update_id missing or not a non-negative integer")
    return update_id


def chat_id_of(payload: Mapping[str, Any]) -> int | None:
    """The chat an update belongs to, which orders its processing; None when it has none."""
    for key in _CHAT_CARRIERS:
        carrier = payload.get(key)
        if isinstance(carrier, Mapping):
            return _chat(carrier)
    callback = payload.get("callback_query")
    if isinstance(callback, Mapping) and isinstance(callback.get("message"), Mapping):
        return _chat(callback["message"])
    return None


def _chat(carrier: Mapping[str, Any]) -> int | None:
    chat = carrier.get("chat")
    chat_id = chat.get("id") if isinstance(chat, Mapping) else None
    return chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None


async def accept(
    sessions: async_sessionmaker[AsyncSession],
    payload: Mapping[str, Any],
    repository: InboxRepository | None = None,
) -> bool:
    """Commit one update to the inbox; False when it was already there (a redelivery).

    Raises:
        MalformedUpdate: not an update.
        SQLAlchemyError: the database is unavailable; the caller must not acknowledge.
    """
    update_id = update_id_of(payload)
    repository = repository or InboxRepository()
    async with sessions.begin() as session:
        return await repository.store(
            session=session,
            update_id=update_id,
            chat_id=chat_id_of(payload),
            payload=dict(payload),
        )
