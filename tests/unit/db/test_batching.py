"""Group commit: writes that arrive together share a flush; each caller gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.db.batching import GroupCommit, is_disconnect


class Recorder:
    """A flush that doubles numbers, refuses negative ones, and remembers every batch."""

    def __init__(self, *, pause: float = 0.01, error: Exception | None = None) -> None:
        self.batches: list[list[int]] = []
        self.pause = pause
        self.error = error

    async def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(self.pause)
        if self.error is not None:
            raise self.error
        if any(item < 0 for item in items):
            raise IntegrityError("INSERT", {}, Exception("negative"))
        return [item * 2 for item in items]


async def outcome(commit: GroupCommit[int, int], item: int) -> int | str:
    try:
        return await commit.submit(item)
    except Exception as exc:  # the test compares what each caller saw
        return type(exc).__name__


async def test_when_writes_arrive_during_a_flush_then_they_share_the_next_one() -> None:
    flush = Recorder()
    commit = GroupCommit(flush)
    first = asyncio.create_task(commit.submit(1))
    await asyncio.sleep(0)  # the first write is on its way alone: an idle system waits for nobody
    rest = [asyncio.create_task(commit.submit(n)) for n in range(2, 12)]
    assert await asyncio.gather(first, *rest) == [n * 2 for n in range(1, 12)]
    assert flush.batches == [[1], list(range(2, 12))]


async def test_when_more_writes_wait_than_a_batch_holds_then_they_go_in_several() -> None:
    flush = Recorder()
    commit = GroupCommit(flush, max_batch=4)
    results = await asyncio.gather(*(commit.submit(n) for n in range(10)))
    assert results == [n * 2 for n in range(10)]
    assert [len(batch) for batch in flush.batches] == [4, 4, 2]


async def test_when_one_write_is_refused_then_only_its_caller_sees_the_error() -> None:
    flush = Recorder()
    commit = GroupCommit(flush)
    results = await asyncio.gather(*(outcome(commit, n) for n in (1, -2, 3)))
    assert results == [2, "IntegrityError", 6]
    assert flush.batches[0] == [1, -2, 3]  # tried together first, then one by one
    assert sorted(flush.batches[1:]) == [[-2], [1], [3]]


async def test_when_the_database_is_away_then_every_caller_fails_without_retrying_one_by_one() -> (
    None
):
    refused = ConnectionRefusedError(111, "Connection refused")
    flush = Recorder(error=refused)
    commit = GroupCommit(flush)
    results = await asyncio.gather(*(outcome(commit, n) for n in range(5)))
    assert results == ["ConnectionRefusedError"] * 5
    assert flush.batches == [[0, 1, 2, 3, 4]]


async def test_when_a_caller_gives_up_then_its_neighbours_are_still_written() -> None:
    flush = Recorder(pause=0.05)
    commit = GroupCommit(flush)
    impatient = asyncio.create_task(commit.submit(1))
    patient = asyncio.create_task(commit.submit(2))
    await asyncio.sleep(0.01)
    impatient.cancel()
    assert await patient == 4
    assert flush.batches == [[1, 2]]


async def test_when_shutdown_waits_for_idle_then_a_write_left_by_a_cancelled_caller_finishes() -> (
    None
):
    """Disposing the pool under a flush would strand its connection; idle() waits it out."""
    finished: list[int] = []

    async def flush(items: Sequence[int]) -> list[int]:
        await asyncio.sleep(0.05)
        finished.extend(items)
        return list(items)

    commit: GroupCommit[int, int] = GroupCommit(flush)
    caller = asyncio.create_task(commit.submit(7))
    await asyncio.sleep(0.01)
    caller.cancel()
    await commit.idle()
    assert finished == [7]
    await commit.idle()  # nothing in flight: returns at once


@pytest.mark.parametrize(
    ("error", "away"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (IntegrityError("INSERT", {}, Exception("duplicate")), False),
        (ValueError("bad value"), False),
    ],
)
def test_only_connection_failures_count_as_the_database_being_away(
    error: Exception, away: bool
) -> None:
    assert is_disconnect(error) is away


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=-3, max_value=50), max_size=40),
    st.integers(min_value=1, max_value=8),
    st.lists(st.integers(min_value=0, max_value=3), max_size=40),
)
def test_any_mix_of_good_and_bad_writes_each_caller_gets_its_own_answer(
    items: list[int], max_batch: int, gaps: list[int]
) -> None:
    async def scenario() -> list[int | str]:
        commit = GroupCommit(Recorder(pause=0), max_batch=max_batch)
        tasks = []
        for position, item in enumerate(items):
            tasks.append(asyncio.create_task(outcome(commit, item)))
            for _ in range(gaps[position] if position < len(gaps) else 0):
                await asyncio.sleep(0)
        return list(await asyncio.gather(*tasks))

    expected = [item * 2 if item >= 0 else "IntegrityError" for item in items]
    assert asyncio.run(scenario()) == expected
