"""GET /healthz (the process answers) and GET /readyz (it can do its job).

Ready means: the database answers and a rule set is loaded (else 503, and a load balancer
stops sending to this replica), and nothing falls behind: the oldest pending inbox update is
younger than the threshold and Telegram does not report the webhook lagging (pending updates
piling up, a recent delivery error); else "degraded". The body names the failing part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.inbox import InboxRepository

MAX_BACKLOG_AGE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class HealthProbe:
    sessions: async_sessionmaker[AsyncSession]
    rules_loaded: Callable[[], bool]
    # What Telegram says about the webhook ("ok" or the problem), from the last getWebhookInfo.
    webhook_state: Callable[[], str] = lambda: "ok"
    max_backlog_age: timedelta = MAX_BACKLOG_AGE


PROBE_KEY = web.AppKey("health_probe", HealthProbe)


async def healthz(_: web.Request) -> web.Response:
    """Answer while the event loop runs."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """503 when this replica cannot work; 200 "degraded" when the deployment falls behind.

    Falling behind (a shared inbox backlog, Telegram holding updates) is the same on every
    replica; failing readiness for it would make a load balancer drop them all at once and
    refuse the very updates that must be taken in. So it degrades, and says why.
    """
    probe = request.app[PROBE_KEY]
    essential: dict[str, str] = {"rules": "ok" if probe.rules_loaded() else "not loaded"}
    lagging: dict[str, str] = {"webhook": probe.webhook_state()}
    pending = 0
    try:
        async with probe.sessions() as session:
            await session.execute(text("SELECT 1"))
            backlog = await InboxRepository().backlog(session=session)
        essential["database"] = "ok"
        pending = backlog.pending
        oldest = backlog.oldest_pending_at
        age = datetime.now(UTC) - oldest if oldest else timedelta(0)
        behind = age > probe.max_backlog_age
        lagging["inbox"] = f"behind by {int(age.total_seconds())}s" if behind else "ok"
    except (SQLAlchemyError, OSError) as exc:
        essential["database"] = f"unavailable ({type(exc).__name__})"
    working = all(v == "ok" for v in essential.values())
    current = all(v == "ok" for v in lagging.values())
    status = "ready" if working and current else "degraded" if working else "not ready"
    checks = {**essential, **lagging, "pending": str(pending)}
    return web.json_response({"status": status, "checks": checks}, status=200 if working else 503)
