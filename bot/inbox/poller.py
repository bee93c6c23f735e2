"""Polling mode: getUpdates into the inbox. The offset moves only past committed updates.

Telegram forgets an update once a later getUpdates call passes an offset beyond it, so the
offset advances only after the update is committed: a crash re-fetches, and the inbox's
update_id key drops the duplicates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Update
from telegram.error import NetworkError, RetryAfter, TelegramError

from bot.inbox.intake import Intake
from bot.inbox.worker import retry_after_seconds

LOGGER = logging.getLogger(__name__)


@dataclass
class Poller:
    bot: Bot
    inbox: Intake
    notify: Callable[[], None]
    long_poll_seconds: int = 25
    _stopping: bool = field(default=False, init=False)

    async def run(self) -> None:
        offset: int | None = None
        backoff = 1.0
        while not self._stopping:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=self.long_poll_seconds,
                    allowed_updates=Update.ALL_TYPES,
                )
                for update in updates:
                    await self.inbox.accept(update.to_dict())
                    offset = update.update_id + 1
                    self.notify()
                backoff = 1.0
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc.retry_after) or 5.0)
            except (NetworkError, SQLAlchemyError, TelegramError) as exc:
                LOGGER.warning(
                    "polling failed (%s); retrying in %.0fs", type(exc).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    def stop(self) -> None:
        self._stopping = True
