"""Repositories for the source registry, the hoax database and the audit log.

Every method takes a keyword-only `session` and never commits, so a handler or CLI command
groups several changes into one transaction (`async with sessions.begin() as session:`).
Inserts use the dialect's ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: under concurrency the
loser sees "no row returned" instead of an IntegrityError that would poison its transaction.
https://docs.sqlalchemy.org/en/20/orm/queryguide/dml.html#orm-upsert-statements
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dml import dialect_insert
from bot.db.models import AuditRow, HoaxRow, SourceRow

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Default clock: an aware UTC timestamp."""
    return datetime.now(UTC)


class DuplicateSourceError(Exception):
    """The registry already holds a source with this kind and value."""

    def __init__(self, kind: str, value: str) -> None:
        super().__init__(f"source {kind}:{value} already exists")
        self.kind = kind
        self.value = value


class SeedOutcome(StrEnum):
    """What seeding did with one entry of config/sources.yaml."""

    INSERTED = "inserted"
    PRESENT = "present"  # a row exists (seeded earlier or added by an admin): left untouched
    REMOVED = "removed"  # an admin removed it once: seeding must not bring it back


def hoax_text_hash(text: str) -> str:
    """Hash of a claim that ignores case, Unicode width forms and whitespace layout.

    Re-importing a list that was copied through chat apps (re-wrapped lines, doubled spaces,
    full-width letters) must not create duplicates.
    """
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _source_key(kind: str, value: str) -> str:
    return f"{kind}:{value}"


class AuditRepository:
    """Append-only log of changes made by people, the CLI and seeding."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock

    async def record(
        self,
        *,
        session: AsyncSession,
        actor: str,
        action: str,
        entity: str,
        entity_key: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """Add one audit row in the caller's transaction, so it commits with the change."""
        session.add(
            AuditRow(
                at=self._clock(),
                actor=actor,
                action=action,
                entity=entity,
                entity_key=entity_key,
                before=before,
                after=after,
            )
        )
        await session.flush()

    async def was_removed(self, *, session: AsyncSession, entity: str, entity_key: str) -> bool:
        """Whether anyone ever removed this entity (used to keep seeding from resurrecting it)."""
        query = select(AuditRow.id).where(
            AuditRow.entity == entity,
            AuditRow.entity_key == entity_key,
            AuditRow.action == f"{entity}.remove",
        )
        return (await session.scalars(query.limit(1))).first() is not None

    async def list(
        self, *, session: AsyncSession, entity: str | None = None, limit: int = 100
    ) -> list[AuditRow]:
        """Newest first."""
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        if entity is not None:
            query = query.where(AuditRow.entity == entity)
        return list((await session.scalars(query)).all())


