"""Persistence: ORM models, engine and session factories, repositories and migrations.

Only this package talks to the database. Repositories take an `AsyncSession` and never commit;
the caller owns the unit of work through `async with sessions.begin() as session:`.
"""

from bot.db import case_models  # noqa: F401  (registers the escalation tables)
from bot.db.base import Base
from bot.db.migrate import ensure_database, upgrade_to_head
from bot.db.models import AuditRow, HoaxRow, SourceRow
from bot.db.repositories import (
    AuditRepository,
    DuplicateSourceError,
    HoaxRepository,
    SeedOutcome,
    SourceRepository,
    hoax_text_hash,
)
from bot.db.session import create_engine, create_session_factory

__all__ = [
    "AuditRepository",
    "AuditRow",
    "Base",
    "DuplicateSourceError",
    "HoaxRepository",
    "HoaxRow",
    "SeedOutcome",
    "SourceRepository",
    "SourceRow",
    "create_engine",
    "create_session_factory",
    "ensure_database",
    "hoax_text_hash",
    "upgrade_to_head",
]
