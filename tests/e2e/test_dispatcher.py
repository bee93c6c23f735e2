"""The alert dispatcher end to end: real databases, real PTB `Bot`, the fake Bot API.

RELIABILITY P3 (at least once, duplicates only after an interrupted send), P6 (flood limits
and retry_after obeyed) and P9 (unreachable officials routed to the fallback chat). Nothing
in the dispatcher is patched: crashes are simulated by cancelling its task at the moments
`DispatchHooks` exposes, which is what a SIGKILL does to the rows, short of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.db.contacts import ContactRepository
from bot.db.outbox import OutboxRepository, OutboxRow
from bot.escalation.dispatcher import Dispatcher, DispatchHooks
from bot.escalation.ratelimit import RateLimiter, RateLimits
from tests.e2e.conftest import TOKEN
from tests.e2e.fake_bot_api import FakeBotApi

Sessions = async_sessionmaker[AsyncSession]
HEADS = [6000 + i for i in range(100)]
GROUPS = [-100500 - i for i in range(5)]
PPK_GROUP, FALLBACK = -100900, -100999
ESK = re.compile(r"ESK-\d+")
# No flood limits: P3 is about crashes, and 500 alerts to one group would take 25 minutes.
UNLIMITED = RateLimits(
    global_per_s=10_000, global_burst=10_000, private_per_s=10_000, private_burst=10_000,
    group_per_min=600_000, group_burst=10_000,
)  # fmt: skip


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    request = HTTPXRequest(connection_pool_size=64, pool_timeout=10)
    async with Bot(TOKEN, base_url=fake.base_url, request=request) as bot:
        yield bot


async def enqueue(
    sessions: Sessions, alerts: Iterable[tuple[int, int]], purpose: str = "alert_unit_head"
) -> None:
    """Queue one alert per (case number, chat), its text carrying the alert number."""
    repo = OutboxRepository()
    async with sessions.begin() as session:
        for number, chat_id in alerts:
            await repo.enqueue(
                session=session,
                chat_id=chat_id,
                method="sendMessage",
                payload={
                    "text": f"Peringatan ESK-{number}: konten melanggar SE 137/2018.",
                    "reply_markup": {
                        "inline_keyboard": [[{"text": "Lihat", "callback_data": "x"}]]
                    },
                },
                purpose=purpose,
                alert_number=f"ESK-{number}",
            )


async def rows(sessions: Sessions) -> list[OutboxRow]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


async def drained(sessions: Sessions, timeout: float) -> None:
    """Wait until no row is pending or being sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with sessions() as session:
            backlog = await OutboxRepository().backlog(session=session)
        if backlog.pending == backlog.sending == 0:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"outbox not drained in {timeout}s: {backlog}")


def deliveries(fake: FakeBotApi) -> Counter[tuple[int, str]]:
    """(chat, alert number) of every sendMessage Telegram accepted."""
    found: Counter[tuple[int, str]] = Counter()
    for call in fake.sent("sendMessage", ok=True):
        match = ESK.search(str(call.params.get("text")))
        assert match is not None and isinstance(call.chat_id, int)
        found[(call.chat_id, match.group())] += 1
    return found


def dispatcher(sessions: Sessions, bot: Bot, **options: object) -> Dispatcher:
    values: dict[str, object] = {
        "limiter": RateLimiter(UNLIMITED),
        "lease": timedelta(seconds=2),
        "idle_poll": 0.05,
        "backoff_base": 0.05,
    }
    return Dispatcher(sessions, bot, **(values | options))  # type: ignore[arg-type]


