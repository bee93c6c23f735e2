"""The alert outbox: messages written with the change that caused them, sent by a worker.

Life cycle of a row: ``pending`` (waiting for `not_before`) → ``sending`` (claimed;
`claimed_until` is the lease end) → ``sent`` (with `sent_message_id`), or back to ``pending``
after a transient failure, or ``unreachable`` (Telegram said 403: the recipient blocked the
bot or never pressed /start) or ``failed`` (gave up). A lease that expires makes a ``sending``
row claimable again: its worker is presumed dead, and the message may already have been
delivered. That is the one source of duplicates, and every alert prints its `alert_number`
so a duplicate is recognisable (RELIABILITY P3).

Payload contract: ``{"text", "parse_mode"?, "reply_markup"?}`` for ``sendMessage``;
``editMessageText`` also carries ``"message_id"`` or ``"edit_of": <outbox id>``. An edit that
names the row of its alert is claimable only once that row is settled (``sent`` or given up),
so an edit can never overtake the send it edits; the dispatcher then takes the message id from
the original's `sent_message_id`.

Claims on PostgreSQL use ``FOR UPDATE SKIP LOCKED`` so several replicas drain one outbox
without handing a row to two of them; SQLite transactions are serialised (BEGIN IMMEDIATE).
The caller commits right after `claim`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.case_models import OutboxRow
from bot.db.dml import affected
from bot.db.repositories import Clock, utc_now

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
UNREACHABLE = "unreachable"
FAILED = "failed"
SEND = "sendMessage"
EDIT = "editMessageText"
# Payload key of an edit that refers to the outbox row of the message it edits.
EDIT_OF = "edit_of"

__all__ = ["EDIT", "EDIT_OF", "SEND", "OutboxBacklog", "OutboxRepository", "OutboxRow"]


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """What health checks and the admin report need to know about undelivered messages."""

    pending: int
    sending: int
    unreachable: int
    failed: int
    oldest_pending_at: datetime | None


class OutboxRepository:
    """Queue, claim and settle outgoing messages; keyword-only `session`, never commits."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock

    async def enqueue(
        self,
        *,
        session: AsyncSession,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        purpose: str,
        case_id: int | None = None,
        alert_number: str | None = None,
        not_before: datetime | None = None,
    ) -> OutboxRow:
        """Add a message to send; it becomes claimable at `not_before` (default: now)."""
        now = self._clock()
        row = OutboxRow(
            case_id=case_id,
            alert_number=alert_number,
            purpose=purpose,
            chat_id=chat_id,
            method=method,
            payload=payload,
            status=PENDING,
            attempts=0,
            not_before=not_before or now,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        return row

    async def claim(
        self,
        *,
        session: AsyncSession,
        worker: str,
        limit: int,
        lease: timedelta,
        per_chat: int | None = None,
        skip_chats: Collection[int] = (),
    ) -> list[OutboxRow]:
        """Mark up to `limit` due rows as sending by `worker`, oldest first.

        `worker` must be unique per process: it decides who may settle a row. `per_chat`
        takes at most that many rows of any one chat, and `skip_chats` none: a chat that
        Telegram lets us write to 20 times a minute (a group) must not fill every slot of
        the dispatcher while other officials' alerts wait behind it.
        """
        now = self._clock()
        query = _claimable(now, per_chat=per_chat, skip_chats=skip_chats).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=OutboxRow)
        ids = list(await session.scalars(query))
        if not ids:
            return []
        statement = (
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids))
            .values(status=SENDING, claimed_by=worker, claimed_until=now + lease)
            .returning(OutboxRow)
            .execution_options(populate_existing=True)
        )
        rows = list((await session.scalars(statement)).all())
        return sorted(rows, key=lambda row: row.id)

    async def sent_message_ids(
        self, *, session: AsyncSession, row_ids: list[int]
    ) -> dict[int, int | None]:
        """The delivered message id of each row (None when it was never delivered)."""
        if not row_ids:
            return {}
        query = select(OutboxRow.id, OutboxRow.sent_message_id).where(OutboxRow.id.in_(row_ids))
        found: dict[int, int | None] = {row_id: None for row_id in row_ids}
        found.update({row_id: message_id for row_id, message_id in await session.execute(query)})
        return found

    async def mark_sent(
        self, *, session: AsyncSession, row_id: int, worker: str, message_id: int
    ) -> bool:
        """Record the delivery; False (and nothing changed) when `worker` no longer holds it."""
        return await self._settle(
            session,
            row_id,
            worker,
            status=SENT,
            sent_message_id=message_id,
            sent_at=self._clock(),
            attempts=OutboxRow.attempts + 1,
            last_error=None,
        )

    async def retry(
        self,
        *,
        session: AsyncSession,
        row_id: int,
        worker: str,
        error: str,
        not_before: datetime,
        count_attempt: bool = True,
    ) -> bool:
        """Put the row back for another try at `not_before`.

        `count_attempt=False` for waits Telegram asked for (429) or a row handed back unsent:
        those say nothing about whether the message can be delivered.
        """
        return await self._settle(
            session,
            row_id,
            worker,
            status=PENDING,
            not_before=not_before,
            attempts=OutboxRow.attempts + (1 if count_attempt else 0),
            last_error=error[:500],
        )

    async def mark_unreachable(
        self, *, session: AsyncSession, row_id: int, worker: str, error: str
    ) -> bool:
        """The recipient cannot be written to (403): stop at once, retrying cannot help."""
        return await self._settle(
            session,
            row_id,
            worker,
            status=UNREACHABLE,
            attempts=OutboxRow.attempts + 1,
            last_error=error[:500],
        )

    async def mark_failed(
        self, *, session: AsyncSession, row_id: int, worker: str, error: str
    ) -> bool:
        """Give up: too many attempts, or a request Telegram will never accept."""
        return await self._settle(
            session,
            row_id,
            worker,
            status=FAILED,
            attempts=OutboxRow.attempts + 1,
            last_error=error[:500],
        )

    async def release(
        self, *, session: AsyncSession, worker: str, keep: Collection[int] = ()
    ) -> int:
        """Graceful shutdown: hand this worker's unsent rows back at once.

        `keep`: rows whose request may have reached Telegram; they wait for their lease.
        """
        statement = (
            update(OutboxRow)
            .where(OutboxRow.status == SENDING, OutboxRow.claimed_by == worker)
            .values(status=PENDING, claimed_by=None, claimed_until=None)
        )
        if keep:
            statement = statement.where(OutboxRow.id.not_in(list(keep)))
        return await affected(session, statement)

    async def sent_alerts(self, *, session: AsyncSession, case_id: int) -> list[OutboxRow]:
        """Delivered messages of a case (chat_id, sent_message_id): what a status edit edits.

        Includes copies delivered to a fallback chat, so they are kept up to date as well.
        """
        query = (
            select(OutboxRow)
            .where(
                OutboxRow.case_id == case_id,
                OutboxRow.method == SEND,
                OutboxRow.status == SENT,
                OutboxRow.sent_message_id.is_not(None),
            )
            .order_by(OutboxRow.id)
        )
        return list(await session.scalars(query))

    async def alerts(self, *, session: AsyncSession, case_id: int) -> list[OutboxRow]:
        """Alerts of a case that are out or on their way (pending, sending, sent).

        A status edit must reach an alert still in the outbox as well as a delivered one:
        an edit row names its alert (`edit_of`) and waits for it to be settled.
        """
        query = (
            select(OutboxRow)
            .where(
                OutboxRow.case_id == case_id,
                OutboxRow.method == SEND,
                OutboxRow.purpose.startswith("alert"),
                OutboxRow.status.in_((PENDING, SENDING, SENT)),
            )
            .order_by(OutboxRow.id)
        )
        return list(await session.scalars(query))

    async def exists(self, *, session: AsyncSession, alert_number: str) -> bool:
        """Whether a message with this number was ever queued (a digest goes out once a day)."""
        query = select(OutboxRow.id).where(OutboxRow.alert_number == alert_number).limit(1)
        return (await session.scalar(query)) is not None

    async def backlog(self, *, session: AsyncSession) -> OutboxBacklog:
        """Counts of undelivered rows and the creation time of the oldest waiting one."""
        query = (
            select(OutboxRow.status, func.count(), func.min(OutboxRow.created_at))
            .where(OutboxRow.status != SENT)
            .group_by(OutboxRow.status)
        )
        found = {status: (count, oldest) for status, count, oldest in await session.execute(query)}

        def count(status: str) -> int:
            return int(found.get(status, (0, None))[0])

        return OutboxBacklog(
            pending=count(PENDING),
            sending=count(SENDING),
            unreachable=count(UNREACHABLE),
            failed=count(FAILED),
            oldest_pending_at=found.get(PENDING, (0, None))[1],
        )

    async def _settle(self, session: AsyncSession, row_id: int, worker: str, **values: Any) -> bool:
        statement = (
            update(OutboxRow)
            .where(
                OutboxRow.id == row_id,
                OutboxRow.status == SENDING,
                OutboxRow.claimed_by == worker,
            )
            .values(claimed_by=None, claimed_until=None, **values)
        )
        return await affected(session, statement) == 1


