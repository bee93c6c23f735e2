"""PooledRequest: PTB's HTTPXRequest split over small pools, calls spread to the least busy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.telegram.request import PooledRequest


@pytest.fixture
async def slow_api() -> AsyncIterator[tuple[str, list[int]]]:
    """A Bot API stand-in that answers after 50 ms and notes the client port of each call."""
    ports: list[int] = []

    async def answer(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        ports.append(peer[1] if peer else -1)
        await asyncio.sleep(0.05)
        return web.json_response({"ok": True, "result": request.match_info["method"]})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/botTOKEN")), ports
    await server.close()


async def test_when_many_calls_are_in_flight_then_every_pool_carries_its_share(
    slow_api: tuple[str, list[int]],
) -> None:
    base, ports = slow_api
    request = PooledRequest(shards=3, per_shard=2, pool_timeout=5.0)
    await request.initialize()
    try:
        calls = [request.do_request(f"{base}/call{n}", "POST") for n in range(12)]
        answers = await asyncio.gather(*calls)
    finally:
        await request.shutdown()
    assert [(status, json.loads(body)["result"]) for status, body in answers] == [
        (200, f"call{n}") for n in range(12)
    ]
    # 12 calls at once, 3 pools of 2: every pool opened both its connections, none more.
    assert len(set(ports)) == 6


async def test_when_one_call_runs_at_a_time_then_one_connection_is_reused(
    slow_api: tuple[str, list[int]],
) -> None:
    base, ports = slow_api
    request = PooledRequest(shards=4, per_shard=3)
    await request.initialize()
    try:
        for n in range(5):
            status, _ = await request.do_request(f"{base}/call{n}", "POST")
            assert status == 200
    finally:
        await request.shutdown()
    assert len(set(ports)) == 1  # the first pool is always the least busy: keep-alive works


@pytest.mark.parametrize(("shards", "per_shard"), [(0, 12), (4, 0)])
def test_when_a_pool_would_be_empty_then_it_is_refused(shards: int, per_shard: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PooledRequest(shards=shards, per_shard=per_shard)
