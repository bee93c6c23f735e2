"""Recording checks as they are made, concurrent checks sharing one INSERT.

Every forwarded message records its check (keyed by update_id) before the reply goes out,
so a redelivery reuses the reference (P2). Under load, one transaction per check was a
large share of the bot's CPU; a group commit keeps the promise and pays once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.batching import GroupCommit
from bot.db.checks import CheckDraft, CheckRepository
from bot.db.models import CheckRow


class CheckLog:
    """`record(draft)` returns the stored check and whether this call created it."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        repository: CheckRepository | None = None,
    ) -> None:
        self._sessions = sessions
        self._repository = repository or CheckRepository()
        self._commit: GroupCommit[CheckDraft, tuple[CheckRow, bool]] = GroupCommit(self._write)

    async def record(self, draft: CheckDraft) -> tuple[CheckRow, bool]:
        """Committed when this returns; for an update_id seen before, the old check and False."""
        return await self._commit.submit(draft)

    async def idle(self) -> None:
        """Wait for records still in flight (shutdown, before the database pool closes)."""
        await self._commit.idle()

    async def _write(self, drafts: Sequence[CheckDraft]) -> list[tuple[CheckRow, bool]]:
        async with self._sessions.begin() as session:
            return await self._repository.record_many(session=session, drafts=drafts)
