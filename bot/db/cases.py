"""The case store: opening and merging cases, their timeline, buttons and follow-up questions.

A case is about *content*: reports of the same normalized content hash within a window merge
into one case with a count of distinct reporters. Deciding "merge or create" is a read followed
by a write, so two reporters of the same content at once must be serialised: on PostgreSQL by a
transaction-scoped advisory lock on the content hash (the SELECT that follows it runs with a
fresh READ COMMITTED snapshot and sees a case the other transaction committed), on SQLite by
BEGIN IMMEDIATE (bot/db/session.py). The caller commits right after, in READ COMMITTED.

Every change is written to the case's timeline (`case_events`) with its actor; refusals (a
button pressed by someone not allowed) are audited by the caller, who knows who tried.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checking.findings import Severity
from bot.checking.guidance import WIB
from bot.db.case_models import (
    ButtonTokenRow,
    CaseEventRow,
    CaseEvidenceRow,
    CaseReporterRow,
    CaseRow,
    PendingInputRow,
)
from bot.db.dml import dialect_insert
from bot.db.repositories import Clock, utc_now

TERMINAL = frozenset({"dismissed", "decided"})
# Which status may follow which; anything else is refused and changes nothing.
TRANSITIONS: dict[str, frozenset[str]] = {
    "review": frozenset({"open", "dismissed"}),
    "open": frozenset({"acknowledged", "forwarded", "dismissed", "decided"}),
    "acknowledged": frozenset({"forwarded", "dismissed", "decided"}),
    "forwarded": frozenset({"decided", "dismissed"}),
    "dismissed": frozenset(),
    "decided": frozenset(),
}
# Statuses nobody outside review has been told about yet.
UNCONFIRMED = "review"
# Cases a digest lists: alive and already past review.
DIGEST_STATUSES = ("open", "acknowledged", "forwarded")
# Namespace (first key) of the per-content advisory locks ("SRGC"); fits a signed int4.
CASE_LOCK_NAMESPACE = 0x5352_4743
SYSTEM_ACTOR = "saring"
RETENTION_ACTOR = "saring:retention"
_LOCK_CONTENT = text("SELECT pg_advisory_xact_lock(:namespace, :key)")

__all__ = ["TRANSITIONS", "CaseOutcome", "CaseRepository", "case_reference"]


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """The case a report landed in, whether it is new, and whether the reporter is."""

    case: CaseRow
    created: bool
    new_reporter: bool


def case_reference(case_id: int, opened_at: datetime) -> str:
    """``SRG-2026-000123``: the year is Jakarta's, as officials read it on their calendar."""
    return f"SRG-{opened_at.astimezone(WIB).year}-{case_id:06d}"


