"""Database fixtures, on SQLite (always) and PostgreSQL (when configured).

PostgreSQL runs when SARING_TEST_POSTGRES_URL points at a server database the tests may use
to create and drop their own databases. Without it those cases are skipped, unless
SARING_REQUIRE_POSTGRES=1 (CI), which turns the skip into a failure.

Isolation per test:
- SQLite: a copy of a template file migrated once per session (fast, no SAVEPOINT quirks).
- PostgreSQL: one database per session (``saring_test_<pid>``), migrated once; every table is
  truncated before each test. Truncation instead of an outer rolled-back transaction keeps real
  commits, so tests can open several sessions, see each other's commits and race them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.base import Base
from bot.db.migrate import upgrade_to_head
from bot.db.session import create_engine, create_session_factory

POSTGRES_URL_ENV = "SARING_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "SARING_REQUIRE_POSTGRES"

DIALECTS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def run_blocking(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine from a synchronous session fixture, whatever loop pytest runs."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def postgres_server_url() -> str:
    """The configured server URL, or skip/fail the calling test as the environment demands."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if url:
        return url
    if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {POSTGRES_URL_ENV} is not set", pytrace=False)
    pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_ENV}")


async def _admin(server_url: str, statement: str) -> None:
    engine = create_engine(server_url)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


class PostgresDatabases:
    """Creates throw-away databases on the test server and drops them all at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.names: list[str] = []
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.prefix = f"saring_test_{worker}_{os.getpid()}"

    def create(self) -> str:
        name = f"{self.prefix}_{len(self.names)}"
        try:
            run_blocking(_admin(self.server_url, f'DROP DATABASE IF EXISTS "{name}"'))
            run_blocking(_admin(self.server_url, f'CREATE DATABASE "{name}"'))
        except OSError as error:  # refused connection: say which URL, not a bare traceback
            shown = make_url(self.server_url).render_as_string(hide_password=True)
            pytest.fail(f"cannot reach PostgreSQL at {shown}: {error}", pytrace=False)
        self.names.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in self.names:
            run_blocking(_admin(self.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(postgres_server_url())
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def postgres_migrated_url(postgres_databases: PostgresDatabases) -> str:
    url = postgres_databases.create()
    run_blocking(upgrade_to_head(url))
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    run_blocking(upgrade_to_head(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        postgres_server_url()
    return str(request.param)


@pytest.fixture
def db_url(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a database migrated to head and empty of rows, private to this test."""
    if dialect == "sqlite":
        path = tmp_path / "saring.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    return str(request.getfixturevalue("postgres_migrated_url"))


@pytest.fixture
def empty_db_url(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a database with no tables at all, for migration tests."""
    if dialect == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.create()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    if engine.dialect.name == "postgresql":
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)
