"""Schema migrations through the Alembic API, usable from inside a running event loop.

The migration connection is opened here and handed to `alembic/env.py` through
``Config.attributes["connection"]`` (Alembic cookbook, "Programmatic API use (connection
sharing) with asyncio"), so env.py never starts its own loop. The Config is built in code and
points at the `alembic/` directory next to the `bot/` package, so it works from any cwd.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from alembic import command
from bot.db.session import create_engine

# The repository root is the parent of the `bot/` package; `alembic/` lives there.
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SCRIPT_LOCATION = REPOSITORY_ROOT / "alembic"
# Arbitrary constant identifying "a Saring migration is running" among PostgreSQL advisory locks.
MIGRATION_LOCK_KEY = 0x5A5249_4E47


def alembic_config() -> Config:
    """Build the Alembic Config without reading alembic.ini or touching logging.

    Raises:
        FileNotFoundError: if the migration scripts are not next to the package.
    """
    if not (SCRIPT_LOCATION / "env.py").is_file():
        raise FileNotFoundError(f"Alembic scripts not found at {SCRIPT_LOCATION}")
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """The revision the code expects the database to be at."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migration revisions found")
    return head


async def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision`."""
    await _run(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str, revision: str) -> None:
    """Downgrade the database at `url` to `revision` ("base" removes every table)."""
    await _run(url, lambda config: command.downgrade(config, revision))


async def upgrade_to_head(url: str) -> None:
    """Bring the schema at `url` up to the newest revision; a no-op when already there."""
    await upgrade(url, "head")


async def ensure_database(url: str) -> None:
    """First-use bootstrap: create the SQLite file's directory, then migrate to head.

    Safe to call at every start. An in-memory SQLite URL is pointless here because the
    migrated connection is closed afterwards.
    """
    parsed = make_url(url)
    database = parsed.database or ""
    is_file = database not in ("", ":memory:") and not database.startswith("file:")
    if parsed.get_backend_name() == "sqlite" and is_file:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    await upgrade_to_head(url)


async def _run(url: str, action: Callable[[Config], None]) -> None:
    """Open one connection in a transaction and run a synchronous Alembic command on it.

    On PostgreSQL a transaction-scoped advisory lock serialises replicas that start together:
    the second waits, then finds the schema at head instead of racing to create it.
    """
    engine = create_engine(url, foreign_keys=False)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(_with_connection, action)
    finally:
        await engine.dispose()


def _with_connection(connection: Connection, action: Callable[[Config], None]) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    action(config)
