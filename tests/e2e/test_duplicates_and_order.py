"""P2 (duplicate deliveries have no effect) and P4 (per-chat order), across two replicas.

Two in-process replicas are two complete Saring web apps (own PTB Application, own inbox
worker with its own worker id, own connection pool) sharing one database and one fake Bot
API, which is what two pods behind a load balancer look like to Telegram and to PostgreSQL.

CI scale (2 cores): P2 sends 300 updates 3 times each (the promise says 1,000); P4 runs
20 chats × 10 messages (the promise says 50 × 20). The shape is kept: every copy of an
update is in flight at once on both replicas; every message of every chat is in the inbox
before most replies went out, with Bot API latency drawn uniformly from 0–200 ms.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import build_application
from bot.db.models import CheckRow, InboxRow
from bot.inbox.worker import InboxWorker
from bot.services import create_services
from bot.web.app import Mode, create_web_app
from tests import factories as f
from tests.e2e.conftest import Saring, e2e_settings
from tests.e2e.fake_bot_api import Call, FakeBotApi

POSTGRES_ONLY = pytest.mark.parametrize(
    "dialect", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
Replicas = Callable[[int], Any]


@pytest.fixture
async def replicas(fake: FakeBotApi, db_url: str, engine: Any) -> AsyncIterator[Replicas]:
    """`await replicas(2)`: that many Saring replicas on the test database."""
    started: list[Saring] = []

    async def start(count: int) -> list[Saring]:
        for index in range(count):
            services = await create_services(e2e_settings(fake, db_url))
            application = build_application(services.settings, services)
            worker = InboxWorker(services.sessions, application, worker_id=f"replica-{index}")
            app = create_web_app(
                services, application, Mode.WEBHOOK, worker=worker, background_jobs=False
            )
            client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
            await client.start_server()
            started.append(Saring(client, fake, services))
        return started

    yield start
    for running in started:
        await running.client.close()
        await running.services.close()


async def count(saring: Saring, model: type) -> int:
    async with saring.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def integrity_errors(records: list[logging.LogRecord]) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage() + repr(record.exc_info[1] if record.exc_info else "")
        if "IntegrityError" in text or "UniqueViolation" in text:
            found.append(text)
    return found


@POSTGRES_ONLY
async def test_when_each_update_arrives_three_times_on_two_replicas_then_it_counts_once(
    replicas: Replicas, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    first, second = await replicas(2)
    rng = random.Random(2)
    users = [5000 + i % 30 for i in range(300)]  # 30 chats, 10 updates each
    updates = [
        f.update_json(f.message_json(f"Pesan nomor {i} untuk dicek", user_id=u, chat_id=u))
        for i, u in enumerate(users)
    ]
    # Each copy goes to a replica chosen at random, shuffled, 40 in flight (Telegram's
    # max_connections); like Telegram, a copy answered with anything but 200 is sent again.
    gate = asyncio.Semaphore(40)

    async def post(node: Saring, update: dict[str, Any]) -> None:
        async with gate:
            while (await node.post(update)).status != 200:
                await asyncio.sleep(0.2)

    posts = [post(rng.choice((first, second)), u) for u in updates for _ in range(3)]
    rng.shuffle(posts)
    await asyncio.gather(*posts)
    replies = await fake.wait_for("sendMessage", count=300, timeout=90)
    await asyncio.sleep(1.0)  # a duplicate reply would go out now
    replies = fake.sent("sendMessage")
    assert len(replies) == 300
    targets = {(c.chat_id, c.params["reply_parameters"]["message_id"]) for c in replies}
    assert targets == {(u["message"]["chat"]["id"], u["message"]["message_id"]) for u in updates}
    assert await count(first, CheckRow) == 300
    assert await count(first, InboxRow) == 300
    async with first.services.sessions() as session:
        references = set(await session.scalars(select(CheckRow.reference)))
    assert len(references) == 300
    assert {c.params["text"].splitlines()[-1].split()[1] for c in replies} == references
    assert integrity_errors(caplog.records) == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_when_many_chats_send_bursts_under_api_latency_then_each_chat_keeps_its_order(
    replicas: Replicas, fake: FakeBotApi
) -> None:
    nodes = await replicas(2)
    fake.set_latency(0.0, 0.2, seed=4)
    chats = [6000 + n for n in range(20)]
    # Built chat-interleaved, like Telegram numbers updates: ids rise in each chat's order.
    sent: dict[int, list[dict[str, Any]]] = {chat: [] for chat in chats}
    for i in range(10):
        for chat in chats:
            message = f.message_json(f"Pesan ke-{i} dari {chat}", user_id=chat, chat_id=chat)
            sent[chat].append(f.update_json(message))

    async def deliver_chat(chat: int) -> None:
        """One chat's messages in order, alternating replicas, without waiting for replies."""
        for i, update in enumerate(sent[chat]):
            await nodes[i % len(nodes)].deliver(update)

    await asyncio.gather(*(deliver_chat(chat) for chat in chats))
    await fake.wait_for("sendMessage", count=200, timeout=90)
    for chat in chats:
        calls = fake.sent("sendMessage", chat_id=chat)
        expected = [u["message"]["message_id"] for u in sent[chat]]
        assert [c.params["reply_parameters"]["message_id"] for c in calls] == expected
        assert inversions(calls) == 0


def inversions(calls: list[Call]) -> int:
    """Replies of one chat whose send began before the previous one was answered."""
    return sum(
        1
        for before, after in itertools.pairwise(calls)
        if before.done_at is None or after.at < before.done_at
    )
