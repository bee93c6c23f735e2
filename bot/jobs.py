"""Periodic work of a running bot: retention purge and picking up registry changes.

Both are plain asyncio loops owned by the web app's lifecycle, safe to run on every replica
at once: the purge is idempotent, and a reload only rebuilds this replica's engine.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot
from telegram.error import TelegramError

from bot.checking.errors import LoadError
from bot.checking.guidance import WIB
from bot.db.albums import AlbumRepository
from bot.db.checks import CheckRepository
from bot.db.models import AuditRow
from bot.services import Services

LOGGER = logging.getLogger(__name__)
RETENTION_INTERVAL = timedelta(hours=24)
REGISTRY_POLL_SECONDS = 30.0
ALBUM_MEMORY = timedelta(days=1)
WEBHOOK_POLL_SECONDS = 60.0
MAX_PENDING_UPDATES = 100
WEBHOOK_ERROR_WINDOW = timedelta(minutes=5)


async def purge_expired(services: Services, now: datetime | None = None) -> int:
    """Delete check records older than the retention period; returns how many went."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=services.settings.retention_days)
    async with services.sessions.begin() as session:
        purged = await CheckRepository().purge(session=session, older_than=cutoff)
        await AlbumRepository().purge(session=session, older_than=now - ALBUM_MEMORY)
    LOGGER.info("retention purge: %d record(s) older than %s removed", purged, cutoff.date())
    return purged


async def retention_loop(services: Services) -> None:
    """Purge at start-up and then once a day (UU PDP: keep no longer than needed)."""
    while True:
        try:
            await purge_expired(services)
        except SQLAlchemyError as exc:
            LOGGER.warning("retention purge failed: %s", type(exc).__name__)
        await asyncio.sleep(RETENTION_INTERVAL.total_seconds())


async def registry_watch_loop(services: Services) -> None:
    """Rebuild the engine when another replica (or the CLI) changed the registry or hoaxes.

    Every change writes an audit row, so the newest audit id is a cheap version number.
    """
    try:
        seen = await _registry_version(services)  # the engine was built from this version
    except SQLAlchemyError:
        seen = None  # unknown: the first successful look reloads
    while True:
        await asyncio.sleep(REGISTRY_POLL_SECONDS)
        try:
            latest = await _registry_version(services)
            if latest != seen:
                await services.reload_engine()
            seen = latest
        except (SQLAlchemyError, LoadError) as exc:
            LOGGER.warning("registry refresh failed: %s", exc)


async def _registry_version(services: Services) -> int | None:
    async with services.sessions() as session:
        return await session.scalar(select(func.max(AuditRow.id)))


@dataclass
class WebhookMonitor:
    """Telegram's own view of our webhook (getWebhookInfo), polled; P24 of RELIABILITY.md.

    Telegram keeps updates it could not deliver and reports how many are waiting and when
    delivery last failed; both mean this deployment is falling behind even if our own inbox
    looks empty.
    """

    bot: Bot
    max_pending: int = MAX_PENDING_UPDATES
    state: str = "ok"

    async def refresh(self, now: datetime | None = None) -> str:
        info = await self.bot.get_webhook_info()
        now = now or datetime.now(UTC)
        error_at = info.last_error_date
        if info.pending_update_count > self.max_pending:
            self.state = f"{info.pending_update_count} updates waiting at Telegram"
        elif error_at is not None and now - error_at < WEBHOOK_ERROR_WINDOW:
            self.state = f"delivery error at Telegram: {info.last_error_message or 'unknown'}"
        else:
            self.state = "ok"
        return self.state

    async def loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except TelegramError as exc:
                LOGGER.warning("getWebhookInfo failed: %s", type(exc).__name__)
            await asyncio.sleep(WEBHOOK_POLL_SECONDS)


async def digest_loop(services: Services) -> None:
    """Queue the unit heads' daily digest at the policy's hour (WIB), once a day."""
    while True:
        policy = services.escalator.policy
        now = datetime.now(WIB)
        due = now.replace(hour=policy.digest_hour_wib, minute=0, second=0, microsecond=0)
        if due <= now:
            due += timedelta(days=1)
        await asyncio.sleep((due - now).total_seconds())
        try:
            queued = await services.escalator.queue_digests()
            LOGGER.info("digest: %d message(s) queued", queued)
        except SQLAlchemyError as exc:
            LOGGER.warning("digest failed: %s", type(exc).__name__)
