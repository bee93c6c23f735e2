"""The staff roster (from BKD) and the link between a NIP and a numeric Telegram user id.

Roles are tied to the numeric Telegram id, never a username (DESIGN "Data and privacy",
RELIABILITY P11). A link is never moved silently: a NIP already linked to another account, or
an account already linked to another NIP, is refused and left to an admin. A NIP is printed on
letters and ID cards, so knowing one proves little: self-linking is limited to plain ASN
accounts unless the caller says the request is vetted (`allow_privileged`), otherwise anyone
could enrol as a unit head and receive escalation evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dml import affected, dialect_insert
from bot.db.models import STAFF_ROLES, StaffRow, UnitRow
from bot.db.repositories import AuditRepository, Clock, utc_now

ROLES = STAFF_ROLES
PRIVILEGED_ROLES = frozenset(ROLES) - {"asn"}

__all__ = [
    "PRIVILEGED_ROLES",
    "ROLES",
    "LinkResult",
    "RosterEntry",
    "RosterReport",
    "StaffRepository",
    "StaffRow",
]


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One roster line, already validated by the caller (NIP digits, role in ROLES)."""

    nip: str
    name: str
    unit_code: str
    unit_name: str
    role: str
    telegram_user_id: int | None = None


@dataclass(slots=True)
class RosterReport:
    """What an import did; `conflicts` are human-readable lines for the admin."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)


class LinkResult(StrEnum):
    """Outcome of an ASN linking their Telegram account to their NIP."""

    LINKED = "linked"
    ALREADY_LINKED_SAME = "already_linked_same"
    NIP_UNKNOWN = "nip_unknown"
    NIP_TAKEN = "nip_taken"  # linked to another Telegram account: only an admin reassigns
    USER_HAS_OTHER_NIP = "user_has_other_nip"  # this account already speaks for another NIP
    NEEDS_ADMIN = "needs_admin"  # unit head, PPK or admin role: link through the roster


class StaffRepository:
    """Roster import, Telegram links and role look-ups."""

    def __init__(self, *, audit: AuditRepository | None = None, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._audit = audit or AuditRepository(clock=clock)

    async def import_roster(
        self, *, session: AsyncSession, rows: list[RosterEntry], actor: str
    ) -> RosterReport:
        """Upsert units and staff by NIP; a Telegram id linked to another NIP is not moved.

        Staff missing from the file are left alone (a partial file must not unlink anyone).
        """
        await self._upsert_units(session, rows)
        plan = _RosterPlan(list(await session.scalars(select(StaffRow))), self._clock())
        for entry in rows:
            plan.take(entry)
        # Links move in two steps (unlink, flush, link) so that two rows swapping accounts
        # never collide on the unique constraint in the middle of a flush.
        await session.flush()
        for row, telegram_id in plan.relinks:
            row.telegram_user_id, row.linked_at = telegram_id, plan.now
        if plan.inserts:
            await session.execute(dialect_insert(session, StaffRow), plan.inserts)
        await session.flush()
        report = plan.report
        await self._audit.record(
            session=session,
            actor=actor,
            action="roster.import",
            entity="roster",
            entity_key="staff",
            before=None,
            after={
                "rows": len(rows),
                "added": report.added,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "conflicts": len(report.conflicts),
            },
        )
        return report

    async def _upsert_units(self, session: AsyncSession, rows: list[RosterEntry]) -> None:
        names = {entry.unit_code: entry.unit_name for entry in rows}  # last line wins
        if not names:
            return
        statement = dialect_insert(session, UnitRow).values(
            [{"code": code, "name": name} for code, name in names.items()]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["code"], set_={"name": statement.excluded.name}
        )
        await session.execute(statement)

    async def link_telegram(
        self,
        *,
        session: AsyncSession,
        nip: str,
        telegram_user_id: int,
        actor: str,
        allow_privileged: bool = False,
    ) -> LinkResult:
        """Link an account to a NIP if both are free; every link made is audited.

        Args:
            allow_privileged: the caller vetted the request (an admin acting); without it,
                roles other than ``asn`` are refused with NEEDS_ADMIN.
        """
        staff = (await session.scalars(select(StaffRow).where(StaffRow.nip == nip))).first()
        if staff is None:
            return LinkResult.NIP_UNKNOWN
        if staff.telegram_user_id == telegram_user_id:
            return LinkResult.ALREADY_LINKED_SAME
        if staff.telegram_user_id is not None:
            return LinkResult.NIP_TAKEN
        if await self.by_telegram_id(session=session, telegram_user_id=telegram_user_id):
            return LinkResult.USER_HAS_OTHER_NIP
        if staff.role in PRIVILEGED_ROLES and not allow_privileged:
            return LinkResult.NEEDS_ADMIN
        result = await self._link_if_free(session, nip, telegram_user_id)
        if result is not LinkResult.LINKED:
            return result
        await self._audit.record(
            session=session,
            actor=actor,
            action="staff.link",
            entity="staff",
            entity_key=nip,
            before={"telegram_user_id": None},
            after={"telegram_user_id": telegram_user_id},
        )
        return LinkResult.LINKED

    async def _link_if_free(
        self, session: AsyncSession, nip: str, telegram_user_id: int
    ) -> LinkResult:
        """The conditional UPDATE that settles races with a concurrent link."""
        statement = (
            update(StaffRow)
            .where(StaffRow.nip == nip, StaffRow.telegram_user_id.is_(None))
            .values(telegram_user_id=telegram_user_id, linked_at=self._clock())
        )
        try:
            async with session.begin_nested():
                changed = await affected(session, statement)
        except IntegrityError:  # the account was linked to another NIP meanwhile
            return LinkResult.USER_HAS_OTHER_NIP
        if changed == 1:
            return LinkResult.LINKED
        holder = await session.scalar(select(StaffRow.telegram_user_id).where(StaffRow.nip == nip))
        return (
            LinkResult.ALREADY_LINKED_SAME if holder == telegram_user_id else LinkResult.NIP_TAKEN
        )

    async def by_telegram_id(
        self, *, session: AsyncSession, telegram_user_id: int
    ) -> StaffRow | None:
        """The roster entry this account is linked to, if any."""
        query = select(StaffRow).where(StaffRow.telegram_user_id == telegram_user_id)
        return (await session.scalars(query)).first()

    async def role_of(self, *, session: AsyncSession, telegram_user_id: int) -> str | None:
        """The role of a linked account; None for accounts not in the roster."""
        query = select(StaffRow.role).where(StaffRow.telegram_user_id == telegram_user_id)
        return await session.scalar(query)

    async def unit_heads(self, *, session: AsyncSession, unit_code: str) -> list[StaffRow]:
        """Heads of a unit, linked or not (an unlinked head is unreachable: report it)."""
        query = select(StaffRow).where(
            StaffRow.unit_code == unit_code, StaffRow.role == "unit_head"
        )
        return list(await session.scalars(query.order_by(StaffRow.nip)))

    async def with_role(self, *, session: AsyncSession, role: str) -> list[StaffRow]:
        """Everyone holding `role`, linked or not, by NIP."""
        query = select(StaffRow).where(StaffRow.role == role).order_by(StaffRow.nip)
        return list(await session.scalars(query))

    async def units(self, *, session: AsyncSession) -> list[UnitRow]:
        """Every unit of the roster, by code."""
        return list(await session.scalars(select(UnitRow).order_by(UnitRow.code)))


class _RosterPlan:
    """Decides, line by line, what an import does to the loaded staff rows."""

    def __init__(self, staff: list[StaffRow], now: datetime) -> None:
        self.now = now
        self.existing = {row.nip: row for row in staff}
        self.owner = {row.telegram_user_id: row.nip for row in staff if row.telegram_user_id}
        self.report = RosterReport()
        self.inserts: list[dict[str, object]] = []
        self.relinks: list[tuple[StaffRow, int]] = []

    def take(self, entry: RosterEntry) -> None:
        telegram_id = entry.telegram_user_id
        holder = self.owner.get(telegram_id) if telegram_id is not None else None
        if telegram_id is not None and holder not in (None, entry.nip):
            self.report.conflicts.append(
                f"NIP {entry.nip}: akun Telegram {telegram_id} sudah tertaut ke NIP {holder};"
                " tautan tidak dipindahkan"
            )
            telegram_id = None
        current = self.existing.get(entry.nip)
        if current is None:
            self.inserts.append(_new_staff(entry, telegram_id, self.now))
            self.report.added += 1
        else:
            fields_changed = _apply(current, entry, self.now)
            relinked = self._unlink_for_relink(current, telegram_id)
            if relinked and telegram_id is not None:
                self.relinks.append((current, telegram_id))
            if fields_changed or relinked:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        if telegram_id is not None:
            self.owner[telegram_id] = entry.nip

    def _unlink_for_relink(self, row: StaffRow, telegram_id: int | None) -> bool:
        """First step of moving a row to the roster's account: drop its current one."""
        if telegram_id is None or row.telegram_user_id == telegram_id:
            return False
        if row.telegram_user_id is not None:
            self.owner.pop(row.telegram_user_id, None)
        row.telegram_user_id = None
        row.updated_at = self.now
        return True


def _new_staff(entry: RosterEntry, telegram_id: int | None, now: datetime) -> dict[str, object]:
    return {
        "nip": entry.nip,
        "name": entry.name,
        "unit_code": entry.unit_code,
        "role": entry.role,
        "telegram_user_id": telegram_id,
        "linked_at": now if telegram_id is not None else None,
        "updated_at": now,
    }


def _apply(row: StaffRow, entry: RosterEntry, now: datetime) -> bool:
    """Copy the roster's name, unit and role onto a loaded row; whether anything changed."""
    wanted = {"name": entry.name, "unit_code": entry.unit_code, "role": entry.role}
    changed = {key: value for key, value in wanted.items() if getattr(row, key) != value}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed:
        row.updated_at = now
    return bool(changed)
