"""Who the bot can write to (RELIABILITY P9), against real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.contacts import ContactRepository

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
HEAD, PPK, GROUP = 5001, 5002, -100300


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo(clock: Clock) -> ContactRepository:
    return ContactRepository(clock=clock)


async def reachable(sessions: Sessions, repo: ContactRepository, chat_id: int) -> bool:
    async with sessions() as session:
        return await repo.is_reachable(session=session, chat_id=chat_id)


@pytest.mark.parametrize(
    ("chat_id", "started", "refused", "expected"),
    [
        (HEAD, False, False, False),  # a person who never pressed /start cannot be written to
        (HEAD, True, False, True),  # /start pressed
        (HEAD, True, True, False),  # blocked the bot after /start
        (GROUP, False, False, True),  # a group needs no /start
        (GROUP, False, True, False),  # the bot was removed from the group
    ],
)
async def test_when_contact_state_varies_then_reachability_follows(
    sessions: Sessions,
    repo: ContactRepository,
    chat_id: int,
    started: bool,
    refused: bool,
    expected: bool,
) -> None:
    async with sessions.begin() as session:
        if started:
            await repo.mark_started(session=session, chat_id=chat_id)
        if refused:
            await repo.mark_unreachable(session=session, chat_id=chat_id, reason="Forbidden")
    assert await reachable(sessions, repo, chat_id) is expected


async def test_when_a_blocked_person_presses_start_again_then_they_are_reachable(
    sessions: Sessions, repo: ContactRepository, clock: Clock
) -> None:
    async with sessions.begin() as session:
        await repo.mark_unreachable(
            session=session, chat_id=PPK, reason="Forbidden: bot was blocked by the user"
        )
        await repo.mark_unreachable(session=session, chat_id=HEAD, reason="x" * 300)
    async with sessions() as session:
        listed = await repo.unreachable(session=session)
    assert {row.chat_id for row in listed} == {PPK, HEAD}
    assert all(len(row.unreachable_reason or "") <= 200 for row in listed)
    clock.at += timedelta(minutes=5)
    async with sessions.begin() as session:
        await repo.mark_started(session=session, chat_id=PPK)
        listed = await repo.unreachable(session=session)
    assert [row.chat_id for row in listed] == [HEAD]
    assert await reachable(sessions, repo, PPK)


async def test_when_asked_about_officials_then_never_started_lists_those_without_start(
    sessions: Sessions, repo: ContactRepository
) -> None:
    async with sessions.begin() as session:
        await repo.mark_started(session=session, chat_id=HEAD)
        await repo.mark_unreachable(session=session, chat_id=PPK, reason="Forbidden")
    async with sessions() as session:
        missing = await repo.never_started(session=session, chat_ids=[PPK, HEAD, GROUP, 5003, PPK])
    # Groups need no /start; a refusal alone does not mean /start was pressed.
    assert missing == [PPK, 5003]
