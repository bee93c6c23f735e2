"""build_application(settings, services): the PTB Application, wired but not running.

PTB runs without its Updater (`.updater(None)`): updates come from our durable inbox, and
aiohttp owns the port (PTB's customwebhookbot example). `SARING_TELEGRAM_API_URL` routes the
real HTTP stack to another Bot API server, which is how the end-to-end tests run offline.
"""

from __future__ import annotations

from telegram.ext import ApplicationBuilder

from bot.context import CONTEXT_TYPES, SERVICES_KEY, BotApplication
from bot.handlers import register_handlers
from bot.services import Services
from bot.settings import Settings
from bot.telegram.request import PooledRequest

# Replies to different chats go out in parallel: at 200 updates/s and 100 ms per call about
# 20-30 requests are in flight, so 8 x 6 connections leave room (bot/telegram/request.py
# explains why several small pools rather than one big one).
POOL_SHARDS = 8
CONNECTIONS_PER_SHARD = 6


class MissingTokenError(ValueError):
    """`saring run` needs SARING_TELEGRAM_TOKEN."""


def file_url_for(api_url: str) -> str:
    """The file endpoint that belongs to a Bot API base URL (".../bot" -> ".../file/bot")."""
    base = api_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


def build_application(settings: Settings, services: Services) -> BotApplication:
    """Build the Application with our context type, handlers and services attached."""
    if settings.telegram_token is None:
        raise MissingTokenError("SARING_TELEGRAM_TOKEN is required to run the bot")
    application: BotApplication = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url_for(settings.telegram_api_url))
        .updater(None)
        .context_types(CONTEXT_TYPES)
        .request(
            PooledRequest(shards=POOL_SHARDS, per_shard=CONNECTIONS_PER_SHARD, pool_timeout=10.0)
        )
        .build()
    )
    services.enable_escalation()
    application.bot_data[SERVICES_KEY] = services
    register_handlers(application, services)
    return application
