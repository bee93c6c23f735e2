"""Accepting an update into the inbox: the one step both the webhook and the poller share.

An update is acknowledged (HTTP 200, or a getUpdates offset moved past it) only after this
commit, so a crash at any point loses nothing, and `update_id` as the key makes a
redelivery a no-op (P1, P2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.batching import GroupCommit
from bot.db.inbox import InboxRepository, NewUpdate

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


class Intake:
    """Commits updates to the inbox; concurrent webhook calls share one transaction.

    Each caller still waits for its own update's commit before it acknowledges, so group
    commit changes the cost of P1, not the promise (bot/db/batching.py).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        repository: InboxRepository | None = None,
    ) -> None:
        self.sessions = sessions
        self._repository = repository or InboxRepository()
        self._commit: GroupCommit[NewUpdate, bool] = GroupCommit(self._store)

    async def accept(self, payload: Mapping[str, Any]) -> bool:
        """Commit one update; False when it was already there (a redelivery).

        Raises:
            MalformedUpdate: not an update.
            SQLAlchemyError | OSError: the database is unavailable; do not acknowledge.
        """
        update_id = update_id_of(payload)
        new = NewUpdate(update_id, chat_id_of(payload), dict(payload))
        return await self._commit.submit(new)

    async def idle(self) -> None:
        """Wait for stores still in flight (shutdown, before the database pool closes)."""
        await self._commit.idle()

    async def _store(self, updates: Sequence[NewUpdate]) -> list[bool]:
        async with self.sessions.begin() as session:
            return await self._repository.store_many(session=session, updates=updates)
