"""The durable update inbox: store before acknowledging, claim under a lease, settle.

Life cycle of a row: ``pending`` → ``processing`` (claimed, `claimed_until` is the lease end) →
``done`` (payload erased) or back to ``pending`` after a transient failure (`claimed_until` is
then the not-before time of the retry) or ``failed`` after too many attempts. A lease that
expires makes the row claimable again: the worker holding it is presumed dead.

Which rows are in turn (per-chat order, RELIABILITY P4) is bot/db/inbox_turns.py. On
PostgreSQL the caller must commit right after `claim`, in a READ COMMITTED transaction (the
default): the per-chat advisory locks are held until then. SQLite transactions are
serialised already (BEGIN IMMEDIATE in bot/db/session.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    case,
    delete,
    func,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dml import affected, dialect_insert
from bot.db.inbox_turns import (
    CHAT_LOCK_NAMESPACE,
    DONE,
    FAILED,
    LOCK_CHATS,
    PENDING,
    PROCESSING,
    claim_statements,
)
from bot.db.models import InboxRow, UTCDateTime
from bot.db.repositories import Clock, utc_now

__all__ = ["Backlog", "ClaimedUpdate", "InboxRepository", "InboxRow", "NewUpdate"]


@dataclass(frozen=True, slots=True)
class Backlog:
    """What the health check and the admin report need to know about unfinished work."""

    pending: int
    processing: int
    failed: int
    oldest_pending_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClaimedUpdate:
    """An update a worker now holds: what it needs to process and settle it."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any] | None
    attempts: int


