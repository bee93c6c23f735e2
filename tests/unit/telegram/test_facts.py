"""From a PTB `Message` to `MessageFacts`: text, link targets, forward origin, unsupported media.

PTB objects are built with `Message.de_json` on the dicts Telegram would send, so the tests go
through the same parsing as real updates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import telegram
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checking import (
    ForwardOrigin,
    MessageFacts,
    OriginKind,
    ProvenanceStatus,
    RuleEngine,
    Verdict,
    build_engine,
)
from bot.checking.seed import load_source_seed
from bot.telegram.facts import describe_unsupported, facts_from_message, message_text

REPO = Path(__file__).parents[3]
OFFICIAL_ID = -1001000000001  # the test channel of tests/data/test_sources.yaml
OFFICIAL_TITLE = "Diskominfotik DKI (uji)"
FILE = {"file_id": "f1", "file_unique_id": "u1"}


def message(**fields: Any) -> telegram.Message:
    data = {"message_id": 7, "date": 1_700_000_000, "chat": {"id": 42, "type": "private"}}
    return telegram.Message.de_json({**data, **fields}, bot=None)


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entity(text: str, part: str, kind: str, **extra: Any) -> dict[str, Any]:
    """An entity over the first `part` in `text`, with Telegram's UTF-16 offsets."""
    start = text.index(part)
    return {"type": kind, "offset": units(text[:start]), "length": units(part), **extra}


@pytest.fixture(scope="module")
def engine() -> RuleEngine:
    sources = [
        *load_source_seed(REPO / "config" / "sources.yaml"),
        *load_source_seed(REPO / "tests" / "data" / "test_sources.yaml"),
    ]
    return build_engine(REPO / "config", sources, [])


ORIGINS = [
    # a channel post: the numeric chat id is what the registry matches
    (
        {
            "type": "channel",
            "date": 0,
            "message_id": 5,
            "chat": {"id": -1001234, "type": "channel", "title": "Info", "username": "info"},
        },
        ForwardOrigin(OriginKind.CHANNEL, chat_id=-1001234, username="info", title="Info"),
    ),
    # a group (or an anonymous group admin) that sent the message
    (
        {
            "type": "chat",
            "date": 0,
            "sender_chat": {"id": -100777, "type": "supergroup", "title": "Grup RT"},
        },
        ForwardOrigin(OriginKind.CHAT, chat_id=-100777, title="Grup RT"),
    ),
    # a person whose privacy settings allow linking: id, username, full name
    (
        {
            "type": "user",
            "date": 0,
            "sender_user": {
                "id": 99,
                "is_bot": False,
                "first_name": "Budi",
                "last_name": "Santoso",
                "username": "budis",
            },
        },
        ForwardOrigin(OriginKind.USER, user_id=99, username="budis", sender_name="Budi Santoso"),
    ),
    # a person who hides their account: only a name, which anybody can type
    (
        {"type": "hidden_user", "date": 0, "sender_user_name": "Siti"},
        ForwardOrigin(OriginKind.HIDDEN_USER, sender_name="Siti"),
    ),
]


@pytest.mark.parametrize(("origin", "expected"), ORIGINS)
def test_when_a_message_is_forwarded_then_its_origin_keeps_only_what_telegram_said(
    origin: dict[str, Any], expected: ForwardOrigin
) -> None:
    facts = facts_from_message(message(text="Pengumuman", forward_origin=origin))
    assert facts == MessageFacts(text="Pengumuman", forward=expected)


def test_when_a_message_is_typed_or_copied_then_it_has_no_origin() -> None:
    assert facts_from_message(message(text="Halo")).forward is None


def test_when_a_linked_channel_post_reaches_its_group_then_the_channel_is_the_origin() -> None:
    channel = {"id": OFFICIAL_ID, "type": "channel", "title": OFFICIAL_TITLE, "username": "dki"}
    post = message(
        chat={"id": -100555, "type": "supergroup", "title": "Diskusi"},
        sender_chat=channel,
        is_automatic_forward=True,
        text="Jadwal layanan",
    )
    assert facts_from_message(post).forward == ForwardOrigin(
        OriginKind.CHANNEL, chat_id=OFFICIAL_ID, username="dki", title=OFFICIAL_TITLE
    )


