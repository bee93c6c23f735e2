"""The durable inbox against real migrated databases, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.inbox import InboxRepository, InboxRow
from tests.support.clock import MovableClock

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
LEASE = timedelta(seconds=30)
CHAT_A, CHAT_B = 1001, 1002


def update(update_id: int, chat_id: int | None) -> dict[str, object]:
    chat = {"id": chat_id, "type": "private"} if chat_id is not None else None
    return {"update_id": update_id, "message": {"text": f"pesan {update_id}", "chat": chat}}


async def store(sessions: Sessions, repo: InboxRepository, *rows: tuple[int, int | None]) -> None:
    async with sessions.begin() as session:
        for update_id, chat_id in rows:
            await repo.store(
                session=session,
                update_id=update_id,
                chat_id=chat_id,
                payload=update(update_id, chat_id),
            )


async def claim(
    sessions: Sessions, repo: InboxRepository, worker: str = "w1", limit: int = 10
) -> list[int]:
    async with sessions.begin() as session:
        rows = await repo.claim(session=session, worker=worker, limit=limit, lease=LEASE)
    return [row.update_id for row in rows]


async def complete(
    sessions: Sessions, repo: InboxRepository, update_id: int, worker: str = "w1"
) -> bool:
    async with sessions.begin() as session:
        return await repo.complete(session=session, update_id=update_id, worker=worker)


async def fail(sessions: Sessions, repo: InboxRepository, update_id: int) -> None:
    async with sessions.begin() as session:
        await repo.fail(
            session=session,
            update_id=update_id,
            worker="w1",
            error="NetworkError: " + "x" * 600,
            max_attempts=3,
            retry_after=timedelta(seconds=10),
        )


async def row(sessions: Sessions, update_id: int) -> InboxRow:
    async with sessions() as session:
        return (await session.scalars(select(InboxRow).filter_by(update_id=update_id))).one()


async def test_when_update_redelivered_then_stored_once_and_second_store_says_false(
    sessions: Sessions,
) -> None:
    repo = InboxRepository(clock=MovableClock(T0))
    async with sessions.begin() as session:
        first = await repo.store(session=session, update_id=7, chat_id=CHAT_A, payload=update(7, 1))
    async with sessions.begin() as session:
        again = await repo.store(session=session, update_id=7, chat_id=CHAT_A, payload={"x": 1})
    async with sessions() as session:
        rows = list(await session.scalars(select(InboxRow)))
    assert (first, again) == (True, False)
    assert [(r.update_id, r.status, r.attempts) for r in rows] == [(7, "pending", 0)]
    assert rows[0].payload == update(7, 1)
    assert rows[0].received_at == T0


async def test_when_chats_have_several_updates_then_only_each_chats_oldest_is_claimed(
    sessions: Sessions,
) -> None:
    repo = InboxRepository(clock=MovableClock(T0))
    await store(sessions, repo, (1, CHAT_A), (2, CHAT_A), (3, CHAT_A), (4, CHAT_B))

    first = await claim(sessions, repo)
    nothing_while_busy = await claim(sessions, repo, worker="w2")
    assert await complete(sessions, repo, 1)
    second = await claim(sessions, repo)

    assert first == [1, 4]
    assert nothing_while_busy == []
    assert second == [2]


async def test_when_updates_have_no_chat_then_they_are_claimed_independently(
    sessions: Sessions,
) -> None:
    repo = InboxRepository(clock=MovableClock(T0))
    await store(sessions, repo, (1, None), (2, None), (3, CHAT_A))
    assert await claim(sessions, repo, limit=2) == [1, 2]
    assert await claim(sessions, repo) == [3]


async def test_when_lease_expires_then_another_worker_reclaims_and_old_worker_cannot_complete(
    sessions: Sessions,
) -> None:
    clock = MovableClock(T0)
    repo = InboxRepository(clock=clock)
    await store(sessions, repo, (1, CHAT_A), (2, CHAT_A))
    assert await claim(sessions, repo, worker="crashed") == [1]

    clock.advance(seconds=29)
    assert await claim(sessions, repo, worker="w2") == []  # lease still alive
    clock.advance(seconds=2)
    reclaimed = await claim(sessions, repo, worker="w2")
    stale_complete = await complete(sessions, repo, 1, worker="crashed")
    fresh_complete = await complete(sessions, repo, 1, worker="w2")

    assert reclaimed == [1]  # the same update, not the next one of the chat
    assert (stale_complete, fresh_complete) == (False, True)
    assert (await row(sessions, 1)).claimed_by == "w2"


async def test_when_completed_then_payload_erased_and_done_time_kept(sessions: Sessions) -> None:
    clock = MovableClock(T0)
    repo = InboxRepository(clock=clock)
    await store(sessions, repo, (1, CHAT_A))
    await claim(sessions, repo)
    clock.advance(seconds=3)
    assert await complete(sessions, repo, 1)
    done = await row(sessions, 1)
    assert (done.status, done.payload, done.done_at) == ("done", None, T0 + timedelta(seconds=3))
    assert await complete(sessions, repo, 1) is False  # already settled


async def test_when_worker_releases_on_shutdown_then_its_rows_are_claimable_at_once(
    sessions: Sessions,
) -> None:
    repo = InboxRepository(clock=MovableClock(T0))
    await store(sessions, repo, (1, CHAT_A), (2, CHAT_B), (3, CHAT_A))
    await claim(sessions, repo, worker="leaving")
    async with sessions.begin() as session:
        released = await repo.release(session=session, worker="leaving")
        none_for_others = await repo.release(session=session, worker="someone-else")
    assert (released, none_for_others) == (2, 0)
    assert await claim(sessions, repo, worker="w2") == [1, 2]


async def test_when_update_fails_then_retried_after_delay_and_given_up_after_max_attempts(
    sessions: Sessions,
) -> None:
    clock = MovableClock(T0)
    repo = InboxRepository(clock=clock)
    await store(sessions, repo, (1, CHAT_A), (2, CHAT_A))

    for attempt in (1, 2):
        assert await claim(sessions, repo) == [1]
        await fail(sessions, repo, 1)
        waiting = await row(sessions, 1)
        assert (waiting.status, waiting.attempts) == ("pending", attempt)
        clock.advance(seconds=9)
        assert await claim(sessions, repo) == []  # not before retry_after; chat keeps its order
        clock.advance(seconds=1)
    assert await claim(sessions, repo) == [1]
    await fail(sessions, repo, 1)

    given_up = await row(sessions, 1)
    assert (given_up.status, given_up.attempts, given_up.done_at) == ("failed", 3, clock.at)
    assert given_up.last_error is not None and len(given_up.last_error) == 500
    assert given_up.payload == update(1, CHAT_A)  # kept for inspection until retention
    assert await claim(sessions, repo) == [2]  # a dead update no longer blocks its chat


async def test_when_fail_comes_from_a_worker_that_lost_the_lease_then_nothing_changes(
    sessions: Sessions,
) -> None:
    clock = MovableClock(T0)
    repo = InboxRepository(clock=clock)
    await store(sessions, repo, (1, CHAT_A))
    await claim(sessions, repo, worker="w2")
    await fail(sessions, repo, 1)  # "w1" does not hold it
    still = await row(sessions, 1)
    assert (still.status, still.attempts, still.claimed_by) == ("processing", 0, "w2")


async def test_when_lower_update_arrives_late_then_it_waits_for_the_chats_running_one(
    sessions: Sessions,
) -> None:
    repo = InboxRepository(clock=MovableClock(T0))
    await store(sessions, repo, (2, CHAT_A))
    assert await claim(sessions, repo) == [2]
    await store(sessions, repo, (1, CHAT_A))
    assert await claim(sessions, repo, worker="w2") == []
    await complete(sessions, repo, 2)
    assert await claim(sessions, repo, worker="w2") == [1]


async def test_when_backlog_asked_then_counts_and_oldest_waiting_time(sessions: Sessions) -> None:
    clock = MovableClock(T0)
    repo = InboxRepository(clock=clock)
    async with sessions() as session:
        empty = await repo.backlog(session=session)
    await store(sessions, repo, (1, CHAT_A), (2, CHAT_B))
    clock.advance(minutes=1)
    await store(sessions, repo, (3, CHAT_A), (4, None))
    await claim(sessions, repo, limit=1)
    async with sessions() as session:
        backlog = await repo.backlog(session=session)
    assert (empty.pending, empty.processing, empty.failed, empty.oldest_pending_at) == (
        0,
        0,
        0,
        None,
    )
    assert (backlog.pending, backlog.processing, backlog.failed) == (3, 1, 0)
    assert backlog.oldest_pending_at == T0


async def test_when_purging_then_only_old_settled_updates_go(sessions: Sessions) -> None:
    clock = MovableClock(T0)
    repo = InboxRepository(clock=clock)
    await store(sessions, repo, (1, CHAT_A), (2, CHAT_B), (3, None), (4, 1003))
    await claim(sessions, repo)
    await complete(sessions, repo, 1)
    async with sessions.begin() as session:
        await repo.fail(
            session=session,
            update_id=2,
            worker="w1",
            error="boom",
            max_attempts=1,
            retry_after=timedelta(0),
        )
    clock.advance(days=31)
    await complete(sessions, repo, 3)  # settled recently
    async with sessions.begin() as session:
        purged = await repo.purge_done(session=session, older_than=clock.at - timedelta(days=30))
    async with sessions() as session:
        left = sorted(r.update_id for r in await session.scalars(select(InboxRow)))
    assert purged == 2
    assert left == [3, 4]  # 4 is still processing: unfinished work is never purged


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
async def test_when_lower_update_commits_while_other_claim_is_open_then_chat_still_serialised(
    sessions: Sessions,
) -> None:
    # Without the per-chat lock, the second claimer's snapshot would show update 1 as the chat's
    # head with nothing running (update 2's claim is not committed yet) and claim it too.
    repo = InboxRepository(clock=MovableClock(T0))
    await store(sessions, repo, (2, CHAT_A))
    async with sessions.begin() as first:
        held = await repo.claim(session=first, worker="w1", limit=10, lease=LEASE)
        await store(sessions, repo, (1, CHAT_A))
        during = await claim(sessions, repo, worker="w2")
    after = await claim(sessions, repo, worker="w2")
    assert [r.update_id for r in held] == [2]
    assert (during, after) == ([], [])


async def test_when_two_claimers_drain_many_chats_then_each_update_once_and_chats_serial(
    sessions: Sessions,
) -> None:
    repo = InboxRepository()
    chats = [5000 + n for n in range(20)]
    rows = [(update_id, chats[update_id % 20]) for update_id in range(1, 201)]
    random.Random(4).shuffle(rows)  # stored in an order unlike update_id, while claims run
    claimed: Counter[int] = Counter()
    order: dict[int | None, list[int]] = {chat: [] for chat in chats}
    busy_chats: set[int | None] = set()
    stored = asyncio.Event()

    async def feeder() -> None:
        for start in range(0, len(rows), 25):
            await store(sessions, repo, *rows[start : start + 25])
            await asyncio.sleep(0)
        stored.set()

    async def settle(worker: str, item: InboxRow) -> None:
        await asyncio.sleep(random.uniform(0, 0.003))
        async with sessions.begin() as session:
            busy_chats.discard(item.chat_id)  # before the commit frees the chat
            assert await repo.complete(session=session, update_id=item.update_id, worker=worker)

    async def claimer(worker: str) -> None:
        idle_rounds = 0
        while idle_rounds < 5:
            async with sessions.begin() as session:
                got = await repo.claim(session=session, worker=worker, limit=8, lease=LEASE)
            for item in got:
                assert item.chat_id not in busy_chats, f"chat {item.chat_id} claimed twice"
                busy_chats.add(item.chat_id)
                claimed[item.update_id] += 1
                order[item.chat_id].append(item.update_id)
            await asyncio.gather(*(settle(worker, item) for item in got))
            idle_rounds = idle_rounds + 1 if not got and stored.is_set() else 0
            await asyncio.sleep(0.001 if not got else 0)

    await asyncio.gather(feeder(), claimer("replica-1"), claimer("replica-2"))

    assert sorted(claimed) == list(range(1, 201))
    assert set(claimed.values()) == {1}
    async with sessions() as session:
        backlog = await repo.backlog(session=session)
    assert (backlog.pending, backlog.processing) == (0, 0)
    assert all(len(ids) == 10 for ids in order.values())
