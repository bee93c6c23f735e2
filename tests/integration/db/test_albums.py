"""One answer per album, on SQLite and PostgreSQL, whichever part or replica gets there first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.albums import AlbumRepository

Sessions = async_sessionmaker[AsyncSession]
CHAT = 1001


async def first_seen(sessions: Sessions, group: str, chat: int = CHAT) -> bool:
    async with sessions.begin() as session:
        return await AlbumRepository().first_seen(
            session=session, media_group_id=group, chat_id=chat
        )


async def answer(sessions: Sessions, group: str, chat: int = CHAT) -> bool:
    async with sessions.begin() as session:
        return await AlbumRepository().mark_answered(
            session=session, media_group_id=group, chat_id=chat
        )


async def test_when_parts_arrive_then_only_the_first_is_first(sessions: Sessions) -> None:
    assert await first_seen(sessions, "g1") is True
    assert await first_seen(sessions, "g1") is False
    assert await first_seen(sessions, "g1", chat=2002) is True  # ids are per chat


async def test_when_an_album_is_answered_then_nobody_answers_it_again(sessions: Sessions) -> None:
    await first_seen(sessions, "g2")
    assert await answer(sessions, "g2") is True
    assert await answer(sessions, "g2") is False


async def test_when_the_captioned_part_comes_first_then_it_takes_the_answer(
    sessions: Sessions,
) -> None:
    assert await answer(sessions, "g3") is True
    assert await first_seen(sessions, "g3") is False
    assert await answer(sessions, "g3") is False


async def test_when_many_parts_race_then_exactly_one_answers(sessions: Sessions) -> None:
    results = await asyncio.gather(*(answer(sessions, "g4") for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_when_albums_are_old_then_purge_removes_them(sessions: Sessions) -> None:
    old = AlbumRepository(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    async with sessions.begin() as session:
        await old.first_seen(session=session, media_group_id="old", chat_id=CHAT)
    await first_seen(sessions, "new")
    async with sessions.begin() as session:
        purged = await AlbumRepository().purge(
            session=session, older_than=datetime.now(UTC) - timedelta(days=1)
        )
    assert purged == 1
    assert await first_seen(sessions, "old") is True
    assert await first_seen(sessions, "new") is False
