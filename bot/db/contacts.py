"""Who the bot can write to: a person must press /start first, and may block the bot later.

Telegram refuses (403) a message to a person who never started the bot or blocked it; a group
that removed the bot answers 403 as well, and a deleted chat 400 "chat not found". Escalation
needs to know this *before* a case is urgent, so /start and every such refusal are recorded
here, and the admin report and the enrolment check read them (RELIABILITY P9).

Groups and channels (negative ids) need no /start: they count as reachable until refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.case_models import ContactRow
from bot.db.dml import dialect_insert
from bot.db.repositories import Clock, utc_now

# contacts.unreachable_reason is String(200).
_REASON_LIMIT = 200

__all__ = ["ContactRepository", "ContactRow"]


class ContactRepository:
    """Records /start and 403s per chat; keyword-only `session`, never commits."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock

    async def mark_started(self, *, session: AsyncSession, chat_id: int) -> None:
        """The person pressed /start: reachable from now on, whatever a past 403 said."""
        now = self._clock()
        values = {"started_at": now, "unreachable_at": None, "unreachable_reason": None}
        statement = (
            dialect_insert(session, ContactRow)
            .values(chat_id=chat_id, **values)
            .on_conflict_do_update(index_elements=["chat_id"], set_=values)
        )
        await session.execute(statement)

    async def mark_unreachable(self, *, session: AsyncSession, chat_id: int, reason: str) -> None:
        """Telegram refused a message to this chat; keeps when (if ever) it started the bot."""
        values = {"unreachable_at": self._clock(), "unreachable_reason": reason[:_REASON_LIMIT]}
        statement = (
            dialect_insert(session, ContactRow)
            .values(chat_id=chat_id, **values)
            .on_conflict_do_update(index_elements=["chat_id"], set_=values)
        )
        await session.execute(statement)

    async def is_reachable(self, *, session: AsyncSession, chat_id: int) -> bool:
        """No refusal on record, and (for a person) /start was pressed."""
        row = await session.get(ContactRow, chat_id, populate_existing=True)
        if row is not None and row.unreachable_at is not None:
            return False
        return chat_id < 0 or (row is not None and row.started_at is not None)

    async def never_started(self, *, session: AsyncSession, chat_ids: Iterable[int]) -> list[int]:
        """The people among `chat_ids` who never pressed /start, in the order given."""
        people = list(dict.fromkeys(chat_id for chat_id in chat_ids if chat_id > 0))
        if not people:
            return []
        query = select(ContactRow.chat_id).where(
            ContactRow.chat_id.in_(people), ContactRow.started_at.is_not(None)
        )
        started = set(await session.scalars(query))
        return [chat_id for chat_id in people if chat_id not in started]

    async def unreachable(self, *, session: AsyncSession) -> list[ContactRow]:
        """Chats that refused a message and did not /start since, most recent refusal first."""
        query = (
            select(ContactRow)
            .where(ContactRow.unreachable_at.is_not(None))
            .order_by(ContactRow.unreachable_at.desc(), ContactRow.chat_id)
        )
        return list(await session.scalars(query))
