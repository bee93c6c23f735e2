"""P20: the bot token and the webhook secret never appear in a log line.

Logging is configured exactly as `saring run` does it (`bot/runtime.py`: configure_logging
with `secrets_of(settings)`), but at DEBUG, before the bot starts, so start-up (getMe,
setMyCommands, setWebhook with its secret_token) is logged too. Then a full run with forced
failures: a normal check, the Bot API answering 401, the Bot API down (502, the update retried
after recovery), and a handler raising an exception whose message carries the token, a
token-bearing API URL and the secret. Every record is inspected after production's filter ran,
and so is the text the production handler wrote.

Logging does not depend on the database: SQLite only.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

import bot.handlers.messages as messages
from bot.db.models import InboxRow
from bot.logs import QUIET_LOGGERS, configure_logging
from bot.runtime import secrets_of
from tests import factories as f
from tests.e2e.conftest import SECRET, TOKEN, Saring, e2e_settings
from tests.e2e.fake_bot_api import FakeBotApi

SQLITE_ONLY = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
ASN = 1301
TOKEN_IN_URL = re.compile(r"bot\d+:")


@pytest.fixture
def production_logging(fake: FakeBotApi, db_url: str) -> Iterator[io.StringIO]:
    """Logging exactly as `saring run` configures it, at DEBUG; yields what it writes."""
    root = logging.getLogger()
    level, quiet = root.level, {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    before = list(root.handlers)
    configure_logging("DEBUG", secrets=secrets_of(e2e_settings(fake, db_url)))
    (handler,) = [h for h in root.handlers if h not in before]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    yield stream
    root.removeHandler(handler)
    root.handlers.extend(h for h in before if h not in root.handlers)
    root.setLevel(level)
    for name, value in quiet.items():
        logging.getLogger(name).setLevel(value)


def leaks(text: str) -> list[str]:
    found = [name for name, secret in (("token", TOKEN), ("secret", SECRET)) if secret in text]
    return found + TOKEN_IN_URL.findall(text)


async def settled(saring: Saring) -> None:
    unfinished = InboxRow.status.in_(("pending", "processing"))
    for _ in range(200):
        async with saring.services.sessions() as session:
            query = select(func.count()).select_from(InboxRow).where(unfinished)
            if not await session.scalar(query):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the inbox did not settle")


async def send(saring: Saring, text: str) -> dict[str, Any]:
    message = f.message_json(text, user_id=ASN, chat_id=ASN)
    await saring.deliver(f.update_json(message))
    return message


@SQLITE_ONLY
async def test_when_the_bot_runs_and_fails_at_debug_level_then_no_log_carries_a_secret(
    production_logging: io.StringIO,
    start_saring: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    saring: Saring = await start_saring()
    fake = saring.fake

    await send(saring, "Rapat koordinasi besok jam 9")  # a normal check
    await saring.reply_to(ASN)

    fake.fail_next("sendMessage", 401, "Unauthorized")  # the token was revoked
    await send(saring, "Slot gacor maxwin malam ini, depo 10rb langsung wd!")
    await fake.wait_for("sendMessage", predicate=lambda c: c.status == 401)
    await settled(saring)

    fake.set_down(502)  # the Bot API is down; the update is retried after recovery
    await send(saring, "Info genangan di Jl. Sudirman sudah surut")
    await fake.wait_for("sendMessage", predicate=lambda c: c.status == 502)
    fake.set_down(None)
    await saring.reply_to(ASN, count=2, timeout=15)

    url = f"https://api.telegram.org/bot{TOKEN}/sendMessage"

    def explode(*_: Any) -> Any:
        raise RuntimeError(f"request to {url} failed; secret_token={SECRET}")

    monkeypatch.setattr(messages, "facts_from_message", explode)  # a bug in a handler
    await send(saring, "Pesan yang membuat handler gagal")
    await settled(saring)
    await saring.client.close()  # shutdown is logged too

    records = caplog.records
    assert any(r.levelno == logging.DEBUG for r in records)  # DEBUG really was on
    failures = [r for r in records if r.levelno >= logging.ERROR]
    assert failures, "the forced failures were not logged"
    assert any("[REDACTED]" in (r.exc_text or "") + r.getMessage() for r in failures)
    for record in records:
        assert leaks(record.getMessage()) == [], record.name
        assert leaks(record.exc_text or "") == [], record.name
    assert leaks(production_logging.getvalue()) == []
    assert "[REDACTED]" in production_logging.getvalue()
