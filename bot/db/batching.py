"""Group commit: many concurrent one-row writes share one transaction.

Why: at 200 updates/s every update paid for its own transactions (store, record the check,
settle), and the BEGIN/COMMIT round trips plus SQLAlchemy's per-statement work cost more
CPU than checking the message (benchmarks/pipeline.py, B3). A caller still awaits its own
write and learns its own result, so nothing is acknowledged before it is committed; only
the transaction is shared.

No timer decides when to flush: the first write starts a flush at once, and whatever
arrives while that flush is on its way to the database rides on the next one. An idle
system therefore adds no latency, and a busy one batches by itself.

One bad row must not fail its neighbours: when a batch fails for a reason other than the
database being unreachable, each item is retried in a transaction of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.exc import DBAPIError

Item = TypeVar("Item")
Result = TypeVar("Result")

Flush = Callable[[Sequence[Item]], Awaitable[Sequence[Result]]]


def is_disconnect(error: BaseException) -> bool:
    """The database is away (so retrying item by item would only wait N times as long)."""
    if isinstance(error, OSError):  # refused connections, timeouts
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


@dataclass
class GroupCommit(Generic[Item, Result]):
    """Runs `flush(items)` for whatever writes are waiting; results come back in order.

    `flush` opens its own transaction, writes every item and returns one result per item.
    """

    flush: Flush[Item, Result]
    max_batch: int = 256
    _waiting: list[tuple[Item, asyncio.Future[Result]]] = field(default_factory=list, init=False)
    _flusher: asyncio.Task[None] | None = field(default=None, init=False)

    async def submit(self, item: Item) -> Result:
        """Write `item` with whatever else is waiting; its result once committed.

        Raises what the write raised, for this item alone when the batch could be split.
        """
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_consume)  # a caller that gave up leaves no unread error
        self._waiting.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._drain(), name="group-commit")
        # shield: a caller that gives up must not cancel the flush its neighbours wait on.
        return await asyncio.shield(future)

    async def idle(self) -> None:
        """Return once no write is waiting or in flight (before the engine is disposed).

        A caller cancelled at shutdown leaves its batch to the flush task; disposing the
        pool under that task would strand its connection.
        """
        while self._flusher is not None and not self._flusher.done():
            await asyncio.wait({self._flusher})

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                await self._write(batch)
        except asyncio.CancelledError:  # shutdown: nobody may wait forever on a dead flusher
            for _, future in batch + self._waiting:
                future.cancel()
            self._waiting.clear()
            raise

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self.flush([item for item, _ in batch])
        except Exception as exc:  # handed to the waiters, not swallowed
            if len(batch) == 1 or is_disconnect(exc):
                for _, future in batch:
                    _fail(future, exc)
                return
            for one in batch:  # find the bad row; the others still get written
                await self._write([one])
            return
        if len(results) != len(batch):
            error = RuntimeError(f"flush returned {len(results)} results for {len(batch)}")
            for _, future in batch:
                _fail(future, error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


def _consume(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()


def _fail(future: asyncio.Future[Result], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
