"""P17 (NIKs never re-disclosed), P18 (retention is automatic), P19 (subject rights in time).

The bot runs with the logging production configures (`configure_logging` with the secrets,
as `bot/runtime.py` does), at DEBUG. P17 then scans everything the bot wrote anywhere: every
log record, every request body the fake Bot API received (uploaded files included) and every
column of every table, with the project's own NIK detector (`find_niks`), which also finds
NIKs written with spaces, dots or dashes.

CI scale: 200 messages with NIKs (the promise says 1,000) and 500 checks for /dataku.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.checking.identifiers import find_niks, is_valid_nik
from bot.db.base import Base
from bot.db.checks import CheckDraft, CheckRepository
from bot.db.models import AuditRow, CheckRow, FeedbackRow, InboxRow
from bot.jobs import purge_expired
from bot.logs import QUIET_LOGGERS, configure_logging
from bot.runtime import secrets_of
from bot.texts import id as texts
from tests import factories as f
from tests.e2e.conftest import Saring, e2e_settings
from tests.e2e.fake_bot_api import Call, FakeBotApi

ASN, OTHER = 1201, 1202
GROUP = -1_004_000_000_001
GAMBLING = "Slot gacor maxwin malam ini, depo 10rb langsung wd!"


@pytest.fixture
def production_logging(fake: FakeBotApi, db_url: str) -> Iterator[io.StringIO]:
    """Logging exactly as `saring run` configures it, at DEBUG; yields what it writes."""
    root = logging.getLogger()
    level, quiet = root.level, {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    before = list(root.handlers)
    configure_logging("DEBUG", secrets=secrets_of(e2e_settings(fake, db_url)))
    (handler,) = [h for h in root.handlers if h not in before]
    stream = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    root.removeHandler(handler)
    root.handlers.extend(h for h in before if h not in root.handlers)
    root.setLevel(level)
    for name, value in quiet.items():
        logging.getLogger(name).setLevel(value)


def random_nik(rng: random.Random) -> str:
    """A structurally valid DKI NIK (province 31), women's birth days +40 included."""
    while True:
        day = rng.randint(1, 28) + (40 if rng.random() < 0.5 else 0)
        nik = (
            f"31{rng.randint(71, 75):02d}{rng.randint(1, 10):02d}"
            f"{day:02d}{rng.randint(1, 12):02d}{rng.randint(50, 99):02d}{rng.randint(1, 9999):04d}"
        )
        if is_valid_nik(nik):
            return nik


def written(nik: str, style: int) -> str:
    """The ways people write a NIK: plain, spaced in fours, dotted, dashed."""
    groups = [nik[i : i + 4] for i in range(0, 16, 4)]
    return [nik, " ".join(groups), ".".join(groups), "-".join(groups)][style % 4]


TEMPLATES = [
    "Mohon bantuan, data saya NIK {nik} a.n. Siti belum terdaftar.",
    "NIK: {nik} — tolong cek status BPJS-nya ya",
    "Slot gacor maxwin, daftar pakai KTP {nik} langsung wd!",
    "Ayo coblos paslon nomor urut 2, ASN wajib menangkan! Data pendukung {nik}",
    "{nik}",
    "Transfer ke rekening 1234567890, konfirmasi dengan NIK {nik} ke https://bit.ly/3xYz",
]


# Content hashes (SHA-256, hex) are printed in evidence packets and stored with checks; a run
# of 16 decimal digits inside one is a coincidence of hex, not a disclosed NIK.
SHA256_HEX = re.compile(r"\b[0-9a-f]{64}\b")


def scan(values: Iterator[str]) -> list[str]:
    """Unmasked NIKs found in any of `values`, content hashes aside."""
    return [m.digits for value in values for m in find_niks(SHA256_HEX.sub("#", value))]


def api_bodies(calls: list[Call]) -> Iterator[str]:
    for call in calls:
        yield json.dumps(call.params, ensure_ascii=False)
        yield json.dumps(call.result, ensure_ascii=False, default=str)
        for upload in call.files.values():
            yield upload.content.decode("utf-8", "replace")


async def database_values(saring: Saring) -> list[str]:
    """Every non-null value of every table, as text."""
    await saring.settled()  # a stored update keeps its text until the worker settles it
    values: list[str] = []
    async with saring.services.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(text(f"SELECT * FROM {table.name}")):  # noqa: S608
                values += [str(v) for v in row if v is not None]
    return values


