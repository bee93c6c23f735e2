"""The alert outbox against real migrated databases, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.case_models import CaseRow
from bot.db.outbox import OutboxRepository, OutboxRow
from tests.support.clock import MovableClock

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
LEASE = timedelta(seconds=30)
HEAD, PPK_GROUP = 5001, -100200


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
def repo(clock: MovableClock) -> OutboxRepository:
    return OutboxRepository(clock=clock)


async def enqueue(
    sessions: Sessions, repo: OutboxRepository, chat_id: int = HEAD, **extra: Any
) -> int:
    values: dict[str, Any] = {
        "method": "sendMessage",
        "payload": {"text": "Peringatan ESK-1"},
        "purpose": "alert_unit_head",
    }
    async with sessions.begin() as session:
        row = await repo.enqueue(session=session, chat_id=chat_id, **(values | extra))
        return row.id


async def claim(
    sessions: Sessions, repo: OutboxRepository, worker: str = "w1", limit: int = 10
) -> list[int]:
    async with sessions.begin() as session:
        rows = await repo.claim(session=session, worker=worker, limit=limit, lease=LEASE)
    return [row.id for row in rows]


async def sent(sessions: Sessions, repo: OutboxRepository, row_id: int, worker: str = "w1") -> bool:
    async with sessions.begin() as session:
        return await repo.mark_sent(session=session, row_id=row_id, worker=worker, message_id=77)


async def get(sessions: Sessions, row_id: int) -> OutboxRow:
    async with sessions() as session:
        return (await session.scalars(select(OutboxRow).filter_by(id=row_id))).one()


async def test_when_one_chat_has_a_long_queue_then_a_claim_still_reaches_the_other_chats(
    sessions: Sessions, repo: OutboxRepository
) -> None:
    """A PPK group may take 20 messages a minute: its backlog must not fill every slot."""
    group = [await enqueue(sessions, repo, chat_id=PPK_GROUP) for _ in range(6)]
    head = await enqueue(sessions, repo, chat_id=HEAD)
    other = await enqueue(sessions, repo, chat_id=HEAD + 1)
    async with sessions.begin() as session:
        rows = await repo.claim(session=session, worker="w1", limit=4, lease=LEASE, per_chat=2)
    assert [row.id for row in rows] == [*group[:2], head, other]
    later = await enqueue(sessions, repo, chat_id=HEAD)
    async with sessions.begin() as session:
        rows = await repo.claim(
            session=session, worker="w1", limit=10, lease=LEASE, per_chat=2, skip_chats=[HEAD]
        )
    assert [row.id for row in rows] == group[2:4]  # the group's next two; HEAD is skipped
    assert await claim(sessions, repo, limit=10) == [*group[4:], later]


async def test_when_rows_are_due_then_claim_gives_them_oldest_first_once(
    sessions: Sessions, repo: OutboxRepository
) -> None:
    ids = [await enqueue(sessions, repo, chat_id=HEAD + i) for i in range(3)]
    assert await claim(sessions, repo, limit=2) == ids[:2]
    assert await claim(sessions, repo, worker="w2") == ids[2:]
    assert await claim(sessions, repo, worker="w3") == []
    row = await get(sessions, ids[0])
    assert (row.status, row.claimed_by) == ("sending", "w1")


async def test_when_not_before_is_in_the_future_then_the_row_waits(
    sessions: Sessions, repo: OutboxRepository, clock: MovableClock
) -> None:
    row_id = await enqueue(sessions, repo, not_before=T0 + timedelta(seconds=5))
    assert await claim(sessions, repo) == []
    clock.advance(seconds=5)
    assert await claim(sessions, repo) == [row_id]


async def test_when_a_lease_expires_then_another_worker_takes_the_row_over(
    sessions: Sessions, repo: OutboxRepository, clock: MovableClock
) -> None:
    row_id = await enqueue(sessions, repo)
    assert await claim(sessions, repo, worker="dead") == [row_id]
    clock.advance(seconds=29)
    assert await claim(sessions, repo, worker="w2") == []
    clock.advance(seconds=2)
    assert await claim(sessions, repo, worker="w2") == [row_id]
    # The presumed-dead worker can no longer settle it; the new holder can.
    assert not await sent(sessions, repo, row_id, worker="dead")
    assert await sent(sessions, repo, row_id, worker="w2")
    row = await get(sessions, row_id)
    assert (row.status, row.sent_message_id, row.attempts) == ("sent", 77, 1)


async def test_when_an_edit_names_its_alert_then_it_waits_until_the_alert_is_settled(
    sessions: Sessions, repo: OutboxRepository
) -> None:
    alert = await enqueue(sessions, repo)
    assert await claim(sessions, repo) == [alert]
    edit = await enqueue(
        sessions, repo, method="editMessageText", payload={"text": "Status", "edit_of": alert}
    )
    plain_edit = await enqueue(
        sessions, repo, method="editMessageText", payload={"text": "x", "message_id": 3}
    )
    # The alert is still being sent: its edit must not overtake it; a plain edit may go.
    assert await claim(sessions, repo, worker="w2") == [plain_edit]
    assert await sent(sessions, repo, alert)
    assert await claim(sessions, repo, worker="w2") == [edit]
    async with sessions() as session:
        found = await repo.sent_message_ids(session=session, row_ids=[alert, 999])
    assert found == {alert: 77, 999: None}


async def test_when_an_alert_is_given_up_then_its_edit_is_released_to_be_settled(
    sessions: Sessions, repo: OutboxRepository
) -> None:
    alert = await enqueue(sessions, repo)
    edit = await enqueue(
        sessions, repo, method="editMessageText", payload={"text": "S", "edit_of": alert}
    )
    assert await claim(sessions, repo) == [alert]
    async with sessions.begin() as session:
        await repo.mark_unreachable(session=session, row_id=alert, worker="w1", error="403")
    assert await claim(sessions, repo) == [edit]


@pytest.mark.parametrize(
    ("count_attempt", "attempts"),
    [
        (True, 1),  # a network error counts towards max_attempts
        (False, 0),  # a 429 wait does not
    ],
)
async def test_when_a_row_is_retried_then_it_comes_back_after_not_before(
    sessions: Sessions,
    repo: OutboxRepository,
    clock: MovableClock,
    count_attempt: bool,
    attempts: int,
) -> None:
    row_id = await enqueue(sessions, repo)
    await claim(sessions, repo)
    async with sessions.begin() as session:
        assert await repo.retry(
            session=session,
            row_id=row_id,
            worker="w1",
            error="NetworkError: " + "x" * 600,
            not_before=T0 + timedelta(seconds=10),
            count_attempt=count_attempt,
        )
    row = await get(sessions, row_id)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", attempts, None)
    assert row.last_error is not None and len(row.last_error) == 500
    assert await claim(sessions, repo) == []
    clock.advance(seconds=10)
    assert await claim(sessions, repo) == [row_id]


async def test_when_a_worker_stops_then_release_hands_back_only_its_rows(
    sessions: Sessions, repo: OutboxRepository
) -> None:
    first, second = await enqueue(sessions, repo), await enqueue(sessions, repo, chat_id=9)
    await claim(sessions, repo, limit=1)
    await claim(sessions, repo, worker="w2")
    async with sessions.begin() as session:
        assert await repo.release(session=session, worker="w1") == 1
    assert await claim(sessions, repo, worker="w3") == [first]
    assert (await get(sessions, second)).claimed_by == "w2"


async def new_case(sessions: Sessions) -> int:
    async with sessions.begin() as session:
        case = CaseRow(
            content_hash="0" * 64,
            status="open",
            trigger="auto",
            severity="critical",
            rule_ids=["R1"],
            opened_at=T0,
            updated_at=T0,
        )
        session.add(case)
        await session.flush()
        return case.id


async def test_when_a_case_has_alerts_then_sent_alerts_lists_only_delivered_sends(
    sessions: Sessions, repo: OutboxRepository
) -> None:
    case_id = await new_case(sessions)
    delivered = await enqueue(sessions, repo, case_id=case_id, alert_number="ESK-1")
    refused = await enqueue(sessions, repo, chat_id=PPK_GROUP, case_id=case_id)
    edit = await enqueue(
        sessions,
        repo,
        case_id=case_id,
        method="editMessageText",
        payload={"text": "S", "message_id": 1},
    )
    other_case = await enqueue(sessions, repo, chat_id=HEAD + 1)
    await claim(sessions, repo)
    for row_id in (delivered, edit, other_case):
        await sent(sessions, repo, row_id)
    async with sessions.begin() as session:
        await repo.mark_unreachable(session=session, row_id=refused, worker="w1", error="403")
        alerts = await repo.sent_alerts(session=session, case_id=case_id)
        backlog = await repo.backlog(session=session)
    assert [(a.id, a.chat_id, a.sent_message_id) for a in alerts] == [(delivered, HEAD, 77)]
    assert (backlog.pending, backlog.sending, backlog.unreachable, backlog.failed) == (0, 0, 1, 0)


async def test_when_rows_wait_then_backlog_counts_them_with_the_oldest_time(
    sessions: Sessions, repo: OutboxRepository, clock: MovableClock
) -> None:
    await enqueue(sessions, repo)
    clock.advance(seconds=3)
    await enqueue(sessions, repo)
    await claim(sessions, repo, limit=1)
    async with sessions() as session:
        backlog = await repo.backlog(session=session)
    assert (backlog.pending, backlog.sending) == (1, 1)
    assert backlog.oldest_pending_at == T0 + timedelta(seconds=3)


async def test_when_workers_claim_concurrently_then_no_row_is_claimed_twice(
    sessions: Sessions, repo: OutboxRepository, dialect: str
) -> None:
    async with sessions.begin() as session:
        for i in range(200):
            await repo.enqueue(
                session=session,
                chat_id=HEAD + i % 20,
                method="sendMessage",
                payload={"text": f"ESK-{i}"},
                purpose="alert_unit_head",
            )

    async def drain(worker: str) -> list[int]:
        got: list[int] = []
        while batch := await claim(sessions, repo, worker=worker, limit=7):
            got.extend(batch)
            await asyncio.sleep(0)
        return got

    results = await asyncio.gather(*(drain(f"w{i}") for i in range(6)))
    claimed = Counter(row_id for batch in results for row_id in batch)
    assert len(claimed) == 200
    assert max(claimed.values()) == 1
    if dialect == "postgresql":  # several claimers really ran side by side
        assert sum(1 for batch in results if batch) > 1


async def test_when_an_alert_is_still_queued_then_status_edits_can_find_it(
    sessions: Sessions, repo: OutboxRepository
) -> None:
    """An official may act before every alert of the case is out; the edit must not skip it."""
    case_id = await new_case(sessions)
    delivered = await enqueue(sessions, repo, case_id=case_id, alert_number="ESK-1")
    assert await claim(sessions, repo) == [delivered]
    assert await sent(sessions, repo, delivered)
    queued = await enqueue(sessions, repo, chat_id=PPK_GROUP, case_id=case_id, purpose="alert_ppk")
    await enqueue(sessions, repo, case_id=case_id, purpose="notify_reporter")
    async with sessions() as session:
        alerts = await repo.alerts(session=session, case_id=case_id)
    assert [row.id for row in alerts] == [delivered, queued]
