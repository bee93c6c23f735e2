"""End-to-end harness: the production web app and PTB stack against the local fake Bot API.

Nothing inside Saring is mocked. Updates go in over real HTTP to the webhook route; replies
leave through python-telegram-bot, httpx and HTTP to the fake, which records them. The
database is a real one (SQLite and PostgreSQL, through the shared `db_url` fixture).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.app import build_application
from bot.db.inbox import InboxRepository
from bot.services import Services, create_services
from bot.settings import Settings
from bot.web.app import Mode, create_web_app
from bot.web.webhook import SECRET_HEADER, WEBHOOK_PATH
from tests.e2e.fake_bot_api import Call, FakeBotApi

TOKEN = "123456:TEST-token-for-e2e-tests-only"
SECRET = "webhook-secret-for-e2e-0123456789"
ADMIN_ID = 7001
OFFICIAL_CHANNEL = -1001000000001


@dataclass
class Saring:
    """A running Saring, its fake Telegram and its services, driven like Telegram would."""

    client: TestClient[Any, Any]
    fake: FakeBotApi
    services: Services

    async def post(self, update: dict[str, Any], *, secret: str | None = SECRET) -> ClientResponse:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return await self.client.post(WEBHOOK_PATH, json=update, headers=headers)

    async def deliver(self, update: dict[str, Any]) -> None:
        response = await self.post(update)
        assert response.status == 200, await response.text()

    async def reply_to(self, chat_id: int, *, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait for `count` messages sent to `chat_id` and return them all."""
        return await self.fake.wait_for(
            "sendMessage", count=count, timeout=timeout, predicate=lambda c: c.chat_id == chat_id
        )

    def sent_to(self, chat_id: int, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.fake.sent(method) if c.chat_id == chat_id]

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until the worker has settled every stored update (and erased its payload).

        A reply or alert can reach Telegram before the worker commits the settle, so a test
        that reads the inbox table right after seeing a reply must wait for this first.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            async with self.services.sessions() as session:
                backlog = await InboxRepository().backlog(session=session)
            if backlog.pending == backlog.processing == 0:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"inbox not settled in {timeout}s: {backlog}")
            await asyncio.sleep(0.02)


def e2e_settings(fake: FakeBotApi, db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_token": SecretStr(TOKEN),
        "telegram_api_url": fake.base_url,
        "database_url": db_url,
        "webhook_url": "https://saring.example.go.id/telegram/webhook",
        "webhook_secret": SecretStr(SECRET),
        "admin_ids": frozenset({ADMIN_ID}),
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN) as api:
        yield api


@pytest.fixture
async def start_saring(
    fake: FakeBotApi,
    db_url: str,
    engine: Any,  # `engine` empties PostgreSQL tables first
) -> AsyncIterator[Callable[..., Any]]:
    """Start Saring (webhook mode, as production runs); stopped at the end of the test."""
    started: list[Saring] = []

    async def start(mode: Mode = Mode.WEBHOOK, **overrides: Any) -> Saring:
        settings = e2e_settings(fake, db_url, **overrides)
        services = await create_services(settings)
        await services.sources.add(
            "telegram_channel", str(OFFICIAL_CHANNEL), name="Diskominfotik DKI (uji)", actor="test"
        )
        application = build_application(settings, services)
        app = create_web_app(services, application, mode, background_jobs=False)
        client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        running = Saring(client, fake, services)
        started.append(running)
        return running

    yield start
    for running in started:
        await running.client.close()
        await running.services.close()


@pytest.fixture
async def saring(start_saring: Callable[..., Any]) -> Saring:
    running: Saring = await start_saring()
    return running