def press(reply: Call, original: dict[str, Any] | None, button: int, user: int) -> dict[str, Any]:
    buttons = [b for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    message = dict(reply.result) | ({"reply_to_message": original} if original else {})
    return f.callback_query_json(
        buttons[button]["callback_data"], user_id=user, message=message, chat_id=reply.chat_id
    )


async def test_when_200_messages_carry_niks_then_no_log_body_or_table_discloses_one(
    production_logging: io.StringIO, saring: Saring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rng = random.Random(17)
    sent: list[str] = []
    originals: list[dict[str, Any]] = []
    for n in range(200):
        nik = random_nik(rng)
        sent.append(nik)
        user = 3000 + n % 20
        body = TEMPLATES[n % len(TEMPLATES)].format(nik=written(nik, n // len(TEMPLATES)))
        message = f.message_json(body, user_id=user, chat_id=user)
        originals.append(message)
        await saring.deliver(f.update_json(message))
    # Groups too: /cek under a member's message that carries a NIK.
    member = f.group_message_json(f"KTP saya {sent[0]}, sebarkan", chat_id=GROUP, user_id=3100)
    check = f.command_json("cek", chat_id=GROUP, chat_type="supergroup", reply_to=member)
    await saring.deliver(f.update_json(check))
    assert all(find_niks(m["text"]) for m in originals)  # the detector sees every style
    replies = await saring.fake.wait_for("sendMessage", count=201, timeout=60)
    # The Detail view re-reads the original, NIK included: press it for the first 24.
    for message in originals[:24]:
        chat = message["chat"]["id"]
        reply = next(
            c
            for c in replies
            if c.chat_id == chat
            and c.params["reply_parameters"]["message_id"] == message["message_id"]
        )
        await saring.deliver(press(reply, message, 0, chat))
    await saring.fake.wait_for("sendMessage", count=225, timeout=60)
    await saring.deliver(f.update_json(f.command_json("dataku", user_id=3000, chat_id=3000)))
    await saring.fake.wait_for("sendDocument")

    records = [r.getMessage() for r in caplog.records]
    records += [r.exc_text or "" for r in caplog.records]
    assert len(caplog.records) > 0  # DEBUG logging did run
    assert scan(iter(records)) == []
    assert scan(iter([production_logging.getvalue()])) == []
    assert scan(api_bodies(saring.fake.calls)) == []
    assert scan(iter(await database_values(saring))) == []
    # The replies still say a NIK was there, masked to its region: the user learns something.
    assert any(sent[0][:4] + "*" in c.params["text"] for c in saring.fake.sent("sendMessage"))


async def make_checks(saring: Saring, user: int, count: int, *, at: datetime) -> list[CheckRow]:
    """`count` check rows for `user` created at `at`, as the bot records them."""
    rows = []
    repository = CheckRepository(clock=lambda: at)
    async with saring.services.sessions.begin() as session:
        for n in range(count):
            draft = CheckDraft(
                update_id=None,
                telegram_user_id=user,
                chat_id=user,
                content_hash=f"{user:08d}{n:056d}",
                verdict="violation" if n % 3 == 0 else "unverified",
                rule_ids=["gambling"] if n % 3 == 0 else [],
            )
            row, _ = await repository.record(session=session, draft=draft)
            rows.append(row)
    return rows


async def count(saring: Saring, model: type, *where: Any) -> int:
    async with saring.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def settled(saring: Saring) -> None:
    """Wait until the worker finished every update it was given."""
    unfinished = InboxRow.status.in_(("pending", "processing"))
    for _ in range(200):
        if await count(saring, InboxRow, unfinished) == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the inbox did not settle")


async def test_when_retention_passes_then_old_checks_go_and_the_purge_is_audited(
    saring: Saring,
) -> None:
    days = saring.services.settings.retention_days
    originals = [f.message_json(GAMBLING, user_id=ASN, chat_id=ASN) for _ in range(6)]
    for message in originals:
        await saring.deliver(f.update_json(message))
    replies = await saring.reply_to(ASN, count=6)
    await saring.deliver(press(replies[0], originals[0], 1, ASN))  # one feedback row
    await saring.fake.wait_for("answerCallbackQuery")
    await settled(saring)
    now = datetime.now(UTC)
    await make_checks(saring, OTHER, 4, at=now - timedelta(days=days + 1))  # already due

    # Today: only what is older than N days goes.
    assert await purge_expired(saring.services, now=now) == 4
    assert await count(saring, CheckRow) == 6
    assert await count(saring, FeedbackRow) == 1
    # N + 1 days later: every check older than N days is gone, with its feedback and updates.
    later = now + timedelta(days=days + 1)
    assert await purge_expired(saring.services, now=later) == 6
    assert await count(saring, CheckRow, CheckRow.created_at < later - timedelta(days=days)) == 0
    assert await count(saring, CheckRow) == 0
    assert await count(saring, FeedbackRow) == 0
    assert await count(saring, InboxRow) == 0
    async with saring.services.sessions() as session:
        query = select(AuditRow).where(AuditRow.action == "retention.purge").order_by(AuditRow.id)
        audits = (await session.scalars(query)).all()
    assert [(a.actor, a.after["checks"], a.after["feedback"]) for a in audits if a.after] == [
        ("retention", 4, 0),
        ("retention", 6, 1),
    ]


async def test_when_a_user_with_500_checks_asks_for_their_data_then_only_theirs_comes_fast(
    saring: Saring,
) -> None:
    now = datetime.now(UTC)
    mine = await make_checks(saring, ASN, 499, at=now - timedelta(days=3))
    theirs = await make_checks(saring, OTHER, 50, at=now - timedelta(days=3))
    await saring.deliver(f.update_json(f.message_json(GAMBLING, user_id=ASN, chat_id=ASN)))
    await saring.reply_to(ASN)
    started = time.monotonic()
    await saring.deliver(f.update_json(f.command_json("dataku", user_id=ASN, chat_id=ASN)))
    (upload,) = await saring.fake.wait_for("sendDocument", timeout=60)
    elapsed = time.monotonic() - started
    assert elapsed < 60
    (document,) = upload.files.values()
    data = json.loads(document.content)
    assert data["telegram_user_id"] == ASN
    assert len(data["checks"]) == 500
    assert {c["reference"] for c in data["checks"]} >= {r.reference for r in mine}
    content = document.content.decode()
    assert not any(r.reference in content for r in theirs)
    assert {c["chat_id"] for c in data["checks"]} == {ASN}
    assert data["feedback"] == [] and data["staff"] is None
    assert upload.params["caption"] == texts.EXPORT_CAPTION


async def test_when_a_user_confirms_deletion_then_their_data_goes_and_others_stay(
    saring: Saring,
) -> None:
    originals = {}
    for user in (ASN, OTHER):
        originals[user] = f.message_json(GAMBLING, user_id=user, chat_id=user)
        await saring.deliver(f.update_json(originals[user]))
    replies = {user: (await saring.reply_to(user))[0] for user in (ASN, OTHER)}
    # Each gives feedback on their own check; ASN also on OTHER's (a group-like situation).
    for presser, owner in ((ASN, ASN), (OTHER, OTHER), (ASN, OTHER)):
        await saring.deliver(press(replies[owner], originals[owner], 1, presser))
    await saring.fake.wait_for("answerCallbackQuery", count=3)
    await make_checks(saring, ASN, 20, at=datetime.now(UTC))

    await saring.deliver(f.update_json(f.command_json("hapusdataku", user_id=ASN, chat_id=ASN)))
    confirm = (await saring.reply_to(ASN, count=2))[-1]
    assert confirm.params["text"] == texts.DELETE_CONFIRM
    await saring.deliver(press(confirm, None, 0, ASN))
    (edit,) = await saring.fake.wait_for("editMessageText")

    report = edit.params["text"]
    assert report.startswith(texts.DELETE_DONE.format(checks=21, feedback=2))
    assert texts.DELETE_RETAINED in report
    assert report.count("• ") >= 2  # the roster entry and the audit trail, with their basis
    assert await count(saring, CheckRow, CheckRow.telegram_user_id == ASN) == 0
    assert await count(saring, FeedbackRow, FeedbackRow.telegram_user_id == ASN) == 0
    assert await count(saring, CheckRow, CheckRow.telegram_user_id == OTHER) == 1
    assert await count(saring, FeedbackRow, FeedbackRow.telegram_user_id == OTHER) == 1
    assert await count(saring, AuditRow, AuditRow.action == "user.delete") == 1
