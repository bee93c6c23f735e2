"""The staff roster and Telegram links against real migrated databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import UnitRow
from bot.db.repositories import AuditRepository
from bot.db.staff import ROLES, LinkResult, RosterEntry, RosterReport, StaffRepository, StaffRow

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
NIP_ASN = "198503122010011001"
NIP_HEAD = "197901012005012002"
NIP_OTHER = "199002022015031003"


def entry(nip: str = NIP_ASN, **overrides: object) -> RosterEntry:
    fields: dict[str, object] = {
        "nip": nip,
        "name": "Budi Santoso",
        "unit_code": "DISKOMINFOTIK",
        "unit_name": "Dinas Komunikasi, Informatika dan Statistik",
        "role": "asn",
        "telegram_user_id": None,
    } | overrides
    return RosterEntry(**fields)  # type: ignore[arg-type]


async def import_roster(sessions: Sessions, *rows: RosterEntry) -> RosterReport:
    async with sessions.begin() as session:
        return await StaffRepository(clock=lambda: T0).import_roster(
            session=session, rows=list(rows), actor="cli:root"
        )


async def staff(sessions: Sessions) -> dict[str, StaffRow]:
    async with sessions() as session:
        return {row.nip: row for row in await session.scalars(select(StaffRow))}


async def link(
    sessions: Sessions, nip: str, telegram_user_id: int, *, allow_privileged: bool = False
) -> LinkResult:
    async with sessions.begin() as session:
        return await StaffRepository(clock=lambda: T0).link_telegram(
            session=session,
            nip=nip,
            telegram_user_id=telegram_user_id,
            actor=f"telegram:{telegram_user_id}",
            allow_privileged=allow_privileged,
        )


def test_when_roles_listed_then_they_match_design() -> None:
    assert ROLES == ("asn", "unit_head", "ppk", "admin")


async def test_when_roster_imported_then_units_and_staff_added_and_audited_with_counts(
    sessions: Sessions,
) -> None:
    report = await import_roster(
        sessions,
        entry(NIP_ASN),
        entry(NIP_HEAD, name="Siti Aminah", role="unit_head", telegram_user_id=5001),
    )
    rows = await staff(sessions)
    async with sessions() as session:
        units = list(await session.scalars(select(UnitRow)))
        (audit,) = await AuditRepository().list(session=session)
    assert report == RosterReport(added=2, updated=0, unchanged=0, conflicts=[])
    assert [(u.code, u.name) for u in units] == [
        ("DISKOMINFOTIK", "Dinas Komunikasi, Informatika dan Statistik")
    ]
    assert (rows[NIP_HEAD].role, rows[NIP_HEAD].telegram_user_id) == ("unit_head", 5001)
    assert rows[NIP_HEAD].linked_at == T0
    assert (rows[NIP_ASN].telegram_user_id, rows[NIP_ASN].linked_at) == (None, None)
    assert (audit.action, audit.actor, audit.entity) == ("roster.import", "cli:root", "roster")
    assert audit.after == {"rows": 2, "added": 2, "updated": 0, "unchanged": 0, "conflicts": 0}


async def test_when_roster_reimported_then_changes_updated_and_the_rest_unchanged(
    sessions: Sessions,
) -> None:
    await import_roster(sessions, entry(NIP_ASN, telegram_user_id=4001), entry(NIP_HEAD))
    report = await import_roster(
        sessions,
        # Moved to another unit (whose name is new) and promoted; no Telegram id in the file:
        # the existing link must stay.
        entry(
            NIP_ASN,
            unit_code="BPBD",
            unit_name="Badan Penanggulangan Bencana Daerah",
            role="unit_head",
        ),
        entry(NIP_HEAD),  # identical
        entry(NIP_OTHER, name="Rina"),  # new
    )
    rows = await staff(sessions)
    assert report == RosterReport(added=1, updated=1, unchanged=1, conflicts=[])
    assert (rows[NIP_ASN].unit_code, rows[NIP_ASN].role) == ("BPBD", "unit_head")
    assert rows[NIP_ASN].telegram_user_id == 4001


async def test_when_unit_renamed_in_roster_then_unit_name_updated(sessions: Sessions) -> None:
    await import_roster(sessions, entry(NIP_ASN))
    await import_roster(sessions, entry(NIP_ASN, unit_name="Diskominfotik DKI"))
    async with sessions() as session:
        names = list(await session.scalars(select(UnitRow.name)))
    assert names == ["Diskominfotik DKI"]


async def test_when_roster_gives_account_linked_to_another_nip_then_conflict_and_no_theft(
    sessions: Sessions,
) -> None:
    await import_roster(sessions, entry(NIP_HEAD, role="unit_head", telegram_user_id=5001))
    report = await import_roster(
        sessions,
        entry(NIP_HEAD, role="unit_head", telegram_user_id=5001),
        entry(NIP_ASN, name="Penyusup", telegram_user_id=5001),
    )
    rows = await staff(sessions)
    assert (report.added, report.unchanged) == (1, 1)
    assert len(report.conflicts) == 1
    assert NIP_ASN in report.conflicts[0] and NIP_HEAD in report.conflicts[0]
    assert rows[NIP_HEAD].telegram_user_id == 5001
    assert (rows[NIP_ASN].name, rows[NIP_ASN].telegram_user_id) == ("Penyusup", None)


async def test_when_roster_swaps_two_accounts_then_both_move_without_constraint_error(
    sessions: Sessions,
) -> None:
    await import_roster(
        sessions, entry(NIP_ASN, telegram_user_id=1), entry(NIP_OTHER, telegram_user_id=2)
    )
    # The admin corrects a mix-up: each NIP gets the other's account. Row order in the file
    # releases 2 before it is taken, so no conflict is reported.
    report = await import_roster(
        sessions, entry(NIP_OTHER, telegram_user_id=3), entry(NIP_ASN, telegram_user_id=2)
    )
    rows = await staff(sessions)
    assert report == RosterReport(added=0, updated=2, unchanged=0, conflicts=[])
    assert (rows[NIP_ASN].telegram_user_id, rows[NIP_OTHER].telegram_user_id) == (2, 3)


async def test_when_roster_names_unknown_role_then_database_refuses(sessions: Sessions) -> None:
    with pytest.raises(IntegrityError):
        await import_roster(sessions, entry(NIP_ASN, role="bupati"))


@pytest.mark.parametrize(
    ("nip", "telegram_user_id", "allow_privileged", "expected"),
    [
        # ASN links their own, free NIP.
        (NIP_ASN, 7001, False, LinkResult.LINKED),
        # Pressing /daftar again with the same NIP.
        (NIP_OTHER, 7002, False, LinkResult.ALREADY_LINKED_SAME),
        # A NIP that is not in the roster.
        ("199901012020121999", 7001, False, LinkResult.NIP_UNKNOWN),
        # Someone else's linked NIP: refused, an admin must reassign.
        (NIP_OTHER, 7001, False, LinkResult.NIP_TAKEN),
        # This account already speaks for another NIP.
        (NIP_ASN, 7002, False, LinkResult.USER_HAS_OTHER_NIP),
        # A unit head's NIP is printed on letters: self-service linking would hand out alerts.
        (NIP_HEAD, 7001, False, LinkResult.NEEDS_ADMIN),
        # The same request vetted by an admin.
        (NIP_HEAD, 7001, True, LinkResult.LINKED),
    ],
)
async def test_when_linking_telegram_then_each_outcome(
    sessions: Sessions,
    nip: str,
    telegram_user_id: int,
    allow_privileged: bool,
    expected: LinkResult,
) -> None:
    await import_roster(
        sessions,
        entry(NIP_ASN),
        entry(NIP_HEAD, role="unit_head"),
        entry(NIP_OTHER, telegram_user_id=7002),
    )
    before = await staff(sessions)
    result = await link(sessions, nip, telegram_user_id, allow_privileged=allow_privileged)
    after = await staff(sessions)
    async with sessions() as session:
        audits = await AuditRepository().list(session=session, entity="staff")

    assert result is expected
    if expected is LinkResult.LINKED:
        assert (after[nip].telegram_user_id, after[nip].linked_at) == (telegram_user_id, T0)
        (audit,) = audits
        assert (audit.action, audit.entity_key, audit.actor) == (
            "staff.link",
            nip,
            f"telegram:{telegram_user_id}",
        )
        assert audit.after == {"telegram_user_id": telegram_user_id}
    else:
        assert {n: r.telegram_user_id for n, r in after.items()} == {
            n: r.telegram_user_id for n, r in before.items()
        }
        assert audits == []


async def test_when_two_accounts_race_for_one_nip_then_exactly_one_links(
    sessions: Sessions,
) -> None:
    await import_roster(sessions, entry(NIP_ASN))
    results = await asyncio.gather(*(link(sessions, NIP_ASN, 8000 + n) for n in range(6)))
    assert sorted(results) == sorted([LinkResult.LINKED] + [LinkResult.NIP_TAKEN] * 5)


async def test_when_one_account_races_for_two_nips_then_only_one_link(sessions: Sessions) -> None:
    await import_roster(sessions, entry(NIP_ASN), entry(NIP_OTHER))
    results = await asyncio.gather(link(sessions, NIP_ASN, 9001), link(sessions, NIP_OTHER, 9001))
    rows = await staff(sessions)
    assert sorted(results) == sorted([LinkResult.LINKED, LinkResult.USER_HAS_OTHER_NIP])
    assert sorted(r.telegram_user_id or 0 for r in rows.values()) == [0, 9001]


async def test_when_looking_up_roles_and_heads_then_by_numeric_id_and_unit(
    sessions: Sessions,
) -> None:
    await import_roster(
        sessions,
        entry(NIP_ASN, telegram_user_id=1),
        entry(NIP_HEAD, role="unit_head", telegram_user_id=2),
        entry(NIP_OTHER, role="unit_head", unit_code="BPBD", unit_name="BPBD"),
        entry("200001012022031004", role="ppk"),
    )
    repo = StaffRepository()
    async with sessions() as session:
        roles = [await repo.role_of(session=session, telegram_user_id=i) for i in (1, 2, 3)]
        me = await repo.by_telegram_id(session=session, telegram_user_id=2)
        heads = await repo.unit_heads(session=session, unit_code="DISKOMINFOTIK")
        ppk = await repo.with_role(session=session, role="ppk")
    assert roles == ["asn", "unit_head", None]
    assert me is not None and me.nip == NIP_HEAD
    assert [h.nip for h in heads] == [NIP_HEAD]  # not BPBD's head
    assert [p.nip for p in ppk] == ["200001012022031004"]  # unlinked officials are listed too
