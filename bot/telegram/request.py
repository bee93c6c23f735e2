"""PTB's own HTTPXRequest, several small pools of it behind one BaseRequest.

Why not one pool of 48: httpcore 1.0.9 walks every pooled connection whenever it assigns a
request or gets one back (a socket poll per idle connection, and a quadratic count of the
idle ones; encode/httpcore#1035, unreleased). At 200 updates/s that bookkeeping was 40% of
the bot's CPU with 48 connections (benchmarks/pipeline.py). The cost grows with the square
of the pool, so eight pools of 6 cost about a sixtieth as much per request and still keep
48 requests in flight. Each call goes to the pool with the fewest calls in flight.

Every request is still made by python-telegram-bot's HTTPXRequest; this class only chooses
which one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.request import BaseRequest, HTTPXRequest, RequestData

DEFAULT_NONE: Any = BaseRequest.DEFAULT_NONE


class PooledRequest(BaseRequest):
    """`shards` HTTPXRequest instances of `per_shard` connections each."""

    def __init__(self, *, shards: int = 4, per_shard: int = 12, **httpx_request: Any) -> None:
        if shards < 1 or per_shard < 1:
            raise ValueError("shards and per_shard must be at least 1")
        self._pools = [
            HTTPXRequest(connection_pool_size=per_shard, **httpx_request) for _ in range(shards)
        ]
        self._in_flight = [0] * shards

    @property
    def read_timeout(self) -> float | None:
        return self._pools[0].read_timeout

    async def initialize(self) -> None:
        await asyncio.gather(*(pool.initialize() for pool in self._pools))

    async def shutdown(self) -> None:
        await asyncio.gather(*(pool.shutdown() for pool in self._pools))

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = DEFAULT_NONE,
        write_timeout: Any = DEFAULT_NONE,
        connect_timeout: Any = DEFAULT_NONE,
        pool_timeout: Any = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        index = min(range(len(self._pools)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            return await self._pools[index].do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        finally:
            self._in_flight[index] -= 1
