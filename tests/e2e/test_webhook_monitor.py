"""P24: when Telegram reports the webhook falling behind, readiness says "degraded"."""

from __future__ import annotations

import time

from bot.web.app import MONITOR_KEY
from tests.e2e.conftest import Saring


async def test_when_telegram_holds_many_pending_updates_then_readyz_degrades(
    saring: Saring,
) -> None:
    monitor = saring.client.app[MONITOR_KEY]
    assert await monitor.refresh() == "ok"
    assert (await saring.client.get("/readyz")).status == 200
    saring.fake.set_webhook_info(pending_update_count=500, last_error_date=int(time.time()))
    assert "500 updates waiting" in await monitor.refresh()
    response = await saring.client.get("/readyz")
    body = await response.json()
    assert response.status == 200  # every replica would see the same: stay in the pool
    assert body["status"] == "degraded"
    assert body["checks"]["webhook"] == "500 updates waiting at Telegram"


async def test_when_delivery_failed_recently_then_readyz_names_the_error(saring: Saring) -> None:
    saring.fake.set_webhook_info(
        pending_update_count=3,
        last_error_date=int(time.time()) - 30,
        last_error_message="Connection timed out",
    )
    state = await saring.client.app[MONITOR_KEY].refresh()
    assert state == "delivery error at Telegram: Connection timed out"
    assert (await (await saring.client.get("/readyz")).json())["status"] == "degraded"


async def test_when_the_last_error_is_old_then_the_webhook_is_healthy(saring: Saring) -> None:
    saring.fake.set_webhook_info(pending_update_count=0, last_error_date=int(time.time()) - 3600)
    assert await saring.client.app[MONITOR_KEY].refresh() == "ok"
