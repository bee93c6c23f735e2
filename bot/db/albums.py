"""Which album has been answered: one answer per media group, across tasks and replicas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dml import affected, dialect_insert
from bot.db.models import AlbumRow
from bot.db.repositories import Clock, utc_now


class AlbumRepository:
    """Claims the single answer of an album; every method is safe under concurrency."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock

    async def first_seen(self, *, session: AsyncSession, media_group_id: str, chat_id: int) -> bool:
        """Record the album; True only for the first part that reaches the database."""
        statement = (
            dialect_insert(session, AlbumRow)
            .values(chat_id=chat_id, media_group_id=media_group_id, first_seen_at=self._clock())
            .on_conflict_do_nothing(index_elements=["chat_id", "media_group_id"])
        )
        return await affected(session, statement) == 1

    async def mark_answered(
        self, *, session: AsyncSession, media_group_id: str, chat_id: int
    ) -> bool:
        """Take the album's one answer; False when someone already answered it."""
        now = self._clock()
        inserted = await affected(
            session,
            dialect_insert(session, AlbumRow)
            .values(
                chat_id=chat_id, media_group_id=media_group_id, first_seen_at=now, answered_at=now
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "media_group_id"]),
        )
        if inserted:
            return True
        claim = (
            update(AlbumRow)
            .where(
                AlbumRow.chat_id == chat_id,
                AlbumRow.media_group_id == media_group_id,
                AlbumRow.answered_at.is_(None),
            )
            .values(answered_at=now)
        )
        return await affected(session, claim) == 1

    async def purge(self, *, session: AsyncSession, older_than: datetime) -> int:
        """Albums are only needed for the seconds their parts arrive in."""
        return await affected(session, delete(AlbumRow).where(AlbumRow.first_seen_at < older_than))
