"""Statement helpers every repository shares: the dialect's INSERT, and counted UPDATE/DELETE.

`INSERT ... ON CONFLICT DO NOTHING` exists on both PostgreSQL and SQLite but lives in each
dialect's own `insert`, so repositories ask for it here rather than each picking a dialect.
https://docs.sqlalchemy.org/en/20/orm/queryguide/dml.html#orm-upsert-statements
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, model: Any) -> Any:
    """The dialect's INSERT (of a mapped class or a Table), with `on_conflict_do_nothing`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")


async def affected(session: AsyncSession, statement: Any) -> int:
    """Run an UPDATE or DELETE without syncing the identity map; the number of rows hit."""
    options = {"synchronize_session": False}
    result = await session.execute(statement.execution_options(**options))
    return int(cast(CursorResult[Any], result).rowcount)
