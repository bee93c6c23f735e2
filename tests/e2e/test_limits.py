"""P16: whatever people send, what the bot sends back fits Telegram's limits.

Hypothesis builds long, hostile messages (up to Telegram's own 4,096 UTF-16 units, or a
1,024-unit caption): rule phrases that fire many rules, dozens of links and lookalike
domains, `text_link` entities pointing at 2,000-character URLs, astral emoji that count twice
in UTF-16, HTML-looking characters, NIK-shaped numbers, huge unbroken words. Each goes through
the webhook and the real PTB stack; then the Detail button is pressed, because the Detail view
is the longest thing the bot writes. The fake Bot API answers 400 exactly where Telegram
would (text > 4,096 or caption > 1,024 UTF-16 units, empty text, callback_data over 64
bytes, unparsable HTML), so "0 × 400" is the check, plus explicit length assertions.

Limits do not depend on the database, so this file runs on SQLite only (saves CI time).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f
from tests.e2e.conftest import Saring
from tests.e2e.fake_bot_api import MAX_CALLBACK_DATA_BYTES, MAX_CAPTION, MAX_TEXT, Call, utf16_len

SQLITE_ONLY = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
ASN = 1001
TELEGRAM_TEXT = 4096  # what a person can send
TELEGRAM_CAPTION = 1024

FRAGMENTS = [
    "slot gacor maxwin depo 10rb langsung wd",
    "judi online bandar togel situs terpercaya",
    "ayo coblos paslon nomor urut 2, ASN wajib menangkan!",
    "gaji ASN dipotong 10 persen mulai bulan depan, sebarkan!",
    "transfer sekarang ke rekening 1234567890 atas nama panitia",
    "pinjol cepat cair tanpa agunan, hubungi 081234567890",
    "bkd-jakarta.go.id.login-verify.xyz",
    "https://jakarta.go.id/berita",
    "http://jakarta-go-id.info/gaji",
    "https://bit.ly/3abcDEF",
    "NIK 3171010101900001 a.n. Budi",
    "3174 5204 0890 0002",
    "NIP 198501012010011001",
    "<b>&amp;</b> <script>alert(1)</script> & < >",
    "👨‍👩‍👧‍👦🇮🇩🔥💯😂" * 3,
    "𝓈𝓁𝑜𝓉 𝑔𝒶𝒸𝑜𝓇",
    "ѕlоt gасоr",
    "s l o t  g a c o r",
    "\u200bslot\u200b gacor\u00ad",
    "x" * 500,
]
pieces = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(max_size=80),
    st.integers(0, 10**4).map(lambda n: f"https://situs-{n}.example-{n % 7}.com/{'a' * (n % 300)}"),
)


def clip(text: str, units: int) -> str:
    """Cut `text` to at most `units` UTF-16 code units, never inside a surrogate pair."""
    out, used = [], 0
    for char in text:
        used += utf16_len(char)
        if used > units:
            break
        out.append(char)
    return "".join(out)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    """A private message (text or captioned photo) with hidden-link entities."""
    caption = draw(st.booleans())
    limit = TELEGRAM_CAPTION if caption else TELEGRAM_TEXT
    body = clip(" ".join(draw(st.lists(pieces, min_size=1, max_size=120))), limit)
    if not body.strip():
        body = "pesan kosong"
    # Like Telegram's: on whole characters, never overlapping.
    positions = draw(st.sets(st.integers(0, len(body) - 1), max_size=30))
    entities = []
    for n, index in enumerate(sorted(positions)):
        target = f"https://tujuan-{n}.example.net/" + "p" * draw(st.integers(0, 2000))
        offset, length = utf16_len(body[:index]), utf16_len(body[index])
        entities.append(f.text_link_entity(offset, length, target))
    entities.sort(key=lambda e: e["offset"])
    if caption:
        return f.message_json(
            caption=body, photo=True, caption_entities=entities or None, user_id=ASN, chat_id=ASN
        )
    return f.message_json(body, entities=entities or None, user_id=ASN, chat_id=ASN)


def assert_within_limits(calls: list[Call]) -> None:
    for call in calls:
        params = call.params
        assert call.status == 200, (call.method, call.status, call.description)
        if "text" in params:
            assert 0 < utf16_len(str(params["text"])) <= MAX_TEXT, call.method
        if "caption" in params:
            assert utf16_len(str(params["caption"])) <= MAX_CAPTION, call.method
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None:
                    assert 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES, data


def press_details(reply: Call, original: dict[str, Any]) -> dict[str, Any]:
    data = reply.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    message = dict(reply.result) | {"reply_to_message": original}
    return f.callback_query_json(data, user_id=ASN, message=message, chat_id=ASN)


@SQLITE_ONLY
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(message=messages())
async def test_when_long_hostile_messages_are_checked_then_every_reply_fits_telegram(
    saring: Saring, message: dict[str, Any]
) -> None:
    saring.fake.reset()
    await saring.deliver(f.update_json(message))
    (reply,) = await saring.reply_to(ASN)
    await saring.deliver(press_details(reply, message))
    await saring.reply_to(ASN, count=2)
    await saring.fake.wait_for("answerCallbackQuery")
    sends = saring.fake.sent("sendMessage")
    assert sends[1].params["text"].startswith("🔎 DETAIL PEMERIKSAAN")
    assert_within_limits(saring.fake.calls)


# Commands whose arguments end up in the answer, with arguments as long as Telegram allows.
LONG_ARGUMENTS = [
    ("sumber", "jakarta " * 500),  # the search word is echoed back
    ("sumber", "🔥" * 2000),  # astral characters count twice
    ("daftar", "1" * 4000),  # a "NIP" far too long
    ("cek", ""),  # no message replied to
    ("bantuan", "x" * 4000),
    ("tidak_ada", "y" * 4000),  # an unknown command
]


@SQLITE_ONLY
async def test_when_commands_get_huge_arguments_then_answers_still_fit(saring: Saring) -> None:
    for name, args in LONG_ARGUMENTS:
        text = clip(f"/{name} {args}", TELEGRAM_TEXT)
        message = f.command_json(name, text[len(name) + 2 :], user_id=ASN, chat_id=ASN)
        await saring.deliver(f.update_json(message))
    await saring.reply_to(ASN, count=len(LONG_ARGUMENTS))
    assert_within_limits(saring.fake.calls)


@SQLITE_ONLY
async def test_when_a_user_with_many_checks_asks_for_data_then_the_caption_fits(
    saring: Saring,
) -> None:
    for n in range(5):
        await saring.deliver(f.update_json(f.message_json(f"Pesan {n}", user_id=ASN, chat_id=ASN)))
    await saring.reply_to(ASN, count=5)
    await saring.deliver(f.update_json(f.command_json("dataku", user_id=ASN, chat_id=ASN)))
    await saring.deliver(f.update_json(f.command_json("hapusdataku", user_id=ASN, chat_id=ASN)))
    await saring.fake.wait_for("sendDocument")
    await saring.reply_to(ASN, count=6)
    assert_within_limits(saring.fake.calls)