def _claimable(
    now: datetime, *, per_chat: int | None = None, skip_chats: Collection[int] = ()
) -> Select[Any]:
    """Ids of rows due at `now`, oldest first; edits wait for their original to settle."""
    original = aliased(OutboxRow)
    edit_of = OutboxRow.payload[EDIT_OF].as_integer()
    original_unsettled = (
        select(original.id)
        .where(original.id == edit_of, original.status.in_((PENDING, SENDING)))
        .exists()
    )
    ready = or_(
        and_(OutboxRow.status == PENDING, OutboxRow.not_before <= now),
        and_(OutboxRow.status == SENDING, OutboxRow.claimed_until < now),
    )
    in_turn = or_(OutboxRow.method != EDIT, not_(original_unsettled))
    due = [ready, in_turn]
    if skip_chats:
        due.append(OutboxRow.chat_id.not_in(list(skip_chats)))
    if per_chat is None:
        return select(OutboxRow.id).where(*due).order_by(OutboxRow.id)
    # The window function sits in a subquery: PostgreSQL refuses FOR UPDATE next to one.
    # The outer query repeats `due`: FOR UPDATE re-checks only the outer conditions against
    # a row another claimer just committed, and the subquery's snapshot is older than that.
    turn = func.row_number().over(partition_by=OutboxRow.chat_id, order_by=OutboxRow.id)
    ranked = select(OutboxRow.id, turn.label("turn")).where(*due).subquery()
    first_of_chat = select(ranked.c.id).where(ranked.c.turn <= per_chat)
    outer = select(OutboxRow.id).where(*due, OutboxRow.id.in_(first_of_chat))
    return outer.order_by(OutboxRow.id)
