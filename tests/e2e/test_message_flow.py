"""What an ASN sees: forward a message to the bot, get the guidance back, through real HTTP.

Every test posts Telegram update JSON to the webhook and reads what the bot sent to the fake
Bot API; the check rows in the database are asserted where the promise is about storage.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.db.models import CheckRow, InboxRow
from tests import factories as f
from tests.e2e.conftest import OFFICIAL_CHANNEL, Saring

ASN = 1001
OFFICIAL_TEXT = (
    "Yth. Bapak/Ibu ASN, jadwal pelayanan Samsat keliling hari ini di Taman Suropati "
    "pukul 08.00-12.00 WIB."
)
CLAIM = (
    "Mulai bulan depan gaji ASN Pemprov DKI Jakarta dipotong 10 persen untuk membiayai "
    "pembangunan ibu kota baru, surat edarannya sudah ditandatangani Gubernur."
)


async def count(saring: Saring, model: type) -> int:
    async with saring.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_when_an_official_channel_post_is_forwarded_then_it_is_safe_to_share(
    saring: Saring,
) -> None:
    origin = f.origin_channel(OFFICIAL_CHANNEL, "Diskominfotik DKI", username="diskominfotik")
    message = f.message_json(OFFICIAL_TEXT, user_id=ASN, chat_id=ASN, forward_origin=origin)
    await saring.deliver(f.update_json(message))
    (reply,) = await saring.reply_to(ASN)
    text = reply.params["text"]
    assert text.startswith("🟢 AMAN DIBAGIKAN")
    assert "Diskominfotik DKI (uji) — kanal resmi terdaftar" in text
    assert reply.params["reply_parameters"]["message_id"] == message["message_id"]
    assert text.splitlines()[-1].startswith("Ref: CHK-")


async def test_when_a_known_hoax_is_forwarded_then_do_not_share_with_clarification(
    saring: Saring,
) -> None:
    await saring.services.hoaxes.add(CLAIM, "https://jalahoaks.jakarta.go.id/gaji", actor="test")
    await saring.services.reload_engine()
    forwarded = "Info grup sebelah!! " + CLAIM.lower() + " Sebarkan!"
    await saring.deliver(f.update_json(f.message_json(forwarded, user_id=ASN, chat_id=ASN)))
    (reply,) = await saring.reply_to(ASN)
    text = reply.params["text"]
    assert text.startswith("🔴 JANGAN DISEBARKAN")
    assert "https://jalahoaks.jakarta.go.id/gaji" in text
    buttons = [b["text"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    # known_hoax is high: reportable to the unit head; any 🔴 offers "share anyway" (recorded)
    assert buttons == [
        "🔎 Detail",
        "⚠️ Deteksi keliru",
        "📣 Laporkan ke pimpinan",
        "Saya tetap akan membagikan",
    ]


async def test_when_a_hidden_sender_uses_the_official_name_then_it_is_not_official(
    saring: Saring,
) -> None:
    origin = f.origin_hidden_user("Diskominfotik DKI (uji)")
    message = f.message_json(OFFICIAL_TEXT, user_id=ASN, chat_id=ASN, forward_origin=origin)
    await saring.deliver(f.update_json(message))
    (reply,) = await saring.reply_to(ASN)
    assert reply.params["text"].startswith("🟡 PERLU VERIFIKASI")
    assert "Asal pesan tidak dapat dipastikan" in reply.params["text"]


async def test_when_a_channel_with_the_official_title_but_another_id_forwards_then_not_official(
    saring: Saring,
) -> None:
    origin = f.origin_channel(-1009999999999, "Diskominfotik DKI (uji)", username="diskominfotik")
    message = f.message_json(OFFICIAL_TEXT, user_id=ASN, chat_id=ASN, forward_origin=origin)
    await saring.deliver(f.update_json(message))
    (reply,) = await saring.reply_to(ASN)
    assert reply.params["text"].startswith("🟡 PERLU VERIFIKASI")
    assert "tidak terdaftar sebagai sumber resmi" in reply.params["text"]


async def test_when_an_album_arrives_then_it_is_answered_once(saring: Saring) -> None:
    parts = f.album_json(
        [None, "Slot gacor maxwin malam ini, depo 10rb langsung wd!", None],
        user_id=ASN,
        chat_id=ASN,
    )
    for part in parts:
        await saring.deliver(part)
    (reply,) = await saring.reply_to(ASN)
    assert reply.params["text"].startswith("🔴 JANGAN DISEBARKAN")
    await asyncio.sleep(2.5)  # past the grace period for captionless albums
    assert len(saring.sent_to(ASN)) == 1


async def test_when_an_album_has_no_text_at_all_then_one_notice_says_so(saring: Saring) -> None:
    for part in f.album_json([None, None], user_id=ASN, chat_id=ASN, media_group_id="777"):
        await saring.deliver(part)
    (reply,) = await saring.reply_to(ASN, timeout=10)
    assert "Album ini tidak memuat teks" in reply.params["text"]
    await asyncio.sleep(0.5)
    assert len(saring.sent_to(ASN)) == 1


async def test_when_a_photo_has_no_caption_then_the_answer_says_what_can_be_checked(
    saring: Saring,
) -> None:
    await saring.deliver(f.update_json(f.message_json(photo=True, user_id=ASN, chat_id=ASN)))
    (reply,) = await saring.reply_to(ASN)
    assert "hanya dapat memeriksa teks" in reply.params["text"]
    assert "Foto" in reply.params["text"]


async def test_when_telegram_redelivers_an_update_then_it_is_answered_once(
    saring: Saring,
) -> None:
    update = f.update_json(f.message_json("Rapat besok jam 9", user_id=ASN, chat_id=ASN))
    for _ in range(3):
        await saring.deliver(update)
    await saring.reply_to(ASN)
    await asyncio.sleep(0.5)
    assert len(saring.sent_to(ASN)) == 1
    assert await count(saring, InboxRow) == 1
    assert await count(saring, CheckRow) == 1


async def test_when_a_check_is_stored_then_its_text_is_not(saring: Saring) -> None:
    text = "Rahasia kecil: besok ada kejutan ulang tahun untuk Bu Sari"
    await saring.deliver(f.update_json(f.message_json(text, user_id=ASN, chat_id=ASN)))
    await saring.reply_to(ASN)
    await asyncio.sleep(0.3)
    async with saring.services.sessions() as session:
        check = (await session.scalars(select(CheckRow))).one()
        inbox = (await session.scalars(select(InboxRow))).one()
    assert check.verdict == "unverified"
    assert len(check.content_hash) == 64
    assert inbox.status == "done"
    assert inbox.payload is None  # the raw update (with the text) is gone once processed


async def test_when_a_group_member_chats_without_addressing_the_bot_then_it_stays_silent(
    saring: Saring,
) -> None:
    group = -1002000000001
    await saring.deliver(f.update_json(f.group_message_json("Slot gacor maxwin", chat_id=group)))
    await saring.deliver(
        f.update_json(f.group_message_json("Slot gacor maxwin", chat_id=group, mention_bot=True))
    )
    (reply,) = await saring.reply_to(group)
    assert reply.params["text"].startswith("🔴 JANGAN DISEBARKAN")
    await asyncio.sleep(0.3)
    assert len(saring.sent_to(group)) == 1


async def test_when_cek_replies_to_a_message_then_that_message_is_checked(
    saring: Saring,
) -> None:
    group = -1002000000002
    original = f.group_message_json(
        "Ayo coblos paslon nomor urut 2, ASN wajib menangkan!", chat_id=group, user_id=2002
    )
    command = f.command_json("cek", chat_id=group, chat_type="supergroup", reply_to=original)
    await saring.deliver(f.update_json(command))
    (reply,) = await saring.reply_to(group)
    assert reply.params["text"].startswith("🔴 JANGAN DISEBARKAN")
    assert "SE Sekda DKI 79/SE/2019 angka 2.a" in reply.params["text"]
