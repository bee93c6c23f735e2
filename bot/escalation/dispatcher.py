"""Delivers the outbox to Telegram: claimed under a lease, rate limited, settled per row.

Why a worker and not a send inside the handler: an alert must survive a crash between the
case commit and the send, and must wait out Telegram's flood limits without holding up the
replies to ASN. The row is committed with the case; this worker claims rows (several replicas
may run it), sends each through the `RateLimiter`, and records the message id.

Per-error policy (RELIABILITY P3, P6, P9):
- 429 (RetryAfter): pause the scope in the limiter, put the row back for `retry_after`; not an
  attempt (Telegram asked us to wait, nothing is wrong with the message).
- network errors, timeouts, 5xx: retry with exponential backoff and jitter, up to
  `max_attempts`; a timeout may have delivered the message, hence "at least once".
- 403 Forbidden and 400 "chat not found": the recipient cannot be written to. One attempt,
  the contact is recorded unreachable, and an alert goes to the fallback chat instead.
- 400 "message is not modified": the edit is already there; counted as sent.
- other 400s: Telegram will never accept the request; failed at once.

Cancelling `run()` is abrupt, like a crash: in-flight sends are cancelled and their rows stay
claimed until the lease expires. Database transactions are shielded so a cancellation never
leaves one half done on a pooled connection. `stop()` is the graceful path.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.db.contacts import ContactRepository
from bot.db.outbox import EDIT, EDIT_OF, OutboxRepository, OutboxRow
from bot.db.repositories import Clock, utc_now
from bot.escalation.ratelimit import RateLimiter
from bot.inbox.worker import default_worker_id, retry_after_seconds
from bot.telegram.details import TELEGRAM_TEXT_LIMIT, clip_utf16, utf16_len
from bot.texts import id as texts

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

FALLBACK_PURPOSE = "alert_fallback"
NOT_MODIFIED = "message is not modified"
UNREACHABLE_400 = ("chat not found", "user not found", "peer_id_invalid")
ORIGINAL_LOST = "the alert this edit belongs to was never delivered"
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0


@dataclass(frozen=True, slots=True)
class DispatchHooks:
    """Seams at the moments a crash hurts most, for crash tests; production passes none."""

    after_claim: Callable[[OutboxRow], Awaitable[None]] | None = None
    after_send: Callable[[OutboxRow, int], Awaitable[None]] | None = None


@dataclass(frozen=True, slots=True)
class _Job:
    row: OutboxRow
    message_id: int | None  # the message an edit edits


@dataclass
class Dispatcher:
    """Claims outbox rows and sends them with at most `concurrency` in flight."""

    sessions: async_sessionmaker[AsyncSession]
    bot: Bot
    limiter: RateLimiter = field(default_factory=RateLimiter)
    worker_id: str = field(default_factory=lambda: f"outbox:{default_worker_id()}")
    concurrency: int = 32
    # Rows of one chat held at a time: the rest of that chat's queue waits in the table,
    # where it does not keep other chats' alerts from being claimed.
    per_chat: int = 2
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    fallback_chat_id: int | None = None
    idle_poll: float = 0.5
    backoff_base: float = BACKOFF_BASE_S
    backoff_cap: float = BACKOFF_CAP_S
    clock: Clock = utc_now
    hooks: DispatchHooks = field(default_factory=DispatchHooks)
    repository: OutboxRepository = field(default_factory=OutboxRepository)
    contacts: ContactRepository = field(default_factory=ContactRepository)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _stopping: bool = field(default=False, init=False)
    _in_flight: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _in_request: set[int] = field(default_factory=set, init=False)  # rows whose request left
    # Lease end of every row a task of this worker holds; a re-claim of one extends it.
    _leases: dict[int, datetime] = field(default_factory=dict, init=False)
    _held: Counter[int] = field(default_factory=Counter, init=False)  # rows held per chat

    def notify(self) -> None:
        """Rows were just committed by this process: claim without waiting for the poll."""
        self._wakeup.set()

    async def run(self) -> None:
        """Claim and send until `stop()`; survives database outages by backing off."""
        try:
            await self._loop()
        except asyncio.CancelledError:
            for task in list(self._in_flight):
                task.cancel()
            raise

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let in-flight sends finish, hand back what did not start.

        After `timeout` the remaining tasks are cancelled. A row whose request had already
        left keeps its claim until the lease expires (it may have been delivered); every
        other unsent row is handed back at once.
        """
        self._stopping = True
        self._wakeup.set()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout)
        unsure = set(self._in_request)
        for task in list(self._in_flight):
            task.cancel()
        with contextlib.suppress(SQLAlchemyError):
            async with self.sessions.begin() as session:
                released = await self.repository.release(
                    session=session, worker=self.worker_id, keep=unsure
                )
            if released:
                LOGGER.info("released %d unsent outbox row(s) for another worker", released)

    async def _loop(self) -> None:
        backoff = self.idle_poll
        while not self._stopping:
            free = self.concurrency - len(self._in_flight)
            jobs: list[_Job] = []
            if free > 0:
                try:
                    jobs = await _shielded(self._claim(free))
                    backoff = self.idle_poll
                except SQLAlchemyError as exc:
                    LOGGER.warning("outbox claim failed (%s); retrying", type(exc).__name__)
                    backoff = min(backoff * 2, 5.0)
            for job in jobs:
                busy = job.row.id in self._leases
                if job.row.claimed_until is not None:
                    self._leases[job.row.id] = job.row.claimed_until
                if busy:  # still waiting in one of our tasks: the claim only renewed its lease
                    continue
                self._held[job.row.chat_id] += 1
                task = asyncio.create_task(self._process(job), name=f"outbox:{job.row.id}")
                self._in_flight.add(task)
                task.add_done_callback(self._finished)
            if not jobs:
                await self._sleep(backoff if free > 0 else self.idle_poll)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wakeup.set()
        if not task.cancelled() and task.exception() is not None:
            LOGGER.error("outbox task crashed", exc_info=task.exception())

    async def _sleep(self, seconds: float) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
        # that lands as the event is set, and a cancelled worker would then run on forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wakeup.wait()
        self._wakeup.clear()

    async def _claim(self, limit: int) -> list[_Job]:
        full = [chat for chat, held in self._held.items() if held >= self.per_chat]
        async with self.sessions.begin() as session:
            rows = await self.repository.claim(
                session=session,
                worker=self.worker_id,
                limit=limit,
                lease=self.lease,
                per_chat=self.per_chat,
                skip_chats=full,
            )
            originals = [row.payload[EDIT_OF] for row in rows if EDIT_OF in row.payload]
            sent = await self.repository.sent_message_ids(session=session, row_ids=originals)
        return [_Job(row, _edited_message(row, sent)) for row in rows]

    async def _process(self, job: _Job) -> None:
        try:
            await self._deliver(job)
        finally:
            self._leases.pop(job.row.id, None)
            self._held[job.row.chat_id] -= 1
            if self._held[job.row.chat_id] <= 0:
                del self._held[job.row.chat_id]

    async def _deliver(self, job: _Job) -> None:
        row = job.row
        if self.hooks.after_claim is not None:
            await self.hooks.after_claim(row)
        if row.method == EDIT and job.message_id is None:
            await self._settle(self.repository.mark_failed, row, error=ORIGINAL_LOST)
            return
        try:
            async with self.limiter.sending(row.chat_id):
                if not self._lease_left(row):
                    await self._hand_back(row)
                    return
                self._in_request.add(row.id)
                try:
                    message_id = await self._send(row, job.message_id)
                finally:
                    self._in_request.discard(row.id)
            if self.hooks.after_send is not None:
                await self.hooks.after_send(row, message_id)
            await self._settle(self.repository.mark_sent, row, message_id=message_id)
        except RetryAfter as exc:
            await self._settle_429(row, exc)
        except TelegramError as exc:
            await self._settle_error(row, exc)
        except Exception as exc:  # a malformed payload: retrying the same row cannot help
            LOGGER.exception("outbox row %s cannot be sent", row.id)
            error = f"{type(exc).__name__}: {exc}"
            await self._settle(self.repository.mark_failed, row, error=error)

    async def _send(self, row: OutboxRow, message_id: int | None) -> int:
        """One Bot API call; a 429 pauses the limiter before the chat's slot is given up."""
        payload = row.payload
        markup = payload.get("reply_markup")
        keyboard = InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None
        options: dict[str, Any] = {
            "reply_markup": keyboard,
            "parse_mode": payload.get("parse_mode"),
        }
        try:
            if row.method == EDIT:
                assert message_id is not None
                await self.bot.edit_message_text(
                    payload["text"], chat_id=row.chat_id, message_id=message_id, **options
                )
                return message_id
            message = await self.bot.send_message(row.chat_id, payload["text"], **options)
            return message.message_id
        except RetryAfter as exc:
            self.limiter.throttled(row.chat_id, retry_after_seconds(exc.retry_after) or 1.0)
            raise
        except BadRequest as exc:
            if row.method == EDIT and NOT_MODIFIED in exc.message.lower():
                return message_id or 0
            raise

    def _lease_left(self, row: OutboxRow) -> bool:
        """A row that waited out most of its lease may be claimed again elsewhere: skip it."""
        until = self._leases.get(row.id, row.claimed_until)
        if until is None:
            return True
        margin = min(timedelta(seconds=5), self.lease / 4)
        return self.clock() < until - margin

    async def _hand_back(self, row: OutboxRow) -> None:
        await self._settle(
            self.repository.retry,
            row,
            error="lease ran out while waiting for the rate limiter",
            not_before=self.clock(),
            count_attempt=False,
        )

    async def _settle_429(self, row: OutboxRow, exc: RetryAfter) -> None:
        seconds = retry_after_seconds(exc.retry_after) or 1.0
        await self._settle(
            self.repository.retry,
            row,
            error=f"RetryAfter: {seconds:g} s",
            not_before=self.clock() + timedelta(seconds=seconds),
            count_attempt=False,
        )

    async def _settle_error(self, row: OutboxRow, exc: TelegramError) -> None:
        error = _describe(exc)
        if _unreachable(exc):
            await _shielded(self._unreachable(row, error))
        elif isinstance(exc, BadRequest):
            LOGGER.error("outbox row %s refused for good: %s", row.id, error)
            await self._settle(self.repository.mark_failed, row, error=error)
        elif row.attempts + 1 >= self.max_attempts:
            LOGGER.error("outbox row %s failed %d times: %s", row.id, row.attempts + 1, error)
            await self._settle(self.repository.mark_failed, row, error=error)
        else:
            delay = _backoff(row.attempts, self.backoff_base, self.backoff_cap)
            await self._settle(
                self.repository.retry,
                row,
                error=error,
                not_before=self.clock() + timedelta(seconds=delay),
            )

    async def _unreachable(self, row: OutboxRow, error: str) -> None:
        """One transaction: the row, the contact, and the alert's copy for the fallback chat."""
        try:
            async with self.sessions.begin() as session:
                held = await self.repository.mark_unreachable(
                    session=session, row_id=row.id, worker=self.worker_id, error=error
                )
                if not held:
                    return
                await self.contacts.mark_unreachable(
                    session=session, chat_id=row.chat_id, reason=error
                )
                if self._needs_fallback(row):
                    await self.repository.enqueue(
                        session=session,
                        chat_id=self.fallback_chat_id,  # type: ignore[arg-type]
                        method=row.method,
                        payload=_fallback_payload(row, error),
                        purpose=FALLBACK_PURPOSE,
                        case_id=row.case_id,
                        alert_number=row.alert_number,
                    )
        except SQLAlchemyError as exc:
            LOGGER.warning("could not settle outbox row %s: %s", row.id, type(exc).__name__)
            return
        LOGGER.warning("chat %s is unreachable (%s); outbox row %s", row.chat_id, error, row.id)
        self._wakeup.set()

    def _needs_fallback(self, row: OutboxRow) -> bool:
        return (
            self.fallback_chat_id is not None
            and row.method != EDIT
            and row.purpose.startswith("alert")
            and row.purpose != FALLBACK_PURPOSE
            and row.chat_id != self.fallback_chat_id
        )

    async def _settle(
        self, change: Callable[..., Awaitable[bool]], row: OutboxRow, **values: Any
    ) -> None:
        """Apply one repository change in its own transaction, whatever cancels the task."""

        async def apply() -> None:
            async with self.sessions.begin() as session:
                held = await change(session=session, row_id=row.id, worker=self.worker_id, **values)
            if not held:
                LOGGER.warning("outbox row %s was taken over before it was settled", row.id)

        try:
            await _shielded(apply())
        except SQLAlchemyError as exc:
            # The lease expires and another claim retries the row: at least once.
            LOGGER.warning("could not settle outbox row %s: %s", row.id, type(exc).__name__)


