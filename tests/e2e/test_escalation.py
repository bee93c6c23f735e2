"""Escalation end to end: cases open, alerts reach officials, buttons decide, reporters hear.

Officials come from a roster; the PPK chat from SARING_PPK_CHAT_ID. Alerts leave through
the outbox and the dispatcher to the fake Bot API, exactly as in production.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.checking.identifiers import find_niks
from bot.db.base import Base
from bot.db.case_models import CaseEventRow, CaseRow
from bot.db.contacts import ContactRepository
from bot.db.models import AuditRow
from bot.registry.roster import import_roster
from tests import factories as f
from tests.e2e.conftest import Saring
from tests.e2e.fake_bot_api import Call

UNIT_HEAD = 5001
PPK_CHAT = -1009000000001
ASN = 1001
STRANGER = 6666
MEMO = (
    "SANGAT RAHASIA\nNOTA DINAS Nomor 12/ND/2026 tentang rencana mutasi pejabat eselon III. "
    "Mohon jangan disebar keluar grup."
)
CHAIN = "INFO A1!! Sebarkan sebelum dihapus, media tidak memberitakan. Jangan putus di kamu!"
ROSTER = (
    "nip,name,unit_code,unit_name,role,telegram_user_id\n"
    "198501012010011001,Budi ASN,BKD,Badan Kepegawaian Daerah,asn,{asn}\n"
    "197502022000031002,Sari Kepala,BKD,Badan Kepegawaian Daerah,unit_head,{head}\n"
    "196803031995031003,Andi Lain,DINKES,Dinas Kesehatan,asn,{stranger}\n"
)


@pytest.fixture
async def bkd(start_saring: Any, tmp_path: Path) -> Saring:
    """Saring with a BKD roster (an ASN and their unit head who pressed /start) and a PPK chat."""
    saring: Saring = await start_saring(ppk_chat_id=PPK_CHAT)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.format(asn=ASN, head=UNIT_HEAD, stranger=STRANGER), "utf-8")
    await import_roster(saring.services.sessions, roster, actor="test")
    async with saring.services.sessions.begin() as session:
        await ContactRepository().mark_started(session=session, chat_id=UNIT_HEAD)
    return saring


async def forward(saring: Saring, text: str, *, user: int = ASN) -> tuple[dict[str, Any], Call]:
    message = f.message_json(text, user_id=user, chat_id=user)
    await saring.deliver(f.update_json(message))
    calls = await saring.reply_to(user)
    return message, calls[-1]


def buttons(call: Call) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


def press(call: Call, label: str, *, user: int, original: dict[str, Any] | None = None) -> Any:
    message = dict(call.result)
    if original is not None:
        message["reply_to_message"] = original
    chat = call.params["chat_id"]
    return f.callback_query_json(buttons(call)[label], user_id=user, message=message, chat_id=chat)


async def count_cases(saring: Saring) -> int:
    async with saring.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(CaseRow)) or 0)


async def test_when_a_classified_memo_is_checked_then_unit_head_and_ppk_are_alerted(
    bkd: Saring,
) -> None:
    _, reply = await forward(bkd, MEMO)
    assert "otomatis dilaporkan kepada pimpinan" in reply.params["text"]
    (head_alert,) = await bkd.reply_to(UNIT_HEAD)
    (ppk_alert,) = await bkd.reply_to(PPK_CHAT)
    assert "DUGAAN PELANGGARAN ISI PESAN" in head_alert.params["text"]
    assert "NOTA DINAS" not in head_alert.params["text"]  # the unit head gets no text
    assert "NOTA DINAS Nomor 12/ND/2026" in ppk_alert.params["text"]  # the PPK gets evidence
    assert set(buttons(head_alert)) == {"✅ Terima", "📨 Teruskan ke PPK", "❎ Bukan pelanggaran"}
    assert "📝 Catat keputusan" in buttons(ppk_alert)


async def test_when_the_unit_head_acknowledges_then_both_alerts_are_edited_and_reporter_told(
    bkd: Saring,
) -> None:
    await forward(bkd, MEMO)
    (head_alert,) = await bkd.reply_to(UNIT_HEAD)
    await bkd.reply_to(PPK_CHAT)
    await bkd.deliver(press(head_alert, "✅ Terima", user=UNIT_HEAD))
    edits = await bkd.fake.wait_for("editMessageText", count=2)
    assert {e.params["chat_id"] for e in edits} == {UNIT_HEAD, PPK_CHAT}
    assert all("SUDAH DITERIMA PIMPINAN" in e.params["text"] for e in edits)
    notices = await bkd.reply_to(ASN, count=2)
    assert "diterima oleh pimpinan unit kerja" in notices[-1].params["text"]


async def test_when_a_stranger_presses_an_alert_button_then_nothing_changes_and_it_is_audited(
    bkd: Saring,
) -> None:
    await forward(bkd, MEMO)
    (head_alert,) = await bkd.reply_to(UNIT_HEAD)
    await bkd.deliver(press(head_alert, "✅ Terima", user=STRANGER))
    (answer,) = await bkd.fake.wait_for("answerCallbackQuery")
    assert "tidak berwenang" in answer.params["text"]
    async with bkd.services.sessions() as session:
        case = (await session.scalars(select(CaseRow))).one()
        refused = (
            await session.scalars(select(AuditRow).where(AuditRow.action == "button.refused"))
        ).all()
    assert case.status == "open"
    assert [r.actor for r in refused] == [f"telegram:{STRANGER}"]
    # the real unit head can still use the same button: the refusal did not burn it
    await bkd.deliver(press(head_alert, "✅ Terima", user=UNIT_HEAD))
    await bkd.fake.wait_for("editMessageText", count=2)


async def test_when_a_button_is_replayed_or_forged_then_it_changes_nothing(bkd: Saring) -> None:
    await forward(bkd, MEMO)
    (head_alert,) = await bkd.reply_to(UNIT_HEAD)
    await bkd.deliver(press(head_alert, "✅ Terima", user=UNIT_HEAD))
    await bkd.fake.wait_for("editMessageText", count=2)
    await bkd.deliver(press(head_alert, "✅ Terima", user=UNIT_HEAD))  # replay
    forged = dict(buttons(head_alert))
    data = forged["✅ Terima"]
    tampered = data[:-2] + ("AA" if not data.endswith("AA") else "BB")
    message = dict(head_alert.result)
    await bkd.deliver(
        f.callback_query_json(tampered, user_id=UNIT_HEAD, message=message, chat_id=UNIT_HEAD)
    )
    answers = await bkd.fake.wait_for("answerCallbackQuery", count=3)
    assert [a.params.get("text") for a in answers[1:]] == ["Tombol ini tidak berlaku lagi."] * 2
    async with bkd.services.sessions() as session:
        events = (await session.scalars(select(CaseEventRow.action))).all()
    assert list(events).count("acknowledged") == 1


async def test_when_dismissing_then_a_reason_is_asked_and_recorded(bkd: Saring) -> None:
    await forward(bkd, MEMO)
    (head_alert,) = await bkd.reply_to(UNIT_HEAD)
    await bkd.deliver(press(head_alert, "❎ Bukan pelanggaran", user=UNIT_HEAD))
    prompt = (await bkd.reply_to(UNIT_HEAD, count=2))[-1]
    assert "tuliskan alasannya" in prompt.params["text"]
    reason = f.message_json(
        "Dokumen ini sudah diumumkan resmi kemarin.",
        user_id=UNIT_HEAD,
        chat_id=UNIT_HEAD,
        reply_to=dict(prompt.result),
    )
    await bkd.deliver(f.update_json(reason))
    confirmation = (await bkd.reply_to(UNIT_HEAD, count=3))[-1]
    assert "Alasan dicatat" in confirmation.params["text"]
    async with bkd.services.sessions() as session:
        case = (await session.scalars(select(CaseRow))).one()
    assert (case.status, case.decision) == (
        "dismissed",
        "Dokumen ini sudah diumumkan resmi kemarin.",
    )


async def test_when_laporkan_is_pressed_then_a_case_opens(bkd: Saring) -> None:
    claim = "Situs jakarta-go-id.com/bansos membagikan bansos, isi NIK di sana."
    original, reply = await forward(bkd, claim)
    assert await count_cases(bkd) == 0  # high, not critical: guidance only until reported
    await bkd.deliver(press(reply, "📣 Laporkan ke pimpinan", user=ASN, original=original))
    (answer,) = await bkd.fake.wait_for("answerCallbackQuery")
    assert "Laporan dicatat sebagai SRG-" in answer.params["text"]
    assert await count_cases(bkd) == 1


async def test_when_five_people_report_one_chain_message_then_one_case_has_five_reporters(
    start_saring: Any,
) -> None:
    saring: Saring = await start_saring(ppk_chat_id=PPK_CHAT)
    for user in range(2001, 2006):
        original, reply = await forward(saring, CHAIN, user=user)
        await saring.deliver(
            press(reply, "Saya tetap akan membagikan", user=user, original=original)
        )
        warning = (await saring.reply_to(user, count=2))[-1]
        await saring.deliver(press(warning, "Ya, catat dan laporkan", user=user, original=original))
    await saring.fake.wait_for("answerCallbackQuery", count=10)
    async with saring.services.sessions() as session:
        case = (await session.scalars(select(CaseRow))).one()
    assert (case.reporter_count, case.trigger) == (5, "share_anyway")


async def test_when_dry_run_is_on_then_cases_are_recorded_and_nothing_is_sent(
    start_saring: Any, tmp_path: Path
) -> None:
    config = await copy_config(tmp_path, "dry_run: false", "dry_run: true")
    saring: Saring = await start_saring(ppk_chat_id=PPK_CHAT, config_dir=config)
    await forward(saring, MEMO)
    await asyncio.sleep(1.0)
    assert await count_cases(saring) == 1
    assert saring.sent_to(PPK_CHAT) == []


async def test_when_the_unit_head_asks_for_cases_then_open_ones_are_listed(bkd: Saring) -> None:
    await forward(bkd, MEMO)
    await bkd.reply_to(UNIT_HEAD)
    command = f.command_json("kasus", user_id=UNIT_HEAD, chat_id=UNIT_HEAD)
    await bkd.deliver(f.update_json(command))
    listing = (await bkd.reply_to(UNIT_HEAD, count=2))[-1]
    assert "Kasus terbuka (1):" in listing.params["text"]
    assert "confidential" in listing.params["text"]
    await bkd.deliver(f.update_json(f.command_json("kasus", user_id=ASN, chat_id=ASN)))
    refused = (await bkd.reply_to(ASN, count=2))[-1]
    assert "hanya untuk pimpinan" in refused.params["text"]


async def copy_config(tmp_path: Path, old: str, new: str) -> Path:
    """config/ with one line of escalation.yaml changed."""
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    for item in (Path(__file__).parents[2] / "config").iterdir():
        if item.is_file():
            (config / item.name).write_text(item.read_text("utf-8"), "utf-8")
    policy = (config / "escalation.yaml").read_text("utf-8")
    assert old in policy
    (config / "escalation.yaml").write_text(policy.replace(old, new), "utf-8")
    return config


async def test_when_review_first_is_on_then_only_diskominfotik_is_asked_until_it_confirms(
    start_saring: Any, tmp_path: Path
) -> None:
    review_chat = -1007000000001
    config = await copy_config(tmp_path, "review_chat_id: null", f"review_chat_id: {review_chat}")
    policy = (config / "escalation.yaml").read_text("utf-8")
    (config / "escalation.yaml").write_text(
        policy.replace("review_first: false", "review_first: true"), "utf-8"
    )
    saring: Saring = await start_saring(ppk_chat_id=PPK_CHAT, config_dir=config)
    await forward(saring, MEMO)
    (review,) = await saring.reply_to(review_chat)
    assert "PERMINTAAN TINJAUAN" in review.params["text"]
    await asyncio.sleep(0.5)
    assert saring.sent_to(PPK_CHAT) == []  # nobody else hears of it before the review
    admin = 7001
    await saring.deliver(press(review, "✅ Benar, teruskan ke pimpinan", user=admin))
    (ppk_alert,) = await saring.reply_to(PPK_CHAT)
    assert "PAKET BUKTI" in ppk_alert.params["text"]


async def test_when_the_digest_hour_comes_then_the_days_non_critical_cases_go_out_once(
    bkd: Saring,
) -> None:
    claim = "Situs jakarta-go-id.com/bansos membagikan bansos, isi NIK di sana."
    original, reply = await forward(bkd, claim)
    await bkd.deliver(press(reply, "📣 Laporkan ke pimpinan", user=ASN, original=original))
    await bkd.fake.wait_for("answerCallbackQuery")
    await asyncio.sleep(0.5)
    assert bkd.sent_to(UNIT_HEAD) == []  # high: digest, not an immediate alert
    escalator = bkd.services.escalator
    assert await escalator.queue_digests() == 1
    assert await escalator.queue_digests() == 0  # once a day
    (digest,) = await bkd.reply_to(UNIT_HEAD)
    assert "RINGKASAN HARIAN" in digest.params["text"]
    assert "SRG-" in digest.params["text"]


async def test_when_a_memo_lists_niks_then_no_alert_or_table_outside_the_seal_shows_one(
    bkd: Saring,
) -> None:
    """P17 in alerts: the PPK packet carries the text, masked; only the sealed evidence holds it."""
    memo = MEMO + "\nDaftar pegawai:\n1. Siti 3171014101900001\n2. Budi 3174052506850002"
    await forward(bkd, memo)
    await bkd.reply_to(UNIT_HEAD)
    (ppk_alert,) = await bkd.reply_to(PPK_CHAT)
    assert "3171************" in ppk_alert.params["text"]
    for call in bkd.fake.calls:
        assert find_niks(json.dumps(call.params, ensure_ascii=False)) == []
    await bkd.settled()  # the stored update keeps its text until the worker settles it
    async with bkd.services.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "case_evidence":
                continue  # sealed (AES-GCM): the one place the text is kept, by design
            for row in await session.execute(select(table)):
                assert find_niks(" ".join(str(v) for v in row if v is not None)) == [], table.name
