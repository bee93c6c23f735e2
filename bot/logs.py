"""Logging set-up: one dictConfig, secrets redacted from every record.

httpx logs each request URL at INFO, and Bot API URLs contain the bot token
(`/bot123456:ABC.../sendMessage`), so httpx and httpcore stay at WARNING. As a second line
of defence a filter on the root handler replaces anything shaped like a bot token, and the
configured secrets themselves, before a record is written (P20 of RELIABILITY.md).
"""

from __future__ import annotations

import logging
import logging.config
import re
from collections.abc import Iterable

TOKEN_SHAPE = re.compile(r"(?:bot)?\d{5,}:[A-Za-z0-9_-]{20,}")
NIK_SHAPE = re.compile(r"(?<!\d)(\d{4})\d{12}(?:\d{2})?(?!\d)")
REDACTED = "[REDACTED]"
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio")


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secrets, token-shaped strings and NIK/NIP masked."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s and len(s) >= 6)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = TOKEN_SHAPE.sub(REDACTED, text)
        return NIK_SHAPE.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 4), text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once, at start-up, before any secret can be logged."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"redact": {"()": RedactingFilter, "secrets": list(secrets)}},
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "plain",
                    "filters": ["redact"],
                }
            },
            "root": {"level": level, "handlers": ["stderr"]},
            "loggers": {name: {"level": "WARNING"} for name in QUIET_LOGGERS},
        }
    )