async def test_when_a_group_has_a_long_queue_then_other_officials_are_not_kept_waiting(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    """Telegram's real limits: a PPK group takes 20 messages a minute, a unit head ~1/s.

    40 packets wait for the group (two minutes of its budget); alerts to five unit heads
    queued after them still leave within seconds instead of behind the whole queue.
    """
    await enqueue(sessions, [(n, PPK_GROUP) for n in range(40)])
    await enqueue(sessions, [(100 + n, HEADS[n]) for n in range(5)])
    worker = dispatcher(sessions, bot, limiter=RateLimiter(), concurrency=8)
    task = asyncio.create_task(worker.run())
    started = time.monotonic()
    try:
        heads = await fake.wait_for(
            "sendMessage", count=5, timeout=10, predicate=lambda c: c.chat_id in HEADS
        )
    finally:
        await worker.stop(timeout=1)
        await task
    assert time.monotonic() - started < 5
    assert {c.chat_id for c in heads} == set(HEADS[:5])
    assert len(fake.sent("sendMessage", ok=True)) < 20  # the group got its burst, no more


async def test_when_alerts_are_queued_then_each_is_delivered_once_with_its_message_id(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    await enqueue(sessions, [(1, HEADS[0]), (1, PPK_GROUP), (2, HEADS[1])])
    worker = dispatcher(sessions, bot)
    task = asyncio.create_task(worker.run())
    await drained(sessions, 10)
    await worker.stop()
    await task
    assert deliveries(fake) == {
        (HEADS[0], "ESK-1"): 1,
        (PPK_GROUP, "ESK-1"): 1,
        (HEADS[1], "ESK-2"): 1,
    }
    stored = await rows(sessions)
    assert [(r.status, r.attempts) for r in stored] == [("sent", 1)] * 3
    accepted = {(c.chat_id, c.result["message_id"]) for c in fake.sent("sendMessage", ok=True)}
    assert {(r.chat_id, r.sent_message_id) for r in stored} == accepted
    keyboard = fake.sent("sendMessage")[0].params["reply_markup"]
    assert keyboard["inline_keyboard"][0][0]["callback_data"] == "x"


async def test_when_the_api_fails_transiently_then_the_alert_is_retried_until_delivered(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    fake.fail_next("sendMessage", 502, times=2)
    fake.fail_next("sendMessage", 500)
    await enqueue(sessions, [(1, HEADS[0])])
    worker = dispatcher(sessions, bot)
    task = asyncio.create_task(worker.run())
    await drained(sessions, 10)
    await worker.stop()
    await task
    assert [c.status for c in fake.sent("sendMessage")] == [502, 502, 500, 200]
    (row,) = await rows(sessions)
    assert (row.status, row.attempts) == ("sent", 4)


async def test_when_failures_persist_then_the_row_fails_after_max_attempts(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    fake.set_down(503)
    await enqueue(sessions, [(1, HEADS[0])])
    worker = dispatcher(sessions, bot, max_attempts=3)
    task = asyncio.create_task(worker.run())
    await drained(sessions, 10)
    await worker.stop()
    await task
    (row,) = await rows(sessions)
    assert (row.status, row.attempts, len(fake.sent("sendMessage"))) == ("failed", 3, 3)


async def test_when_an_edit_follows_an_alert_then_it_edits_the_delivered_message(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    repo = OutboxRepository()
    await enqueue(sessions, [(7, HEADS[0])])
    alert_id = (await rows(sessions))[0].id
    async with sessions.begin() as session:
        for text in ("Status: ditindaklanjuti ESK-7", "Status: ditindaklanjuti ESK-7"):
            await repo.enqueue(
                session=session,
                chat_id=HEADS[0],
                method="editMessageText",
                payload={"text": text, "edit_of": alert_id},
                purpose="edit",
            )
    worker = dispatcher(sessions, bot, concurrency=1)
    task = asyncio.create_task(worker.run())
    await drained(sessions, 10)
    await worker.stop()
    await task
    (sent,) = fake.sent("sendMessage", ok=True)
    edits = fake.sent("editMessageText")
    assert [c.params["message_id"] for c in edits] == [sent.result["message_id"]] * 2
    # The second edit changes nothing: Telegram says "not modified", which counts as done.
    assert [c.status for c in edits] == [200, 400]
    assert [r.status for r in await rows(sessions)] == ["sent"] * 3


async def test_when_stopped_then_unsent_claims_are_released_and_in_flight_ones_kept(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    fake.hang("sendMessage", seconds=5.0)
    await enqueue(sessions, [(1, HEADS[0]), (2, HEADS[0])])
    worker = dispatcher(sessions, bot, concurrency=2, lease=timedelta(seconds=30))
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.3)  # both claimed; the first is in flight, the second waits its turn
    await worker.stop(timeout=0.3)
    await task
    fake.release()
    in_flight, waiting = await rows(sessions)
    # The first may have reached Telegram: it keeps its claim until the lease runs out.
    assert (in_flight.status, in_flight.claimed_by) == ("sending", worker.worker_id)
    assert (waiting.status, waiting.claimed_by) == ("pending", None)


# ------------------------------------------------------------------------- P9
@pytest.mark.parametrize(
    ("chat_id", "status", "description"),
    [
        (HEADS[0], 403, "Forbidden: bot was blocked by the user"),  # a PPK who blocked the bot
        (HEADS[1], 403, "Forbidden: bot can't initiate conversation with a user"),  # no /start
        (HEADS[2], 403, "Forbidden: user is deactivated"),  # account deleted
        (GROUPS[0], 400, "Bad Request: chat not found"),  # group gone
    ],
)
async def test_when_a_recipient_refuses_then_one_attempt_and_the_fallback_gets_the_alert(
    sessions: Sessions, bot: Bot, fake: FakeBotApi, chat_id: int, status: int, description: str
) -> None:
    fake.fail_next("sendMessage", status, description, times=100, chat_id=chat_id)
    await enqueue(sessions, [(3, chat_id)])
    worker = dispatcher(sessions, bot, fallback_chat_id=FALLBACK)
    task = asyncio.create_task(worker.run())
    (copy,) = await fake.wait_for(
        "sendMessage", timeout=5, predicate=lambda c: c.chat_id == FALLBACK
    )
    await drained(sessions, 5)
    await asyncio.sleep(0.3)  # a retry loop would show up here
    await worker.stop()
    await task
    assert len(fake.sent("sendMessage", chat_id)) == 1
    assert "ESK-3" in copy.params["text"] and "tidak dapat disampaikan" in copy.params["text"]
    assert copy.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "x"
    async with sessions() as session:
        unreachable = await ContactRepository().unreachable(session=session)
    reason = description if status == 403 else "BadRequest: Chat not found"  # PTB capitalises
    assert [(c.chat_id, c.unreachable_reason) for c in unreachable] == [(chat_id, reason)]


async def test_when_a_ppk_and_a_unit_head_block_the_bot_then_both_are_routed_and_listed(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    ppk, head = HEADS[10], HEADS[11]
    fake.block_chat(ppk, "Forbidden: bot was blocked by the user")
    fake.block_chat(head, "Forbidden: bot can't initiate conversation with a user")
    await enqueue(sessions, [(1, ppk), (1, head), (2, HEADS[12])])
    worker = dispatcher(sessions, bot, fallback_chat_id=FALLBACK)
    started = time.monotonic()
    task = asyncio.create_task(worker.run())
    copies = await fake.wait_for(
        "sendMessage", count=2, timeout=5, predicate=lambda c: c.chat_id == FALLBACK
    )
    routed_in = time.monotonic() - started
    await drained(sessions, 5)
    await asyncio.sleep(0.3)
    await worker.stop()
    await task
    assert [len(fake.sent("sendMessage", chat)) for chat in (ppk, head)] == [1, 1]
    assert routed_in < 5
    assert all("ESK-1" in c.params["text"] for c in copies)
    async with sessions() as session:
        unreachable = await ContactRepository().unreachable(session=session)
        never = await ContactRepository().never_started(session=session, chat_ids=[ppk, head])
    assert {c.chat_id for c in unreachable} == {ppk, head}
    assert never == [ppk, head]
    statuses = Counter((r.chat_id, r.status) for r in await rows(sessions))
    assert statuses == {
        (ppk, "unreachable"): 1,
        (head, "unreachable"): 1,
        (HEADS[12], "sent"): 1,
        (FALLBACK, "sent"): 2,
    }


async def test_when_the_fallback_itself_refuses_then_nothing_loops(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    fake.block_chat(HEADS[0])
    fake.block_chat(FALLBACK, "Forbidden: bot was kicked from the supergroup chat")
    await enqueue(sessions, [(1, HEADS[0])])
    worker = dispatcher(sessions, bot, fallback_chat_id=FALLBACK)
    task = asyncio.create_task(worker.run())
    await drained(sessions, 5)
    await asyncio.sleep(0.3)
    await worker.stop()
    await task
    assert [r.status for r in await rows(sessions)] == ["unreachable", "unreachable"]
    assert len(fake.sent("sendMessage")) == 2


# ------------------------------------------------------------------------- P3
# RELIABILITY P3 at full size: 500 cases x 2 recipients = 1,000 rows (about 20 s a dialect).
P3_CASES = 500
KILL_PLAN = ("after_claim", "after_send", "mid_batch") * 5


@dataclass
class Crash:
    """Kills a dispatcher at the chosen moment: cancels its task, as a SIGKILL would stop it."""

    kind: str
    countdown: int
    task: asyncio.Task[None] | None = None
    fired: asyncio.Event = field(default_factory=asyncio.Event)

    async def after_claim(self, row: OutboxRow) -> None:
        if self.kind == "after_claim":
            await self._tick()

    async def after_send(self, row: OutboxRow, message_id: int) -> None:
        if self.kind == "after_send":
            await self._tick()

    async def _tick(self) -> None:
        self.countdown -= 1
        if self.countdown == 0:
            assert self.task is not None
            self.task.cancel()
            self.fired.set()
            await asyncio.sleep(3600)  # the cancellation of the dispatcher's tasks lands here


async def left_sending(sessions: Sessions, worker: str) -> list[OutboxRow]:
    async with sessions() as session:
        query = select(OutboxRow).filter_by(status="sending", claimed_by=worker)
        return list(await session.scalars(query))


async def test_when_the_dispatcher_is_killed_15_times_then_every_alert_arrives_duplicates_only_after_send(  # noqa: E501
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    rng = random.Random(3)
    await enqueue(
        sessions, [(n, chat) for n in range(P3_CASES) for chat in (HEADS[n % 100], PPK_GROUP)]
    )
    expected = {(chat, f"ESK-{n}") for n in range(P3_CASES) for chat in (HEADS[n % 100], PPK_GROUP)}
    by_pair = {(r.chat_id, r.alert_number): r.id for r in await rows(sessions)}
    interrupted_after_send: list[int] = []  # rows a kill left claimed after Telegram took them
    for number, kind in enumerate(KILL_PLAN):
        crash = Crash(kind, countdown=rng.randint(5, 15))
        hooks = DispatchHooks(after_claim=crash.after_claim, after_send=crash.after_send)
        worker = dispatcher(sessions, bot, worker_id=f"w{number}", concurrency=1, hooks=hooks)
        crash.task = task = asyncio.create_task(worker.run())
        if kind == "mid_batch":
            seen = len(fake.sent("sendMessage"))
            await fake.wait_for("sendMessage", count=seen + rng.randint(5, 15), timeout=20)
            await asyncio.sleep(rng.uniform(0, 0.01))
            task.cancel()
        else:
            await asyncio.wait_for(crash.fired.wait(), timeout=20)
        with contextlib.suppress(asyncio.CancelledError):
            async with asyncio.timeout(30):  # a killed dispatcher must stop, not hang the suite
                await task
        await asyncio.sleep(0.1)  # shielded transactions of the dead worker finish
        accepted = deliveries(fake)
        for row in await left_sending(sessions, worker.worker_id):
            if accepted[(row.chat_id, row.alert_number)]:
                interrupted_after_send.append(row.id)
    survivor = dispatcher(sessions, bot, worker_id="final", concurrency=4)
    task = asyncio.create_task(survivor.run())
    await drained(sessions, 60)
    await survivor.stop()
    await task

    delivered = deliveries(fake)
    assert set(delivered) == expected  # every (alert, recipient) at least once
    duplicated = {pair: count for pair, count in delivered.items() if count > 1}
    # A duplicate only where a kill struck between Telegram's 200 and the commit ...
    assert {by_pair[pair] for pair in duplicated} <= set(interrupted_after_send)
    assert sum(count - 1 for count in duplicated.values()) <= len(interrupted_after_send)
    # ... which the 5 after-send kills always do, and a mid-batch kill sometimes does.
    assert 5 <= len(interrupted_after_send) <= 10
    assert all(r.status == "sent" for r in await rows(sessions))
    # Every duplicate carries the same alert number (the texts are identical).
    for chat, number in duplicated:
        texts = {
            c.params["text"]
            for c in fake.sent("sendMessage", chat, ok=True)
            if ESK.findall(c.params["text"]) == [number]
        }
        assert len(texts) == 1


async def test_when_two_dispatchers_drain_one_outbox_then_no_alert_is_sent_twice(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    fake.set_latency(0.001, 0.01, seed=5)
    alerts = [(n, chat) for n in range(200) for chat in (HEADS[n % 100], GROUPS[n % 5])]
    await enqueue(sessions, alerts)
    sent_by: Counter[str] = Counter()

    def counting(name: str) -> DispatchHooks:
        async def after_send(row: OutboxRow, message_id: int) -> None:
            sent_by[name] += 1

        return DispatchHooks(after_send=after_send)

    workers = [
        dispatcher(
            sessions, bot, worker_id=name, concurrency=8, lease=timedelta(seconds=30),
            hooks=counting(name),
        )
        for name in ("replica1", "replica2")
    ]  # fmt: skip
    tasks = [asyncio.create_task(w.run()) for w in workers]
    await drained(sessions, 60)
    for worker in workers:
        await worker.stop()
    await asyncio.gather(*tasks)
    delivered = deliveries(fake)
    assert len(delivered) == len(alerts)
    assert max(delivered.values()) == 1
    assert min(sent_by["replica1"], sent_by["replica2"]) > 0  # both really took part


# ------------------------------------------------------------------------- P6
# Scaled from 1,000 alerts (RELIABILITY P6) to 300: the time promise scales to 300/25 + 10 s.
def p6_alerts() -> list[tuple[int, int]]:
    """10 busy officials get 9 alerts, 90 others 2, each of 5 groups 6: 300, interleaved."""
    queues = [[HEADS[i]] * (9 if i < 10 else 2) for i in range(100)]
    queues += [[group] * 6 for group in GROUPS]
    chats = [q[i] for i in range(9) for q in queues if i < len(q)]
    return list(enumerate(chats))


async def test_when_a_burst_meets_telegram_limits_then_no_429_and_a_retry_after_is_obeyed(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    fake.enforce_limits(global_per_s=30, private_per_s=1, private_burst=3, group_per_min=20)
    alerts = p6_alerts()
    target = HEADS[0]
    await enqueue(sessions, alerts)
    worker = Dispatcher(sessions, bot, limiter=RateLimiter(), concurrency=32, idle_poll=0.05)
    started = time.monotonic()
    task = asyncio.create_task(worker.run())
    await fake.wait_for("sendMessage", timeout=10, predicate=lambda c: c.chat_id == target)
    fake.fail_next("sendMessage", 429, retry_after=5, chat_id=target)
    await drained(sessions, 40)
    elapsed = time.monotonic() - started
    await worker.stop()
    await task

    refused = [c for c in fake.sent("sendMessage") if c.status == 429]
    assert [(c.chat_id, c.retry_after) for c in refused] == [(target, 5)]  # only the injected one
    assert fake.limit_violations == []
    assert fake.sent_during_retry_after == []
    calls = fake.sent("sendMessage", target)
    after = [c for c in calls if c.at > refused[0].at]
    assert after, "sending to the chat never resumed"
    assert refused[0].done_at is not None and after[0].at - refused[0].done_at >= 5
    assert deliveries(fake) == {(chat, f"ESK-{n}"): 1 for n, chat in alerts}
    assert elapsed <= len(alerts) / 25 + 10


# ------------------------------------------------------------------------- the limiter alone
async def test_when_a_chat_is_paused_then_only_that_chat_waits_out_the_pause() -> None:
    limiter = RateLimiter()
    limiter.pause(HEADS[0], 0.3)
    started = time.monotonic()
    await limiter.acquire(HEADS[1])
    other = time.monotonic() - started
    await limiter.acquire(HEADS[0])
    paused = time.monotonic() - started
    assert other < 0.05 and paused >= 0.3


@pytest.mark.parametrize(
    ("let_out", "refused_chats", "expected_global"),
    [
        (20, [HEADS[0]], False),  # one chat refused: that chat's own limit
        (20, HEADS[:3], False),  # 3 of 20 refused: random per-chat 429s, not a ban
        (4, HEADS[:3], True),  # nearly everything refused across chats: the bot is banned
    ],
)
async def test_when_429s_arrive_then_they_pause_the_chat_unless_they_look_bot_wide(
    let_out: int, refused_chats: list[int], expected_global: bool
) -> None:
    limiter = RateLimiter(UNLIMITED)
    for i in range(let_out):
        await limiter.acquire(HEADS[50 + i])
    scopes = [limiter.throttled(chat, 2) for chat in refused_chats]
    assert (scopes[-1] == "global") is expected_global
    assert limiter.paused_until(refused_chats[0]) > time.monotonic() + 1.9


async def test_when_a_row_outwaits_its_lease_in_the_limiter_then_it_is_still_sent_once(
    sessions: Sessions, bot: Bot, fake: FakeBotApi
) -> None:
    limiter = RateLimiter(UNLIMITED)
    limiter.pause(HEADS[0], 2.5)  # e.g. a 429 on this chat a moment ago
    await enqueue(sessions, [(1, HEADS[0])])
    worker = dispatcher(sessions, bot, limiter=limiter, lease=timedelta(seconds=1))
    task = asyncio.create_task(worker.run())
    await drained(sessions, 10)
    await asyncio.sleep(0.5)
    await worker.stop()
    await task
    # The lease ran out twice while the row waited; this worker's own re-claims only renew it.
    assert deliveries(fake) == {(HEADS[0], "ESK-1"): 1}
    assert [r.status for r in await rows(sessions)] == ["sent"]
