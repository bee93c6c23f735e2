"""Drains the durable inbox into python-telegram-bot, concurrently, in order within each chat.

Why not PTB's own update queue: an update that sits only in memory is lost when the process
dies after Telegram got its 200. Every update is committed to `inbox_updates` first (webhook
or poller); this worker claims rows under a lease, hands each to `Application.process_update`
and marks it done. `InboxRepository.claim` gives out at most one unfinished update per chat,
so replies in a chat keep their order across tasks and replicas (P4), while different chats
proceed in parallel, which is what breaks the 1/latency ceiling of serial processing.

Transient failures (network, Bot API 5xx, 429, database hiccups) put the update back with a
delay; anything else is logged and marked done so one poisonous update cannot block its chat.

Settling is where the sent reply's message id is recorded too (`defer_reply_record`): one
transaction instead of two, shared by every update that finished meanwhile (group commit).
It is retried for most of the lease, because a settle that is lost means the update runs
again and its reply is sent twice (RELIABILITY P8).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.db.batching import GroupCommit
from bot.db.checks import CheckRepository
from bot.db.inbox import ClaimedUpdate, InboxRepository

LOGGER = logging.getLogger(__name__)
# Short enough that a backlog drains soon after the Bot API or the database returns.
RETRY_CAP_SECONDS = 15
# Seconds between attempts to settle (about 20 s in all, under the 30 s lease).
SETTLE_RETRIES = (0.5, 1.0, 2.0, 4.0, 6.0, 6.0)
# The database and the Bot API being away are expected states; a driver surfaces a refused
# connection as a plain OSError and an outage as any DBAPIError, so both families count.
DATABASE_DOWN = (SQLAlchemyError, OSError)
TRANSIENT = (NetworkError, TimedOut, RetryAfter, *DATABASE_DOWN)


@dataclass(slots=True)
class Outcome:
    """What happened to one update while PTB ran its handlers (set by the error handler)."""

    error: BaseException | None = None
    # (check id, message id) of a reply sent, to record when the update is settled.
    reply: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Completion:
    """An update processed to the end, and the reply to record with it, if one went out."""

    update_id: int
    reply: tuple[int, int] | None


CURRENT_OUTCOME: ContextVar[Outcome | None] = ContextVar("saring_update_outcome", default=None)


def record_error(error: BaseException) -> None:
    """Called by the PTB error handler: remember the failure for the worker that runs it."""
    outcome = CURRENT_OUTCOME.get()
    if outcome is not None:
        outcome.error = error


async def retry_while_database_down(
    attempt: Callable[[], Awaitable[None]],
) -> BaseException | None:
    """Run `attempt`, again after each database outage for about 20 s (SETTLE_RETRIES).

    Returns None once it succeeds, or the last error when the database stayed away: a
    record lost here means an update runs again and its reply is sent twice (P8).
    """
    for delay in SETTLE_RETRIES:
        try:
            await attempt()
            return None
        except DATABASE_DOWN:
            await asyncio.sleep(delay)
    try:
        await attempt()
        return None
    except DATABASE_DOWN as exc:
        return exc


def defer_reply_record(check_id: int, message_id: int) -> bool:
    """Record a sent reply with the update's settle; False outside the inbox worker."""
    outcome = CURRENT_OUTCOME.get()
    if outcome is None:
        return False
    outcome.reply = (check_id, message_id)
    return True


