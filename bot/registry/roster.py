"""`saring roster import`: the staff roster that ties roles to numeric Telegram ids.

Rows are validated as a whole before anything is written: an HR export with one broken row
should be fixed and re-imported, not half applied.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checking.identifiers import is_valid_nip
from bot.db.staff import ROLES, RosterEntry, RosterReport, StaffRepository
from bot.identities import NOT_PEOPLE
from bot.registry.files import ImportFileError, Row, read_rows

COLUMNS = ("nip", "name", "unit_code", "unit_name", "role")
OPTIONAL = ("telegram_user_id",)


def parse_entry(row: Row) -> RosterEntry:
    """Raises ValueError naming the field that is wrong."""
    fields = row.fields
    nip = "".join(fields["nip"].split())
    if not is_valid_nip(nip):
        raise ValueError(f"nip {fields['nip']!r} is not a valid 18-digit NIP")
    role = fields["role"].strip().lower()
    if role not in ROLES:
        raise ValueError(f"role {fields['role']!r} must be one of {', '.join(ROLES)}")
    raw_id = fields.get("telegram_user_id", "").strip()
    user_id: int | None = None
    if raw_id:
        if not raw_id.isdigit() or int(raw_id) in NOT_PEOPLE:
            raise ValueError(f"telegram_user_id {raw_id!r} must be a person's numeric id")
        user_id = int(raw_id)
    return RosterEntry(
        nip=nip,
        name=fields["name"].strip(),
        unit_code=fields["unit_code"].strip(),
        unit_name=fields["unit_name"].strip(),
        role=role,
        telegram_user_id=user_id,
    )


async def import_roster(
    sessions: async_sessionmaker[AsyncSession], path: Path, *, actor: str
) -> RosterReport:
    """Validate every row, then upsert units and staff in one transaction.

    Raises:
        ImportFileError: every bad line, with its line number; nothing is written.
    """
    entries: list[RosterEntry] = []
    problems: list[str] = []
    for row in read_rows(path, COLUMNS, OPTIONAL):
        try:
            entries.append(parse_entry(row))
        except ValueError as exc:
            problems.append(f"{path}:{row.line}: {exc}")
    if problems:
        raise ImportFileError(problems)
    async with sessions.begin() as session:
        return await StaffRepository().import_roster(session=session, rows=entries, actor=actor)