@dataclass(frozen=True, slots=True)
class NewUpdate:
    """An update as received, before it is stored."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]


# One INSERT ... ON CONFLICT DO NOTHING RETURNING per dialect, built on first use.
_STORE: dict[str, Any] = {}


class InboxRepository:
    """Telegram updates between the webhook (or poller) and the worker that handles them."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock

    async def store(
        self, *, session: AsyncSession, update_id: int, chat_id: int | None, payload: dict[str, Any]
    ) -> bool:
        """Add an update; False when this update_id is already stored (a redelivery)."""
        (stored,) = await self.store_many(
            session=session, updates=[NewUpdate(update_id, chat_id, payload)]
        )
        return stored

    async def store_many(
        self, *, session: AsyncSession, updates: Sequence[NewUpdate]
    ) -> list[bool]:
        """Add updates in one statement; per update, False when it was stored already.

        This runs for every webhook call before its 200: one Core statement, built once per
        dialect and executed with the batch's parameters, keeps it to one cached, compiled
        INSERT. Of two copies of one update in a batch, only the first counts as stored.
        """
        dialect = session.get_bind().dialect.name
        statement = _STORE.get(dialect)
        if statement is None:
            table = InboxRow.__table__
            statement = (
                dialect_insert(session, table)
                .on_conflict_do_nothing(index_elements=["update_id"])
                .returning(table.c.update_id)
            )
            _STORE[dialect] = statement
        now = self._clock()
        firsts: dict[int, int] = {}
        for position, new in enumerate(updates):
            firsts.setdefault(new.update_id, position)
        rows = [
            {
                "update_id": updates[position].update_id,
                "chat_id": updates[position].chat_id,
                "payload": updates[position].payload,
                "status": PENDING,
                "attempts": 0,
                "received_at": now,
            }
            for position in firsts.values()
        ]
        inserted = set((await session.execute(statement, rows)).scalars())
        return [
            firsts[new.update_id] == position and new.update_id in inserted
            for position, new in enumerate(updates)
        ]

    async def claim(
        self, *, session: AsyncSession, worker: str, limit: int, lease: timedelta
    ) -> list[ClaimedUpdate]:
        """Mark up to `limit` claimable updates as processing by `worker`, lowest id first.

        `worker` must be unique per process (it decides who may settle a row). The
        statements are built once (bot/db/inbox_turns.py): the worker claims many times a
        second, and building the per-chat-order query anew cost milliseconds each time.
        """
        now = self._clock()
        statements = claim_statements()
        window = {"now": now, "limit": limit}
        taking = {"worker": worker, "until": now + lease}
        candidates = (await session.execute(statements.candidates, window)).all()
        if not candidates:
            return []  # nothing to take: no UPDATE, so an idle worker writes nothing
        if session.get_bind().dialect.name == "postgresql":
            chats = sorted({chat for _, chat in candidates if chat is not None})
            locked: list[int] = []
            if chats:
                locks = {"chats": chats, "namespace": CHAT_LOCK_NAMESPACE}
                locked = list(await session.scalars(LOCK_CHATS, locks))
            # A new statement, so a new snapshot: it sees what committed while we locked.
            take = window | taking | {"locked": locked}
            result = await session.execute(statements.take_locked, take)
        else:
            ids = [update_id for update_id, _ in candidates]
            result = await session.execute(statements.take, {"ids": ids} | taking)
        return sorted((ClaimedUpdate(*row) for row in result), key=lambda row: row.update_id)

    async def complete(self, *, session: AsyncSession, update_id: int, worker: str) -> bool:
        """Mark done and erase the payload (it holds message text); False if `worker` lost it."""
        return await self.complete_many(session=session, update_ids=[update_id], worker=worker) == 1

    async def complete_many(
        self, *, session: AsyncSession, update_ids: Sequence[int], worker: str
    ) -> int:
        """`complete` for many updates in one statement; how many `worker` still held."""
        statement = (
            update(InboxRow)
            .where(
                InboxRow.update_id.in_(update_ids),
                InboxRow.status == PROCESSING,
                InboxRow.claimed_by == worker,
            )
            .values(status=DONE, payload=null(), done_at=self._clock(), claimed_until=None)
        )
        return await affected(session, statement)

    async def fail(
        self,
        *,
        session: AsyncSession,
        update_id: int,
        worker: str,
        error: str,
        max_attempts: int,
        retry_after: timedelta,
    ) -> None:
        """Count a failed attempt: retry no sooner than `retry_after`, or give up for good.

        A row given up on keeps its payload for inspection until retention purges it (its
        `done_at` is the time it failed). Nothing happens when `worker` no longer holds it.
        """
        now = self._clock()
        exhausted = InboxRow.attempts + 1 >= max_attempts
        not_before = literal(now + retry_after, UTCDateTime())
        statement = (
            update(InboxRow)
            .where(*_held_by(update_id, worker))
            .values(
                attempts=InboxRow.attempts + 1,
                status=case((exhausted, FAILED), else_=PENDING),
                claimed_by=None,
                claimed_until=case((exhausted, null()), else_=not_before),
                done_at=case((exhausted, literal(now, UTCDateTime())), else_=null()),
                last_error=error[:500],
            )
        )
        await affected(session, statement)

    async def release(self, *, session: AsyncSession, worker: str) -> int:
        """Graceful shutdown: hand this worker's unfinished updates back at once."""
        statement = (
            update(InboxRow)
            .where(InboxRow.status == PROCESSING, InboxRow.claimed_by == worker)
            .values(status=PENDING, claimed_by=None, claimed_until=None)
        )
        return await affected(session, statement)

    async def backlog(self, *, session: AsyncSession) -> Backlog:
        """Counts of unfinished and failed updates and the age of the oldest waiting one."""
        query = (
            select(InboxRow.status, func.count(), func.min(InboxRow.received_at))
            .where(InboxRow.status.in_((PENDING, PROCESSING, FAILED)))
            .group_by(InboxRow.status)
        )
        found = {status: (count, oldest) for status, count, oldest in await session.execute(query)}
        return Backlog(
            pending=int(found.get(PENDING, (0, None))[0]),
            processing=int(found.get(PROCESSING, (0, None))[0]),
            failed=int(found.get(FAILED, (0, None))[0]),
            oldest_pending_at=found.get(PENDING, (0, None))[1],
        )

    async def purge_done(self, *, session: AsyncSession, older_than: datetime) -> int:
        """Delete done and failed updates settled before `older_than`; the number deleted."""
        settled = InboxRow.status.in_((DONE, FAILED))
        statement = delete(InboxRow).where(settled, InboxRow.done_at < older_than)
        return await affected(session, statement)


def _held_by(update_id: int, worker: str) -> tuple[Any, ...]:
    return (
        InboxRow.update_id == update_id,
        InboxRow.status == PROCESSING,
        InboxRow.claimed_by == worker,
    )
