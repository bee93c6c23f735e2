"""Checks, "deteksi keliru" feedback, subject rights and retention (statistics: check_stats.py).

A check row keeps what DESIGN "Data and privacy" allows: a content hash, the verdict and the
rule ids, never the message text. The data subject's export and deletion (UU PDP No. 27/2022,
RELIABILITY P19) and the retention purge (P18) live here because checks are most of what
Saring holds about a person.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dml import affected, dialect_insert
from bot.db.inbox import InboxRepository
from bot.db.models import AuditRow, CheckRow, FeedbackRow, InboxRow, StaffRow
from bot.db.repositories import AuditRepository, Clock, utc_now

# Crockford's base32: no I, L, O or U, so a reference read aloud or retyped stays unambiguous.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "CHK-"
REFERENCE_LENGTH = 8  # 32**8 ≈ 1.1e12 references
# What deletion keeps, with its legal basis (shown to the person; later sessions add cases).
RETAINED_ON_DELETE = (
    "data kepegawaian (roster: NIP, nama, unit, peran) — dikelola BKD sebagai data kepegawaian;"
    " hanya tautan akun Telegram yang dilepas",
    "catatan audit tindakan Bapak/Ibu dan catatan penghapusan ini — kewajiban akuntabilitas"
    " perubahan data",
)


def new_reference() -> str:
    """A random, unguessable check reference such as ``CHK-7K3Q9X2M``."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return REFERENCE_PREFIX + body


@dataclass(frozen=True, slots=True)
class CheckDraft:
    """What a check stores, before it has an id and a reference."""

    update_id: int | None
    telegram_user_id: int
    chat_id: int
    content_hash: str
    verdict: str
    rule_ids: Sequence[str]


@dataclass(slots=True)
class DeletionReport:
    """What `delete_user` removed and what it kept (with why), for the reply to the person."""

    checks_deleted: int
    feedback_deleted: int
    unlinked: bool
    retained: list[str] = field(default_factory=list)
    inbox_deleted: int = 0


