"""The error handler: log first, tell the inbox worker, never raise.

PTB hands every exception from a handler here. The inbox worker reads the recorded error to
decide between a retry (network, Bot API outage, database hiccup) and giving up (a bug), so
an update is never silently dropped on a transient failure.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.inbox.worker import record_error

LOGGER = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its update id and record it for the worker."""
    error = context.error
    if error is None:
        return
    update_id = update.update_id if isinstance(update, Update) else None
    LOGGER.error("handler failed for update %s: %r", update_id, error, exc_info=error)
    record_error(error)
