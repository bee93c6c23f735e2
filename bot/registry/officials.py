"""Which officials Saring can alert directly, and why not the others (RELIABILITY P9).

A bot may only write to a person who pressed /start, and a person who blocked it answers
403; both are routed to the policy's fallback recipient, and listed here so Diskominfotik can
chase them before a case depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.contacts import ContactRepository
from bot.db.staff import StaffRepository

OFFICIAL_ROLES = ("unit_head", "ppk", "admin")


@dataclass(frozen=True, slots=True)
class OfficialStatus:
    name: str
    role: str
    unit_code: str
    telegram_user_id: int | None
    problem: str | None  # None: reachable; else "not linked", "never started", "blocked: ..."


async def officials_status(session: AsyncSession) -> list[OfficialStatus]:
    """Every unit head, PPK and admin of the roster, with whether alerts can reach them."""
    staff, contacts = StaffRepository(), ContactRepository()
    unreachable = {row.chat_id: row for row in await contacts.unreachable(session=session)}
    statuses: list[OfficialStatus] = []
    for role in OFFICIAL_ROLES:
        for person in await staff.with_role(session=session, role=role):
            user_id = person.telegram_user_id
            problem: str | None = None
            if user_id is None:
                problem = "not linked"
            elif user_id in unreachable:
                problem = f"unreachable: {unreachable[user_id].unreachable_reason}"
            elif not await contacts.is_reachable(session=session, chat_id=user_id):
                problem = "never started"
            statuses.append(
                OfficialStatus(person.name, person.role, person.unit_code, user_id, problem)
            )
    return statuses