class CheckRepository:
    """One row per check; feedback on checks; the person's own data on request."""

    def __init__(
        self,
        *,
        audit: AuditRepository | None = None,
        inbox: InboxRepository | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._clock = clock
        self._audit = audit or AuditRepository(clock=clock)
        self._inbox = inbox or InboxRepository(clock=clock)

    async def record(self, *, session: AsyncSession, draft: CheckDraft) -> tuple[CheckRow, bool]:
        """Record a check; for an update_id seen before, the stored check and False."""
        values = self._values(draft)
        for _ in range(5):
            statement = (
                dialect_insert(session, CheckRow)
                .values(**values, reference=new_reference())
                .on_conflict_do_nothing()  # update_id or, in theory, reference already taken
                .returning(CheckRow)
            )
            row: CheckRow | None = (await session.scalars(statement)).first()
            if row is not None:
                return row, True
            if draft.update_id is not None:
                query = select(CheckRow).where(CheckRow.update_id == draft.update_id)
                existing = (await session.scalars(query)).first()
                if existing is not None:
                    return existing, False
        raise RuntimeError("no free check reference after 5 attempts")

    async def record_many(
        self, *, session: AsyncSession, drafts: Sequence[CheckDraft]
    ) -> list[tuple[CheckRow, bool]]:
        """`record` for many checks in one INSERT; the rare conflicts are settled one by one."""
        values = [self._values(draft) | {"reference": new_reference()} for draft in drafts]
        statement = dialect_insert(session, CheckRow).on_conflict_do_nothing().returning(CheckRow)
        inserted = {row.reference: row for row in await session.scalars(statement, values)}
        results: list[tuple[CheckRow, bool]] = []
        for draft, row_values in zip(drafts, values, strict=True):
            row = inserted.get(row_values["reference"])
            # Not inserted: a redelivered update (or a reference collision): as `record` does.
            results.append((row, True) if row else await self.record(session=session, draft=draft))
        return results

    def _values(self, draft: CheckDraft) -> dict[str, Any]:
        return {
            "update_id": draft.update_id,
            "telegram_user_id": draft.telegram_user_id,
            "chat_id": draft.chat_id,
            "content_hash": draft.content_hash,
            "verdict": draft.verdict,
            "rule_ids": list(draft.rule_ids),
            "created_at": self._clock(),
        }

    async def set_reply_messages(
        self, *, session: AsyncSession, replies: Sequence[tuple[int, int]]
    ) -> None:
        """Remember which bot message answered each check: (check id, message id) pairs."""
        if not replies:
            return
        table = CheckRow.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("check_id"))
            .values(reply_message_id=bindparam("message_id"))
        )
        params = [{"check_id": check, "message_id": message} for check, message in replies]
        await session.execute(statement, params)

    async def by_reference(self, *, session: AsyncSession, reference: str) -> CheckRow | None:
        """The check a person quotes (``CHK-…``), case-insensitively."""
        query = select(CheckRow).where(CheckRow.reference == reference.strip().upper())
        return (await session.scalars(query)).first()

    async def by_id(self, *, session: AsyncSession, check_id: int) -> CheckRow | None:
        return await session.get(CheckRow, check_id)

    async def add_feedback(
        self, *, session: AsyncSession, check_id: int, telegram_user_id: int, rule: str | None
    ) -> bool:
        """Record a "deteksi keliru" press; False if this person already said so."""
        statement = (
            dialect_insert(session, FeedbackRow)
            .values(
                check_id=check_id,
                telegram_user_id=telegram_user_id,
                rule=rule or "",
                created_at=self._clock(),
            )
            .on_conflict_do_nothing(index_elements=["check_id", "telegram_user_id", "rule"])
            .returning(FeedbackRow.id)
        )
        return (await session.scalars(statement)).first() is not None

    async def export_user(self, *, session: AsyncSession, telegram_user_id: int) -> dict[str, Any]:
        """Everything Saring holds about one person, JSON-ready; nobody else's rows."""
        checks = await session.scalars(
            select(CheckRow)
            .where(CheckRow.telegram_user_id == telegram_user_id)
            .order_by(CheckRow.created_at, CheckRow.id)
        )
        feedback = await session.execute(
            select(FeedbackRow, CheckRow.reference)
            .join(CheckRow, CheckRow.id == FeedbackRow.check_id)
            .where(FeedbackRow.telegram_user_id == telegram_user_id)
            .order_by(FeedbackRow.created_at, FeedbackRow.id)
        )
        staff = (
            await session.scalars(
                select(StaffRow).where(StaffRow.telegram_user_id == telegram_user_id)
            )
        ).first()
        audits = await session.scalars(
            select(AuditRow)
            .where(AuditRow.actor == f"telegram:{telegram_user_id}")
            .order_by(AuditRow.at, AuditRow.id)
        )
        return {
            "telegram_user_id": telegram_user_id,
            "generated_at": self._clock().isoformat(),
            "checks": [_check_export(row) for row in checks],
            "feedback": [
                {"check": reference, "rule": row.rule or None, "at": row.created_at.isoformat()}
                for row, reference in feedback
            ],
            "staff": staff.snapshot() if staff is not None else None,
            "audit": [_audit_export(row) for row in audits],
        }

    async def delete_user(
        self, *, session: AsyncSession, telegram_user_id: int, actor: str
    ) -> DeletionReport:
        """Erase a person's checks and feedback and unlink their roster entry; audit counts.

        Feedback by others on this person's checks goes with the checks. Settled inbox rows of
        the person's private chat (chat id == user id) go too: a failed one still holds text.
        """
        user = telegram_user_id
        own_checks = select(CheckRow.id).where(CheckRow.telegram_user_id == user)
        theirs = (FeedbackRow.telegram_user_id == user) | FeedbackRow.check_id.in_(own_checks)
        settled = InboxRow.status.in_(("done", "failed"))
        # Feedback first: it refers to the checks.
        feedback = await affected(session, delete(FeedbackRow).where(theirs))
        checks = await affected(session, delete(CheckRow).where(CheckRow.telegram_user_id == user))
        inbox = await affected(session, delete(InboxRow).where(InboxRow.chat_id == user, settled))
        unlink = (
            update(StaffRow)
            .where(StaffRow.telegram_user_id == user)
            .values(telegram_user_id=None, linked_at=None, updated_at=self._clock())
        )
        unlinked = await affected(session, unlink) > 0
        await self._audit.record(
            session=session,
            actor=actor,
            action="user.delete",
            entity="user",
            entity_key=f"telegram:{user}",
            before=None,
            after={"checks": checks, "feedback": feedback, "inbox": inbox, "unlinked": unlinked},
        )
        return DeletionReport(
            checks_deleted=checks,
            feedback_deleted=feedback,
            unlinked=unlinked,
            retained=list(RETAINED_ON_DELETE),
            inbox_deleted=inbox,
        )

    async def purge(
        self, *, session: AsyncSession, older_than: datetime, actor: str = "retention"
    ) -> int:
        """Delete checks (with their feedback) and settled inbox rows older than the cutoff.

        Always writes one ``retention.purge`` audit row, also when nothing was due (P18: the
        row proves the job ran). Returns the number of checks deleted.
        """
        old_checks = select(CheckRow.id).where(CheckRow.created_at < older_than)
        feedback = await affected(
            session, delete(FeedbackRow).where(FeedbackRow.check_id.in_(old_checks))
        )
        checks = await affected(session, delete(CheckRow).where(CheckRow.created_at < older_than))
        inbox = await self._inbox.purge_done(session=session, older_than=older_than)
        await self._audit.record(
            session=session,
            actor=actor,
            action="retention.purge",
            entity="retention",
            entity_key=older_than.isoformat(),
            before=None,
            after={
                "older_than": older_than.isoformat(),
                "checks": checks,
                "feedback": feedback,
                "inbox": inbox,
            },
        )
        return checks


def _check_export(row: CheckRow) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "at": row.created_at.isoformat(),
        "verdict": row.verdict,
        "rules": list(row.rule_ids or ()),
        "content_hash": row.content_hash,
        "chat_id": row.chat_id,
    }


def _audit_export(row: AuditRow) -> dict[str, Any]:
    return {
        "at": row.at.isoformat(),
        "action": row.action,
        "entity": row.entity,
        "entity_key": row.entity_key,
        "before": row.before,
        "after": row.after,
    }