def test_when_a_channel_merely_posts_in_a_group_then_that_is_not_a_forward() -> None:
    post = message(
        chat={"id": -100555, "type": "supergroup", "title": "Diskusi"},
        sender_chat={"id": OFFICIAL_ID, "type": "channel", "title": OFFICIAL_TITLE},
        text="Halo",
    )
    assert facts_from_message(post).forward is None


SPOOFS = [
    # P13: a hidden sender who took the official channel's exact title
    {"type": "hidden_user", "date": 0, "sender_user_name": OFFICIAL_TITLE},
    # P12: a person whose name copies the official title
    {
        "type": "user",
        "date": 0,
        "sender_user": {"id": 5, "is_bot": False, "first_name": OFFICIAL_TITLE},
    },
    # P12: another channel with the same title and a different id
    {
        "type": "channel",
        "date": 0,
        "message_id": 1,
        "chat": {"id": -1009999, "type": "channel", "title": OFFICIAL_TITLE},
    },
]


@pytest.mark.parametrize("origin", SPOOFS)
def test_when_an_origin_only_copies_the_official_name_then_it_is_never_official(
    engine: RuleEngine, origin: dict[str, Any]
) -> None:
    facts = facts_from_message(message(text="Jadwal layanan kantor", forward_origin=origin))
    result = engine.check(facts)
    assert result.provenance.status is not ProvenanceStatus.OFFICIAL
    assert result.verdict is not Verdict.OK
    if origin["type"] == "hidden_user":
        assert facts.forward == ForwardOrigin(OriginKind.HIDDEN_USER, sender_name=OFFICIAL_TITLE)
        assert result.provenance.status is ProvenanceStatus.UNVERIFIABLE


def test_when_the_official_channel_id_forwards_then_the_engine_sees_it_as_official(
    engine: RuleEngine,
) -> None:
    """The counterpart of the spoof cases: the same path does recognise the real channel."""
    origin = {
        "type": "channel",
        "date": 0,
        "message_id": 1,
        "chat": {"id": OFFICIAL_ID, "type": "channel", "title": "nama apa pun"},
    }
    result = engine.check(facts_from_message(message(text="Jadwal", forward_origin=origin)))
    assert result.provenance.status is ProvenanceStatus.OFFICIAL


def test_when_links_follow_emoji_then_entities_give_the_right_urls_in_order_once() -> None:
    text = "🚨👨‍👩‍👧 Cek https://a.example/x lalu 😀 klik di sini, lagi https://a.example/x"
    second = text.rindex("https://a.example/x")
    entities = [
        # listed out of order on purpose: the result follows the text
        entity(text, "klik di sini", "text_link", url="https://target.example/y"),
        entity(text, "https://a.example/x", "url"),
        {"type": "url", "offset": units(text[:second]), "length": units("https://a.example/x")},
    ]
    facts = facts_from_message(message(text=text, entities=entities))
    assert facts.entity_urls == ("https://a.example/x", "https://target.example/y")


def test_when_entities_are_not_links_then_they_are_ignored() -> None:
    text = "😀 @budi #hoaks budi@example.com"
    entities = [
        entity(text, "@budi", "mention"),
        entity(text, "#hoaks", "hashtag"),
        entity(text, "budi@example.com", "email"),
    ]
    assert facts_from_message(message(text=text, entities=entities)).entity_urls == ()