def _content_lock_key(content_hash: str) -> int:
    digest = hashlib.sha256(content_hash.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _max_severity(first: str, second: str) -> str:
    return max(Severity(first), Severity(second), key=lambda s: s.rank).value


def _merged(
    case: CaseRow,
    severity: str,
    rule_ids: list[str],
    digest: bool,
    subject_user_id: int | None,
    subject_name: str | None,
) -> dict[str, Any]:
    """What a further report changes in a case (see `CaseRepository.open_or_merge`)."""
    return {
        "severity": _max_severity(case.severity, severity),
        "rule_ids": sorted(set(case.rule_ids) | set(rule_ids)),
        "digest": case.digest and digest,
        "subject_user_id": case.subject_user_id or subject_user_id,
        "subject_name": case.subject_name or subject_name,
    }


def _reporter_actor(trigger: str, reporter_id: int) -> str:
    """An automatic case was opened by Saring; the asker did not choose to report anyone."""
    return SYSTEM_ACTOR if trigger == "auto" else f"telegram:{reporter_id}"


class CaseRepository:
    """Cases and everything hanging off them; keyword-only `session`, never commits."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock

    async def open_or_merge(
        self,
        *,
        session: AsyncSession,
        content_hash: str,
        severity: str,
        rule_ids: list[str],
        trigger: str,
        reporter_id: int,
        reporter_unit: str | None,
        check_id: int | None,
        subject_user_id: int | None,
        subject_name: str | None,
        merge_window: timedelta,
        evidence_sealed: bytes | None,
        evidence_destroy_after: datetime | None,
        status: str,
        dry_run: bool,
        digest: bool,
    ) -> CaseOutcome:
        """File a report: into a live case of the same content opened within the window, or new.

        Merging keeps the case's first trigger, unit, status and evidence (the evidence is
        added only if the case has none); severity rises to the maximum, rule ids are united,
        a missing subject is filled in, and a non-digest report takes the case out of the
        digest (it now needs an immediate alert).
        """
        now = self._clock()
        if session.get_bind().dialect.name == "postgresql":
            parameters = {"namespace": CASE_LOCK_NAMESPACE, "key": _content_lock_key(content_hash)}
            await session.execute(_LOCK_CONTENT, parameters)
        case = await self._mergeable(session, content_hash, now - merge_window)
        created = case is None
        if case is None:
            case = await self._create(
                session,
                now,
                content_hash=content_hash,
                status=status,
                trigger=trigger,
                severity=Severity(severity).value,
                rule_ids=sorted(set(rule_ids)),
                unit_code=reporter_unit,
                subject_user_id=subject_user_id,
                subject_name=subject_name,
                dry_run=dry_run,
                digest=digest,
            )
        new_reporter = await self._add_reporter(
            session, case.id, reporter_id, reporter_unit, check_id, now
        )
        if evidence_sealed is not None:
            await self._add_evidence(session, case.id, evidence_sealed, evidence_destroy_after)
        actor = _reporter_actor(trigger, reporter_id)
        if created:
            opened = {"trigger": trigger, "severity": case.severity, "rule_ids": case.rule_ids}
            self._event(session, case.id, actor, "opened", opened)
            return CaseOutcome(case=case, created=True, new_reporter=True)
        merged = _merged(case, severity, rule_ids, digest, subject_user_id, subject_name)
        count = await self._count_reporters(session, case.id)
        case = await self._update(session, case.id, **merged, reporter_count=count, updated_at=now)
        if new_reporter:
            added = {"trigger": trigger, "reporter_count": count}
            self._event(session, case.id, actor, "reporter_added", added)
        return CaseOutcome(case=case, created=False, new_reporter=new_reporter)

    async def _mergeable(
        self, session: AsyncSession, content_hash: str, since: datetime
    ) -> CaseRow | None:
        query = (
            select(CaseRow)
            .where(
                CaseRow.content_hash == content_hash,
                CaseRow.status.not_in(TERMINAL),
                CaseRow.opened_at >= since,
            )
            .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return (await session.scalars(query)).first()

    async def _create(self, session: AsyncSession, now: datetime, **values: Any) -> CaseRow:
        case = CaseRow(**values, reporter_count=1, opened_at=now, updated_at=now)
        session.add(case)
        await session.flush()
        case.reference = case_reference(case.id, now)
        await session.flush()
        return case

    async def _add_reporter(
        self,
        session: AsyncSession,
        case_id: int,
        reporter_id: int,
        unit_code: str | None,
        check_id: int | None,
        now: datetime,
    ) -> bool:
        statement = (
            dialect_insert(session, CaseReporterRow)
            .values(
                case_id=case_id,
                telegram_user_id=reporter_id,
                unit_code=unit_code,
                check_id=check_id,
                reported_at=now,
            )
            .on_conflict_do_nothing(index_elements=["case_id", "telegram_user_id"])
            .returning(CaseReporterRow.id)
        )
        return (await session.scalars(statement)).first() is not None

    async def _add_evidence(
        self, session: AsyncSession, case_id: int, sealed: bytes, destroy_after: datetime | None
    ) -> None:
        if destroy_after is None:
            raise ValueError("sealed evidence needs a destroy_after date (retention)")
        statement = (
            dialect_insert(session, CaseEvidenceRow)
            .values(case_id=case_id, sealed=sealed, destroy_after=destroy_after)
            .on_conflict_do_nothing(index_elements=["case_id"])
        )
        await session.execute(statement)

    async def _count_reporters(self, session: AsyncSession, case_id: int) -> int:
        query = select(func.count()).where(CaseReporterRow.case_id == case_id)
        return int(await session.scalar(query) or 0)

    async def _update(self, session: AsyncSession, case_id: int, **values: Any) -> CaseRow:
        statement = (
            update(CaseRow)
            .where(CaseRow.id == case_id)
            .values(**values)
            .returning(CaseRow)
            .execution_options(populate_existing=True)
        )
        return (await session.scalars(statement)).one()

    def _event(
        self,
        session: AsyncSession,
        case_id: int,
        actor: str,
        action: str,
        detail: dict[str, Any] | None,
    ) -> None:
        row = CaseEventRow(case_id=case_id, at=self._clock(), actor=actor, action=action)
        row.detail = detail
        session.add(row)

    async def reports_since(
        self, *, session: AsyncSession, reporter_id: int, since: datetime
    ) -> int:
        """Reports filed by one person since `since` (a repeat on the same case counts once)."""
        query = select(func.count()).where(
            CaseReporterRow.telegram_user_id == reporter_id, CaseReporterRow.reported_at >= since
        )
        return int(await session.scalar(query) or 0)

    async def get(self, *, session: AsyncSession, case_id: int) -> CaseRow | None:
        return await session.get(CaseRow, case_id, populate_existing=True)

    async def by_reference(self, *, session: AsyncSession, reference: str) -> CaseRow | None:
        """The case a person quotes (``SRG-2026-000123``), case-insensitively."""
        query = select(CaseRow).where(CaseRow.reference == reference.strip().upper())
        return (await session.scalars(query)).first()

    async def reporters(self, *, session: AsyncSession, case_id: int) -> list[CaseReporterRow]:
        query = (
            select(CaseReporterRow)
            .where(CaseReporterRow.case_id == case_id)
            .order_by(CaseReporterRow.reported_at, CaseReporterRow.id)
        )
        return list(await session.scalars(query))

    async def timeline(self, *, session: AsyncSession, case_id: int) -> list[CaseEventRow]:
        query = (
            select(CaseEventRow)
            .where(CaseEventRow.case_id == case_id)
            .order_by(CaseEventRow.at, CaseEventRow.id)
        )
        return list(await session.scalars(query))

    async def evidence(self, *, session: AsyncSession, case_id: int) -> bytes | None:
        """The sealed evidence packet; None once retention destroyed it (or there never was)."""
        query = select(CaseEvidenceRow.sealed).where(CaseEvidenceRow.case_id == case_id)
        return (await session.scalars(query)).first()

    async def transition(
        self,
        *,
        session: AsyncSession,
        case_id: int,
        to_status: str,
        actor: str,
        reason: str | None,
    ) -> CaseRow | None:
        """Move a case along TRANSITIONS; None (and nothing changed) when the move is not allowed.

        The row is locked first on PostgreSQL, so two officials pressing at once are
        serialised and the second sees the first one's status.
        """
        query = select(CaseRow).where(CaseRow.id == case_id).with_for_update()
        case = (await session.scalars(query.execution_options(populate_existing=True))).first()
        if case is None or to_status not in TRANSITIONS.get(case.status, frozenset()):
            return None
        now = self._clock()
        values: dict[str, Any] = {"status": to_status, "updated_at": now}
        if to_status in TERMINAL:
            values |= {"decision": (reason or "")[:1000] or None, "closed_at": now}
        before = case.status
        case = await self._update(session, case_id, **values)
        detail = {"from": before, "to": to_status, "reason": reason}
        self._event(session, case_id, actor, to_status, detail)
        return case

    async def issue_token(
        self, *, session: AsyncSession, case_id: int, action: str, ttl: timedelta
    ) -> int:
        """A fresh single-use button id for one action on one case."""
        now = self._clock()
        token = ButtonTokenRow(case_id=case_id, action=action, created_at=now, expires_at=now + ttl)
        session.add(token)
        await session.flush()
        return token.id

    async def consume_token(
        self, *, session: AsyncSession, token_id: int, user_id: int
    ) -> ButtonTokenRow | None:
        """Spend a button: exactly one press wins; used, expired or unknown ids give None.

        One conditional UPDATE: on PostgreSQL a concurrent press waits for the row lock and
        then finds `used_at` set, so a replayed or doubled press changes nothing.
        """
        now = self._clock()
        statement = (
            update(ButtonTokenRow)
            .where(
                ButtonTokenRow.id == token_id,
                ButtonTokenRow.used_at.is_(None),
                ButtonTokenRow.expires_at > now,
            )
            .values(used_at=now, used_by=user_id)
            .returning(ButtonTokenRow)
            .execution_options(populate_existing=True)
        )
        return (await session.scalars(statement)).first()

    async def peek_token(self, *, session: AsyncSession, token_id: int) -> ButtonTokenRow | None:
        """A still valid button, not spent: for actions that first ask for a reason."""
        query = select(ButtonTokenRow).where(
            ButtonTokenRow.id == token_id,
            ButtonTokenRow.used_at.is_(None),
            ButtonTokenRow.expires_at > self._clock(),
        )
        return (await session.scalars(query.execution_options(populate_existing=True))).first()

    async def expect_input(
        self,
        *,
        session: AsyncSession,
        user_id: int,
        case_id: int,
        action: str,
        token_id: int,
        ttl: timedelta,
    ) -> None:
        """Remember that this person's next message answers a question; replaces an older one."""
        values = {
            "case_id": case_id,
            "action": action,
            "token_id": token_id,
            "expires_at": self._clock() + ttl,
        }
        statement = (
            dialect_insert(session, PendingInputRow)
            .values(telegram_user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["telegram_user_id"], set_=values)
        )
        await session.execute(statement)

    async def take_input(self, *, session: AsyncSession, user_id: int) -> PendingInputRow | None:
        """The question this person's message answers, removed; None if none or expired."""
        statement = (
            delete(PendingInputRow)
            .where(PendingInputRow.telegram_user_id == user_id)
            .returning(PendingInputRow)
        )
        row = (await session.scalars(statement)).first()
        if row is None or row.expires_at <= self._clock():
            return None
        return row

    async def open_cases(
        self,
        *,
        session: AsyncSession,
        unit_code: str | None = None,
        limit: int = 20,
        include_unconfirmed: bool | None = None,
    ) -> list[CaseRow]:
        """Cases not yet closed, newest first; `unit_code` narrows to one unit (its head).

        Unconfirmed cases (still in review, or recorded in dry-run) were never shown to
        anyone outside Diskominfotik; by default only the all-units view includes them.
        """
        query = select(CaseRow).where(CaseRow.status.not_in(TERMINAL))
        if unit_code is not None:
            query = query.where(CaseRow.unit_code == unit_code)
        if include_unconfirmed is None:
            include_unconfirmed = unit_code is None
        if not include_unconfirmed:
            query = query.where(CaseRow.status != UNCONFIRMED, CaseRow.dry_run.is_(False))
        query = query.order_by(CaseRow.opened_at.desc(), CaseRow.id.desc()).limit(limit)
        return list(await session.scalars(query))

    async def digest_cases(
        self, *, session: AsyncSession, unit_code: str, since: datetime
    ) -> list[CaseRow]:
        """A unit's digest cases opened since `since` that are live and past review, oldest first.

        Dry-run cases never go out, and neither do cases already closed (nobody needs to act).
        """
        query = (
            select(CaseRow)
            .where(
                CaseRow.digest.is_(True),
                CaseRow.dry_run.is_(False),
                CaseRow.unit_code == unit_code,
                CaseRow.opened_at >= since,
                CaseRow.status.in_(DIGEST_STATUSES),
            )
            .order_by(CaseRow.opened_at, CaseRow.id)
        )
        return list(await session.scalars(query))

    async def destroy_expired_evidence(self, *, session: AsyncSession, now: datetime) -> int:
        """Retention: delete evidence past its date, keep the case record; the number destroyed."""
        statement = (
            delete(CaseEvidenceRow)
            .where(CaseEvidenceRow.destroy_after <= now)
            .returning(CaseEvidenceRow.case_id, CaseEvidenceRow.destroy_after)
        )
        destroyed = list((await session.execute(statement)).all())
        for case_id, destroy_after in destroyed:
            detail = {"destroy_after": destroy_after.isoformat()}
            self._event(session, case_id, RETENTION_ACTOR, "evidence_destroyed", detail)
        await session.flush()
        return len(destroyed)
