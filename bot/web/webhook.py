"""POST /telegram/webhook: authenticate, bound, parse, commit to the inbox, then answer.

The order is the promise. A forged call is refused before the body is read (403, nothing
touched, constant-time comparison, P5); a body over the limit is refused unread (413); the
update is committed before the 200, so Telegram redelivers anything we did not keep (P1),
and a database outage answers 503, which Telegram also retries (P8).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.inbox.intake import Intake, MalformedUpdate

LOGGER = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's largest updates (long texts with entities, big polls) are a few tens of KiB.
MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class WebhookIntake:
    """What the webhook route needs: the secret, the inbox and who to wake up."""

    secret: bytes
    inbox: Intake
    notify: Callable[[], None]


INTAKE_KEY = web.AppKey("webhook_intake", WebhookIntake)


def secret_matches(given: str | None, expected: bytes) -> bool:
    """Constant-time comparison, so response timing reveals nothing about the secret."""
    return hmac.compare_digest((given or "").encode("utf-8", "replace"), expected)


async def receive_update(request: web.Request) -> web.Response:
    """Authenticate, bound and commit one update, then acknowledge it."""
    intake = request.app[INTAKE_KEY]
    if not secret_matches(request.headers.get(SECRET_HEADER), intake.secret):
        return web.json_response({"ok": False, "error": "forbidden"}, status=403)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return web.json_response({"ok": False, "error": "body too large"}, status=413)
    body = await _read_bounded(request)
    if body is None:
        return web.json_response({"ok": False, "error": "body too large"}, status=413)
    try:
        payload = json.loads(body)
        accepted = await intake.inbox.accept(payload)
    except (ValueError, MalformedUpdate) as exc:
        return web.json_response({"ok": False, "error": f"malformed update: {exc}"}, status=400)
    except (SQLAlchemyError, OSError) as exc:  # a refused connection is a bare OSError
        LOGGER.warning("inbox unavailable, asking Telegram to retry: %s", type(exc).__name__)
        return web.json_response({"ok": False, "error": "temporarily unavailable"}, status=503)
    if accepted:
        intake.notify()
    return web.json_response({"ok": True})


async def _read_bounded(request: web.Request) -> bytes | None:
    """The whole body, however it is chunked; None as soon as it passes the limit."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
