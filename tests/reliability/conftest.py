"""Fixtures of the reliability suite: a fresh PostgreSQL database, the fake Bot API, replicas.

These tests start and kill real processes for minutes, so they run only when asked:
``SARING_RELIABILITY=1`` (``make test-reliability``). When asked, a missing PostgreSQL is a
failure, not a skip: a green run must mean the promises were actually exercised.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.db.migrate import upgrade_to_head
from tests.e2e.fake_bot_api import FakeBotApi
from tests.reliability.harness import SECRET, TOKEN, BotProcess, Supervisor, execute

ENABLE_ENV = "SARING_RELIABILITY"
POSTGRES_URL_ENV = "SARING_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
_counter = iter(range(1_000_000))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: kills and restarts real bot processes (SARING_RELIABILITY=1)"
    )


@pytest.fixture(autouse=True)
def _only_when_asked() -> None:
    if os.environ.get(ENABLE_ENV) != "1":
        pytest.skip(f"reliability tests run only with {ENABLE_ENV}=1 (make test-reliability)")


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL


@pytest.fixture
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """A new PostgreSQL database migrated to head, dropped after the test."""
    name = f"saring_reliability_{os.getpid()}_{next(_counter)}"
    try:
        await execute(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}"', autocommit=True)
        await execute(postgres_server_url, f'CREATE DATABASE "{name}"', autocommit=True)
    except OSError as error:
        shown = make_url(postgres_server_url).render_as_string(hide_password=True)
        pytest.fail(f"{ENABLE_ENV}=1 but PostgreSQL at {shown} is unreachable: {error}")
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_to_head(url)  # once, before replicas race to do it
        yield url
    finally:
        for statement in (
            f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true',  # in case P8 left it closed
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        ):
            await execute(postgres_server_url, statement, autocommit=True)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN) as api:
        yield api


BotFactory = Callable[..., BotProcess]


@pytest.fixture
def bot_factory(fake_api: FakeBotApi, tmp_path: Path) -> Iterator[BotFactory]:
    """Builds replicas against the fake API; every one is SIGKILLed at the end, whatever happens."""
    made: list[BotProcess] = []

    def make(name: str, database_url: str) -> BotProcess:
        env = {
            "SARING_TELEGRAM_TOKEN": TOKEN,
            "SARING_TELEGRAM_API_URL": fake_api.base_url,
            "SARING_DATABASE_URL": database_url,
            "SARING_WEBHOOK_URL": "https://x.invalid/telegram/webhook",
            "SARING_WEBHOOK_SECRET": SECRET,
            "PTB_TIMEDELTA": "true",
        }
        replica = BotProcess(name, env, tmp_path / f"{name}.log")
        made.append(replica)
        return replica

    yield make
    for replica in made:
        replica.kill()


@pytest.fixture
async def supervised(
    database_url: str, bot_factory: BotFactory
) -> AsyncIterator[Callable[..., Awaitable[Supervisor]]]:
    """Start replicas under a Supervisor; always shut down (SIGTERM, then SIGKILL) at the end."""
    supervisors: list[Supervisor] = []

    async def start(*replicas: BotProcess, restart_delay: float = 0.0) -> Supervisor:
        supervisor = Supervisor(replicas, restart_delay=restart_delay)
        supervisors.append(supervisor)
        await supervisor.start()
        return supervisor

    yield start
    for supervisor in supervisors:
        await supervisor.shutdown()
