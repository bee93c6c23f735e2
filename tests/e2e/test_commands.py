"""The bot's commands and buttons as people use them, through the real PTB stack.

Refusals of admin commands and forged buttons are specified in test_permissions.py; this file
specifies what works for the people allowed to do it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.db.models import FeedbackRow, StaffRow
from bot.registry.roster import import_roster
from bot.web.app import Mode
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, Saring
from tests.e2e.fake_bot_api import Call

ASN = 1001
NIP = "198501012010011001"
GAMBLING = "Slot gacor maxwin malam ini, depo 10rb langsung wd!"


async def command(saring: Saring, name: str, args: str = "", *, user: int = ASN, **kw: Any) -> Call:
    message = f.command_json(name, args, user_id=user, chat_id=user, **kw)
    await saring.deliver(f.update_json(message))
    return (await saring.reply_to(user))[-1]


def press(call: Call, original: dict[str, Any], button: int, *, user: int = ASN) -> dict[str, Any]:
    """The callback update Telegram sends when `user` presses a button of the bot's reply."""
    buttons = [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
    message = dict(call.result) | {"reply_to_message": original}
    return f.callback_query_json(
        buttons[button]["callback_data"], user_id=user, message=message, chat_id=user
    )


async def test_when_start_is_sent_then_the_bot_explains_itself_and_retention(
    saring: Saring,
) -> None:
    reply = await command(saring, "start")
    assert "saring sebelum sharing" in reply.params["text"]
    assert "180 hari" in reply.params["text"]


async def test_when_help_and_privacy_are_asked_then_they_answer_in_indonesian(
    saring: Saring,
) -> None:
    assert "Cara memakai Saring" in (await command(saring, "bantuan")).params["text"]
    saring.fake.reset()
    assert "UU No. 27 Tahun 2022" in (await command(saring, "privasi")).params["text"]


async def test_when_the_bot_starts_then_its_menu_is_in_indonesian(saring: Saring) -> None:
    (call,) = saring.fake.sent("setMyCommands")
    names = [c["command"] for c in call.params["commands"]]
    assert names == ["cek", "sumber", "daftar", "privasi", "dataku", "hapusdataku", "bantuan"]
    (webhook,) = saring.fake.sent("setWebhook")
    assert webhook.params["secret_token"]


async def test_when_an_asn_registers_with_their_nip_then_the_account_is_linked(
    saring: Saring, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "nip,name,unit_code,unit_name,role,telegram_user_id\n"
        f"{NIP},Budi Santoso,DISKOMINFOTIK,Dinas Kominfotik,asn,\n",
        encoding="utf-8",
    )
    await import_roster(saring.services.sessions, roster, actor="test")
    reply = await command(saring, "daftar", NIP)
    assert "sudah terhubung dengan NIP 1985" in reply.params["text"]
    assert NIP not in reply.params["text"]  # the NIP is masked in the reply
    async with saring.services.sessions() as session:
        staff = (await session.scalars(select(StaffRow))).one()
    assert staff.telegram_user_id == ASN


async def test_when_an_unknown_nip_is_given_then_the_answer_says_whom_to_ask(
    saring: Saring,
) -> None:
    reply = await command(saring, "daftar", NIP)
    assert "belum ada dalam daftar pegawai" in reply.params["text"]
    saring.fake.reset()
    assert "tidak valid" in (await command(saring, "daftar", "12345")).params["text"]


async def test_when_sources_are_searched_then_official_entries_are_listed(
    saring: Saring,
) -> None:
    reply = await command(saring, "sumber", "jakarta")
    assert "jakarta.go.id" in reply.params["text"]
    saring.fake.reset()
    reply = await command(saring, "sumber", "zzzz")
    assert "Tidak ada sumber resmi" in reply.params["text"]


async def test_when_an_admin_adds_a_channel_then_its_forwards_become_official(
    saring: Saring,
) -> None:
    reply = await command(
        saring, "sumber_tambah", "telegram_channel -1005550001 BPBD DKI", user=ADMIN_ID
    )
    assert "Sumber resmi ditambahkan" in reply.params["text"]
    origin = f.origin_channel(-1005550001, "BPBD DKI")
    text = "Info genangan: Jl. Sudirman sudah surut pukul 10.00 WIB."
    await saring.deliver(
        f.update_json(f.message_json(text, user_id=ASN, chat_id=ASN, forward_origin=origin))
    )
    (answer,) = await saring.reply_to(ASN)
    assert answer.params["text"].startswith("🟢 AMAN DIBAGIKAN")


async def test_when_an_admin_records_a_hoax_then_the_next_forward_is_matched(
    saring: Saring,
) -> None:
    claim = (
        "Air PAM di wilayah Jakarta Barat tercemar bakteri berbahaya sehingga warga dilarang "
        "minum dan memasak dengan air ledeng selama satu minggu ke depan."
    )
    original = f.message_json(claim, user_id=ADMIN_ID, chat_id=ADMIN_ID)
    admin_command = f.command_json(
        "hoaks_tambah",
        "https://jalahoaks.jakarta.go.id/air-pam",
        user_id=ADMIN_ID,
        chat_id=ADMIN_ID,
        reply_to=original,
    )
    await saring.deliver(f.update_json(admin_command))
    (reply,) = await saring.reply_to(ADMIN_ID)
    assert "dicatat beserta klarifikasinya" in reply.params["text"]
    await saring.deliver(f.update_json(f.message_json(claim.upper(), user_id=ASN, chat_id=ASN)))
    (answer,) = await saring.reply_to(ASN)
    assert "https://jalahoaks.jakarta.go.id/air-pam" in answer.params["text"]


async def test_when_an_admin_asks_for_statistics_then_counts_come_back(saring: Saring) -> None:
    await saring.deliver(f.update_json(f.message_json(GAMBLING, user_id=ASN, chat_id=ASN)))
    await saring.reply_to(ASN)
    reply = await command(saring, "statistik", user=ADMIN_ID)
    text = reply.params["text"]
    assert "Pemeriksaan: 1" in text
    assert "gambling (1)" in text


async def test_when_details_are_pressed_then_the_full_explanation_follows(
    saring: Saring,
) -> None:
    original = f.message_json(GAMBLING, user_id=ASN, chat_id=ASN)
    await saring.deliver(f.update_json(original))
    (reply,) = await saring.reply_to(ASN)
    await saring.deliver(press(reply, original, 0))
    details = (await saring.reply_to(ASN, count=2))[-1]
    assert details.params["text"].startswith("🔎 DETAIL PEMERIKSAAN")
    assert "[gambling]" in details.params["text"]
    (answer,) = saring.fake.sent("answerCallbackQuery")
    assert answer.ok


async def test_when_deteksi_keliru_is_pressed_twice_then_it_counts_once(saring: Saring) -> None:
    original = f.message_json(GAMBLING, user_id=ASN, chat_id=ASN)
    await saring.deliver(f.update_json(original))
    (reply,) = await saring.reply_to(ASN)
    await saring.deliver(press(reply, original, 1))
    await saring.deliver(press(reply, original, 1))
    answers = await saring.fake.wait_for("answerCallbackQuery", count=2)
    assert [a.params.get("text") for a in answers] == [
        "Terima kasih, masukan Bapak/Ibu sudah dicatat dan akan ditinjau.",
        "Masukan untuk pemeriksaan ini sudah tercatat. Terima kasih.",
    ]
    async with saring.services.sessions() as session:
        feedback = (await session.scalars(select(FeedbackRow))).all()
    assert [(row.telegram_user_id, row.rule) for row in feedback] == [(ASN, "gambling")]


async def test_when_a_user_asks_for_their_data_then_a_json_file_comes_back(
    saring: Saring,
) -> None:
    await saring.deliver(f.update_json(f.message_json(GAMBLING, user_id=ASN, chat_id=ASN)))
    await saring.reply_to(ASN)
    await saring.deliver(f.update_json(f.command_json("dataku", user_id=ASN, chat_id=ASN)))
    (upload,) = await saring.fake.wait_for("sendDocument")
    (document,) = upload.files.values()
    data = json.loads(document.content)
    assert [c["verdict"] for c in data["checks"]] == ["violation"]
    assert GAMBLING not in document.content.decode()  # hashes, never the text


async def test_when_the_bot_runs_in_polling_mode_then_updates_are_answered(
    start_saring: Any,
) -> None:
    saring: Saring = await start_saring(Mode.POLLING)
    saring.fake.push_update(f.update_json(f.message_json(GAMBLING, user_id=ASN, chat_id=ASN)))
    (reply,) = await saring.reply_to(ASN, timeout=15)
    assert reply.params["text"].startswith("🔴 JANGAN DISEBARKAN")
    assert saring.fake.sent("deleteWebhook")
    await asyncio.sleep(0.2)