def _done_event() -> asyncio.Event:
    """Set while no claim loop runs (also before run() starts, so stop() never waits)."""
    event = asyncio.Event()
    event.set()
    return event


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class InboxWorker:
    """Claims inbox rows and processes them with at most `concurrency` in flight."""

    sessions: async_sessionmaker[AsyncSession]
    application: Application[Any, Any, Any, Any, Any, Any]
    worker_id: str = field(default_factory=default_worker_id)
    concurrency: int = 64
    lease: timedelta = timedelta(seconds=30)
    idle_poll: float = 0.2
    claim_interval: float = 0.025
    # Transient failures retry with a delay capped at RETRY_CAP; 60 attempts outlast a
    # Bot API outage of about 15 minutes (RELIABILITY P7 promises 10) before giving up.
    max_attempts: int = 60
    repository: InboxRepository = field(default_factory=InboxRepository)
    checks: CheckRepository = field(default_factory=CheckRepository)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _stopping: bool = field(default=False, init=False)
    _in_flight: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _loop_done: asyncio.Event = field(default_factory=_done_event, init=False)
    _completions: GroupCommit[Completion, int] = field(init=False)

    def __post_init__(self) -> None:
        self._completions = GroupCommit(self._complete)

    def notify(self) -> None:
        """A new update was stored by this process: claim without waiting for the poll."""
        self._wakeup.set()

    async def run(self) -> None:
        """Claim and process until `stop()`; survives database outages by backing off."""
        self._loop_done.clear()
        try:
            await self._loop()
        finally:
            self._loop_done.set()

    async def _loop(self) -> None:
        backoff = self.idle_poll
        last_claim = -self.claim_interval
        loop = asyncio.get_running_loop()
        while not self._stopping:
            # A claim is up to three statements whatever it finds; under load every arrival and
            # every finished update wakes the loop, so claims are spaced to gather several
            # rows each. An idle worker still claims at once when an update arrives.
            wait = last_claim + self.claim_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            free = self.concurrency - len(self._in_flight)
            rows: list[ClaimedUpdate] = []
            if free > 0:
                last_claim = loop.time()
                try:
                    rows = await self._claim(free)
                    backoff = self.idle_poll
                except DATABASE_DOWN as exc:
                    LOGGER.warning("inbox claim failed (%s); retrying", type(exc).__name__)
                    backoff = min(backoff * 2, 5.0)
            if self._stopping:
                return  # claimed during shutdown: stop() hands these back unprocessed
            for row in rows:
                task = asyncio.create_task(self._process(row), name=f"inbox:{row.update_id}")
                self._in_flight.add(task)
                task.add_done_callback(self._finished)
            if len(rows) < free or free <= 0:  # caught up, or full: wait for news
                await self._sleep(backoff)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let in-flight updates finish, hand back what did not (P10)."""
        self._stopping = True
        self._wakeup.set()
        # A claim may be on its way back from the database: wait for the loop to end first,
        # or rows it claims would start after their release and be answered twice.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._loop_done.wait()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._completions.idle()  # settles already handed to a flush
        with contextlib.suppress(*DATABASE_DOWN):
            async with self.sessions.begin() as session:
                released = await self.repository.release(session=session, worker=self.worker_id)
            if released:
                LOGGER.info("released %d unfinished update(s) for another worker", released)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wakeup.set()
        if not task.cancelled() and task.exception() is not None:
            LOGGER.error("inbox task crashed", exc_info=task.exception())

    async def _sleep(self, seconds: float) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
        # that lands as the event is set, and a cancelled worker would then run on forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wakeup.wait()
        self._wakeup.clear()

    async def _claim(self, limit: int) -> list[ClaimedUpdate]:
        async with self.sessions.begin() as session:
            return await self.repository.claim(
                session=session, worker=self.worker_id, limit=limit, lease=self.lease
            )

    async def _process(self, row: ClaimedUpdate) -> None:
        outcome = Outcome()
        token = CURRENT_OUTCOME.set(outcome)
        try:
            update = Update.de_json(row.payload or {}, self.application.bot)
            await self.application.process_update(update)
        except Exception as exc:  # de_json on a malformed payload; PTB itself never raises
            outcome.error = exc
        finally:
            CURRENT_OUTCOME.reset(token)
        await self._settle(row, outcome)

    async def _settle(self, row: ClaimedUpdate, outcome: Outcome) -> None:
        """Mark done, or put back for a retry when the failure was transient."""
        error = outcome.error
        if error is not None and not isinstance(error, TRANSIENT):
            LOGGER.error("update %s failed permanently: %r", row.update_id, error)

        async def settle() -> None:
            if error is not None and isinstance(error, TRANSIENT):
                await self._fail(row, outcome, error)
            else:
                await self._completions.submit(Completion(row.update_id, outcome.reply))

        lost = await retry_while_database_down(settle)
        if lost is not None:
            # The lease expires and another claim retries the update: at least once.
            LOGGER.warning("could not settle update %s: %s", row.update_id, type(lost).__name__)

    async def _complete(self, done: Sequence[Completion]) -> list[int]:
        replies = [completion.reply for completion in done if completion.reply is not None]
        async with self.sessions.begin() as session:
            await self.checks.set_reply_messages(session=session, replies=replies)
            await self.repository.complete_many(
                session=session,
                update_ids=[completion.update_id for completion in done],
                worker=self.worker_id,
            )
        return [completion.update_id for completion in done]

    async def _fail(self, row: ClaimedUpdate, outcome: Outcome, error: BaseException) -> None:
        delay = error.retry_after if isinstance(error, RetryAfter) else None
        async with self.sessions.begin() as session:
            if outcome.reply is not None:  # sent before the failure: never send it again
                await self.checks.set_reply_messages(session=session, replies=[outcome.reply])
            await self.repository.fail(
                session=session,
                update_id=row.update_id,
                worker=self.worker_id,
                error=f"{type(error).__name__}: {error}"[:500],
                max_attempts=self.max_attempts,
                retry_after=_retry_delay(row.attempts, delay),
            )


def retry_after_seconds(value: object) -> float | None:
    """PTB gives `retry_after` as int seconds or a timedelta, depending on its settings."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    return None


def _retry_delay(attempts: int, retry_after: object) -> timedelta:
    seconds = retry_after_seconds(retry_after)
    if seconds is not None:
        return timedelta(seconds=seconds)
    return timedelta(seconds=min(2 ** max(attempts, 0), RETRY_CAP_SECONDS))