async def _shielded(work: Awaitable[T]) -> T:
    """Run `work` to its end even if the caller is cancelled (the caller still sees it)."""
    return await asyncio.shield(asyncio.ensure_future(work))


def _edited_message(row: OutboxRow, sent: dict[int, int | None]) -> int | None:
    if row.method != EDIT:
        return None
    if EDIT_OF in row.payload:
        return sent.get(row.payload[EDIT_OF])
    message_id = row.payload.get("message_id")
    return int(message_id) if message_id is not None else None


def _describe(exc: TelegramError) -> str:
    """ "Forbidden: bot was blocked by the user", "BadRequest: chat not found" (PTB strips it)."""
    name = type(exc).__name__
    message = exc.message if exc.message.startswith(name) else f"{name}: {exc.message}"
    return message[:500]


def _unreachable(exc: TelegramError) -> bool:
    if isinstance(exc, Forbidden):
        return True
    return isinstance(exc, BadRequest) and any(
        phrase in exc.message.lower() for phrase in UNREACHABLE_400
    )


def _fallback_payload(row: OutboxRow, error: str) -> dict[str, Any]:
    label = row.payload.get("recipient")
    recipient = label or texts.FALLBACK_RECIPIENT.format(chat_id=row.chat_id)
    reason = error.split(": ", 1)[-1][:200]
    notice = texts.FALLBACK_NOTICE.format(recipient=recipient, reason=reason)
    if str(row.payload.get("parse_mode") or "").lower() == "html":
        notice = html.escape(notice, quote=False)
    # The alert was sized to fit alone; make room for the notice rather than be refused.
    room = TELEGRAM_TEXT_LIMIT - utf16_len(notice) - 2
    body = clip_utf16(str(row.payload["text"]), room)
    return row.payload | {"text": f"{notice}\n\n{body}"}


def _backoff(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter, so replicas that failed together do not retry together."""
    ceiling = min(cap, base * 2 ** max(attempts, 0))
    return random.uniform(ceiling / 2, ceiling)
