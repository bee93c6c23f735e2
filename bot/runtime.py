"""`saring run`: build everything inside aiohttp's loop and serve until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os

from aiohttp import web

from bot.app import build_application
from bot.logs import configure_logging
from bot.services import create_services
from bot.settings import Settings
from bot.web.app import Mode, create_web_app

LOGGER = logging.getLogger(__name__)
# In-flight updates get this long to finish on SIGTERM; the rest go back to the inbox (P10).
SHUTDOWN_TIMEOUT_SECONDS = 10.0


def secrets_of(settings: Settings) -> list[str]:
    """Values no log line may ever contain."""
    values = [settings.telegram_token, settings.webhook_secret]
    return [v.get_secret_value() for v in values if v is not None]


def parse_listen(listen: str) -> tuple[str, int]:
    """ "host:port" or ":port" (all interfaces) from SARING_LISTEN."""
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"SARING_LISTEN must be host:port, got {listen!r}")
    return (host.strip("[]") or "0.0.0.0"), int(port)


async def make_app(settings: Settings, mode: Mode) -> web.Application:
    services = await create_services(settings)
    application = build_application(settings, services)
    app = create_web_app(services, application, mode)

    async def close_services(_: web.Application) -> None:
        await services.close()

    app.on_cleanup.append(close_services)
    return app


def serve(settings: Settings, mode: Mode) -> None:
    """Run the bot in the given mode until a signal stops it."""
    # python-telegram-bot 22 reports periods (retry_after) as timedelta when asked to; opting
    # in avoids its deprecation warning and matches what retry_after_seconds() expects.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    configure_logging(secrets=secrets_of(settings))
    host, port = parse_listen(settings.listen)
    LOGGER.info("starting Saring in %s mode on %s:%d", mode.value, host, port)
    web.run_app(
        make_app(settings, mode),
        host=host,
        port=port,
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        print=None,
        access_log=None,
    )
