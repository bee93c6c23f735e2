"""create_web_app(...): the aiohttp application that owns the port and the bot's lifetime.

One cleanup context wraps the PTB lifecycle around the aiohttp lifetime (initialize, start,
register the webhook or start polling, run the inbox worker and periodic jobs; on shutdown
stop claiming, finish in-flight updates, hand back the rest, stop PTB). aiohttp's run_app
turns SIGTERM into this orderly shutdown (P10).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from enum import StrEnum
from typing import Any

from aiohttp import web
from telegram import BotCommand, Update

from bot.context import BotApplication
from bot.escalation.dispatcher import Dispatcher
from bot.inbox.intake import Intake
from bot.inbox.poller import Poller
from bot.inbox.worker import InboxWorker
from bot.jobs import WebhookMonitor, digest_loop, registry_watch_loop, retention_loop
from bot.services import Services
from bot.texts import id as texts
from bot.web.health import PROBE_KEY, HealthProbe, healthz, readyz
from bot.web.webhook import INTAKE_KEY, MAX_BODY_BYTES, WEBHOOK_PATH, WebhookIntake, receive_update

LOGGER = logging.getLogger(__name__)
WEBHOOK_MAX_CONNECTIONS = 40
MONITOR_KEY = web.AppKey("webhook_monitor", WebhookMonitor)


class Mode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class ConfigurationError(ValueError):
    """A setting the chosen mode needs is missing."""


def create_web_app(
    services: Services,
    application: BotApplication,
    mode: Mode,
    *,
    worker: InboxWorker | None = None,
    background_jobs: bool = True,
) -> web.Application:
    """Wire HTTP routes and the bot lifecycle; nothing runs until aiohttp starts the app."""
    settings = services.settings
    worker = worker or InboxWorker(services.sessions, application)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    monitor = WebhookMonitor(application.bot)
    app[MONITOR_KEY] = monitor
    app[PROBE_KEY] = HealthProbe(
        services.sessions,
        lambda: services.engine_loaded,
        webhook_state=(lambda: monitor.state) if mode is Mode.WEBHOOK else (lambda: "ok"),
    )
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    intake = Intake(services.sessions)  # the webhook's or the poller's, one per process
    if mode is Mode.WEBHOOK:
        if settings.webhook_secret is None or not settings.webhook_url:
            raise ConfigurationError(
                "webhook mode needs SARING_WEBHOOK_URL and SARING_WEBHOOK_SECRET"
            )
        secret = settings.webhook_secret.get_secret_value().encode()
        app[INTAKE_KEY] = WebhookIntake(secret, intake, worker.notify)
        app.router.add_post(WEBHOOK_PATH, receive_update)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await services.reload_engine()
        async with application:
            await application.start()
            await _announce(application, services, mode)
            escalator = services.escalator
            dispatcher = Dispatcher(
                services.sessions,
                application.bot,
                fallback_chat_id=escalator.policy.fallback_for(settings.ppk_chat_id),
            )
            escalator.queued = dispatcher.notify
            tasks = [_spawn(worker.run(), "inbox-worker"), _spawn(dispatcher.run(), "outbox")]
            poller = Poller(application.bot, intake, worker.notify)
            if mode is Mode.POLLING:
                tasks.append(_spawn(poller.run(), "poller"))
            if background_jobs:
                tasks += [
                    _spawn(retention_loop(services), "retention"),
                    _spawn(registry_watch_loop(services), "registry-watch"),
                    _spawn(digest_loop(services), "digest"),
                ]
                if mode is Mode.WEBHOOK:
                    tasks.append(_spawn(monitor.loop(), "webhook-monitor"))
            yield
            poller.stop()
            await worker.stop()
            await dispatcher.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await intake.idle()  # stores a cancelled request or poll handed to a flush
            await application.stop()

    app.cleanup_ctx.append(lifecycle)
    return app


async def _announce(application: BotApplication, services: Services, mode: Mode) -> None:
    """Publish the command menu and point Telegram at us (or stop a stale webhook)."""
    bot = application.bot
    commands = [BotCommand(name, text) for name, text in texts.COMMANDS_MENU.items()]
    with contextlib.suppress(Exception):
        await bot.set_my_commands(commands)
    settings = services.settings
    if mode is Mode.WEBHOOK:
        assert settings.webhook_secret is not None and settings.webhook_url
        await bot.set_webhook(
            url=settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
            max_connections=WEBHOOK_MAX_CONNECTIONS,
        )
        LOGGER.info("webhook registered")
    else:
        await bot.delete_webhook(drop_pending_updates=False)
        LOGGER.info("polling for updates")


def _spawn(coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    task = asyncio.create_task(coroutine, name=name)
    task.add_done_callback(_log_crash)
    return task


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        LOGGER.critical("background task %s crashed", task.get_name(), exc_info=task.exception())