@settings(max_examples=100, deadline=None)
@given(
    prefix=st.text(alphabet=st.sampled_from("ab 😀🇮🇩\u200d👍🏽\n"), max_size=30),
    path=st.text(alphabet="abcxyz0189", min_size=1, max_size=10),
)
def test_when_any_text_precedes_a_link_then_the_utf16_offsets_still_find_it(
    prefix: str, path: str
) -> None:
    url = f"https://contoh.example/{path}"
    text = f"{prefix}{url} 🙏"
    entities = [{"type": "url", "offset": units(prefix), "length": units(url)}]
    link = "https://tujuan.example/" + path
    caption_entities = [{**entities[0], "type": "text_link", "url": link}]
    assert facts_from_message(message(text=text, entities=entities)).entity_urls == (url,)
    captioned = message(
        photo=[{**FILE, "width": 1, "height": 1}], caption=text, caption_entities=caption_entities
    )
    assert facts_from_message(captioned).entity_urls == (link,)


MEDIA = [
    ("photo", [{**FILE, "width": 10, "height": 10}]),
    ("video", {**FILE, "width": 10, "height": 10, "duration": 3}),
    ("document", {**FILE, "file_name": "surat.pdf"}),
]


@pytest.mark.parametrize(("kind", "media"), MEDIA)
def test_when_media_has_a_caption_then_the_caption_and_its_links_are_checked(
    kind: str, media: Any
) -> None:
    caption = "📄 Nota dinas, unduh di sini"
    entities = [entity(caption, "sini", "text_link", url="https://unduh.example/nota")]
    msg = message(**{kind: media}, caption=caption, caption_entities=entities)
    assert message_text(msg) == caption
    assert facts_from_message(msg) == MessageFacts(
        text=caption, entity_urls=("https://unduh.example/nota",)
    )
    assert describe_unsupported(msg) is None


UNSUPPORTED = [
    ({"photo": [{**FILE, "width": 1, "height": 1}]}, "foto"),
    ({"video": {**FILE, "width": 1, "height": 1, "duration": 1}}, "video"),
    ({"document": FILE}, "dokumen"),
    # a GIF also carries `document`; people call it an animation
    (
        {
            "animation": {**FILE, "width": 1, "height": 1, "duration": 1},
            "document": FILE,
        },
        "animasi (GIF)",
    ),
    (
        {
            "sticker": {
                **FILE,
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        "stiker",
    ),
    ({"voice": {**FILE, "duration": 2}}, "pesan suara"),
    ({"video_note": {**FILE, "length": 240, "duration": 2}}, "pesan video"),
    ({"audio": {**FILE, "duration": 2}}, "audio"),
    ({"location": {"latitude": -6.2, "longitude": 106.8}}, "lokasi"),
    # a venue also carries `location`; the venue is the more precise answer
    (
        {
            "location": {"latitude": -6.2, "longitude": 106.8},
            "venue": {
                "location": {"latitude": -6.2, "longitude": 106.8},
                "title": "Balai Kota",
                "address": "Jl. Medan Merdeka Selatan",
            },
        },
        "lokasi tempat",
    ),
    ({"contact": {"phone_number": "+62811", "first_name": "Budi"}}, "kontak"),
    (
        {
            "poll": {
                "id": "p",
                "question": "Setuju?",
                "options": [{"text": "Ya", "voter_count": 0, "persistent_id": "o1"}],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
        },
        "polling",
    ),
    ({"dice": {"emoji": "🎲", "value": 3}}, "emoji animasi"),
    # a caption of only spaces is nothing to check
    ({"photo": [{**FILE, "width": 1, "height": 1}], "caption": "   "}, "foto"),
    # a service message (someone joined): nothing we know how to name
    ({"new_chat_members": [{"id": 3, "is_bot": False, "first_name": "A"}]}, "jenis pesan ini"),
]


@pytest.mark.parametrize(("fields", "kind"), UNSUPPORTED)
def test_when_there_is_no_text_then_the_kind_of_content_is_named(
    fields: dict[str, Any], kind: str
) -> None:
    msg = message(**fields)
    assert describe_unsupported(msg) == kind
    assert facts_from_message(msg).entity_urls == ()


def test_when_there_is_text_then_nothing_is_unsupported() -> None:
    assert describe_unsupported(message(text="Apakah ini benar?")) is None