class SourceRepository:
    """The live official-source registry; every change leaves an audit row."""

    def __init__(self, *, audit: AuditRepository | None = None, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._audit = audit or AuditRepository(clock=clock)

    async def add(
        self,
        *,
        session: AsyncSession,
        kind: str,
        value: str,
        name: str,
        actor: str,
        owner_unit: str | None = None,
        seed: bool = False,
        evidence_url: str | None = None,
        checked_on: date | None = None,
    ) -> SourceRow:
        """Add a source whose kind and value are already validated and canonical.

        Raises:
            DuplicateSourceError: the pair exists, including when a concurrent transaction
                committed it first; the caller's transaction stays usable.
        """
        values = {
            "kind": kind,
            "value": value,
            "name": name,
            "owner_unit": owner_unit,
            "seed": seed,
            "evidence_url": evidence_url,
            "checked_on": checked_on,
        }
        return await self._create(session=session, values=values, actor=actor, action="source.add")

    async def upsert_seed(
        self,
        *,
        session: AsyncSession,
        kind: str,
        value: str,
        name: str,
        owner_unit: str | None = None,
        evidence_url: str | None = None,
        checked_on: date | None = None,
        actor: str = "seed",
    ) -> SeedOutcome:
        """Insert a seed entry unless the registry already knows or once removed it.

        An existing row is never overwritten: an admin's edit or own entry wins over the file.
        """
        key = _source_key(kind, value)
        if await self._audit.was_removed(session=session, entity="source", entity_key=key):
            return SeedOutcome.REMOVED
        values = {
            "kind": kind,
            "value": value,
            "name": name,
            "owner_unit": owner_unit,
            "seed": True,
            "evidence_url": evidence_url,
            "checked_on": checked_on,
        }
        try:
            await self._create(session=session, values=values, actor=actor, action="source.seed")
        except DuplicateSourceError:
            return SeedOutcome.PRESENT
        return SeedOutcome.INSERTED

    async def remove(self, *, session: AsyncSession, kind: str, value: str, actor: str) -> bool:
        """Delete a source; False when it was not there (or a concurrent remove won)."""
        statement = (
            delete(SourceRow)
            .where(SourceRow.kind == kind, SourceRow.value == value)
            .returning(*SourceRow.__table__.columns)
        )
        deleted = (await session.execute(statement)).mappings().first()
        if deleted is None:
            return False
        before = SourceRow(**{k: v for k, v in deleted.items() if k != "id"}).snapshot()
        await self._audit.record(
            session=session,
            actor=actor,
            action="source.remove",
            entity="source",
            entity_key=_source_key(kind, value),
            before=before,
            after=None,
        )
        return True

    async def _create(
        self, *, session: AsyncSession, values: dict[str, Any], actor: str, action: str
    ) -> SourceRow:
        kind, value = values["kind"], values["value"]
        statement = (
            dialect_insert(session, SourceRow)
            .values(**values, added_by=actor, added_at=self._clock())
            .on_conflict_do_nothing(index_elements=["kind", "value"])
            .returning(SourceRow)
        )
        row: SourceRow | None = (await session.scalars(statement)).first()
        if row is None:
            raise DuplicateSourceError(kind, value)
        await self._audit.record(
            session=session,
            actor=actor,
            action=action,
            entity="source",
            entity_key=_source_key(kind, value),
            before=None,
            after=row.snapshot(),
        )
        return row

    async def count(self, *, session: AsyncSession) -> int:
        """Number of sources in the registry."""
        return int(await session.scalar(select(func.count()).select_from(SourceRow)) or 0)

    async def list(self, *, session: AsyncSession, kind: str | None = None) -> list[SourceRow]:
        """Sources ordered by kind then value (a stable order for listings and diffs)."""
        query = select(SourceRow).order_by(SourceRow.kind, SourceRow.value)
        if kind is not None:
            query = query.where(SourceRow.kind == kind)
        return list((await session.scalars(query)).all())


class HoaxRepository:
    """Known hoax claims with their clarification links."""

    def __init__(self, *, audit: AuditRepository | None = None, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._audit = audit or AuditRepository(clock=clock)

    async def add(
        self,
        *,
        session: AsyncSession,
        text: str,
        clarification_url: str | None,
        actor: str,
        source: str | None = None,
    ) -> tuple[HoaxRow, bool]:
        """Add a claim unless an equivalent text is stored.

        Returns:
            ``(row, created)``; for a duplicate, the stored row and False, with no audit row.
        """
        text_hash = hoax_text_hash(text)
        statement = (
            dialect_insert(session, HoaxRow)
            .values(
                text=text,
                text_hash=text_hash,
                clarification_url=clarification_url,
                source=source,
                added_by=actor,
                added_at=self._clock(),
            )
            .on_conflict_do_nothing(index_elements=["text_hash"])
            .returning(HoaxRow)
        )
        row: HoaxRow | None = (await session.scalars(statement)).first()
        if row is None:
            existing = await session.scalars(select(HoaxRow).where(HoaxRow.text_hash == text_hash))
            return existing.one(), False
        await self._audit.record(
            session=session,
            actor=actor,
            action="hoax.add",
            entity="hoax",
            entity_key=text_hash,
            before=None,
            after=row.snapshot(),
        )
        return row, True

    async def count(self, *, session: AsyncSession) -> int:
        """Number of stored claims."""
        return int(await session.scalar(select(func.count()).select_from(HoaxRow)) or 0)

    async def list(self, *, session: AsyncSession, limit: int | None = None) -> list[HoaxRow]:
        """Claims, oldest first (the order they were imported)."""
        query = select(HoaxRow).order_by(HoaxRow.added_at, HoaxRow.id).limit(limit)
        return list((await session.scalars(query)).all())
