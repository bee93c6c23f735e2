"""Engine and session factories; callers own the instances, nothing lives at module level.

SQLite is tuned on every new DBAPI connection: foreign keys are off by default in SQLite and
WAL keeps the file consistent across crashes with cheap commits. pysqlite's own transaction
handling is replaced by an explicit BEGIN so that SAVEPOINTs and transactional DDL behave as
documented in
https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
The BEGIN is IMMEDIATE: a deferred transaction that reads and then writes fails at once with
"database is locked" when another connection wrote in between (no busy wait applies), whereas
IMMEDIATE takes the write lock up front and waits up to the busy timeout. Transactions are
therefore serialised on SQLite; they are short, and PostgreSQL is the multi-writer deployment.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

# How long an SQLite writer waits for another writer before "database is locked" (seconds).
SQLITE_BUSY_TIMEOUT_S = 15.0
# Steady connections for the inbox worker and dispatcher, little overflow (opening and closing
# overflow connections under load showed in profiles); 20 per replica leaves PostgreSQL's
# default 100 connections room for four replicas and the CLI.
POSTGRES_POOL_SIZE = 15
POSTGRES_POOL_OVERFLOW = 5
POOL_RECYCLE_S = 1800


# A JSON "\u0000" escape preceded by an even number of backslashes (an odd number would make
# it the text "\u0000", which PostgreSQL accepts).
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def json_for_postgres(value: Any) -> str:
    """JSON that PostgreSQL's jsonb accepts: NUL characters become U+FFFD.

    jsonb refuses the NUL character ("unsupported Unicode escape sequence"), so an update
    whose text held one could never be stored, and the webhook would answer 503 to every
    redelivery. NUL means nothing in a chat message; the checker drops control characters.
    """
    text = json.dumps(value)
    if "\\u0000" not in text:
        return text
    return _NUL_ESCAPE.sub(lambda match: match.group(1) + "\\ufffd", text)


def create_engine(url: str, *, foreign_keys: bool = True, echo: bool = False) -> AsyncEngine:
    """Create the application's async engine.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite+aiosqlite:///path.db`` or
            ``postgresql+asyncpg://user@host/db``.
        foreign_keys: SQLite only. Migrations turn it off because batch mode rebuilds tables,
            and dropping a referenced table with enforcement on deletes or rejects rows.
        echo: log every statement (debugging only).

    Returns:
        An engine the caller must ``await engine.dispose()``.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping: it costs a round trip on every checkout, a sixth of the database
        # time of an update (benchmarks/pipeline.py). A connection that died with the server
        # fails its statement instead, and the inbox worker retries the update.
        return _create_async_engine(
            parsed,
            echo=echo,
            json_serializer=json_for_postgres,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_POOL_OVERFLOW,
            pool_recycle=POOL_RECYCLE_S,
        )
    engine = _create_async_engine(
        parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}
    )
    _tune_sqlite(engine, foreign_keys=foreign_keys)
    return engine


def _tune_sqlite(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    """Install the per-connection PRAGMAs and the explicit BEGIN on an SQLite engine."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        # Autocommit at the driver level; SQLAlchemy's "begin" hook below opens transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the session factory; objects stay readable after commit (no lazy reloads)."""
    return async_sessionmaker(engine, expire_on_commit=False)
