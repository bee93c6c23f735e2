"""P11: only registered admins act; identity is the numeric id; buttons cannot be forged.

Admin commands go through the real webhook, PTB and database. Hypothesis draws who sends
(configured admin, roster admin, roster staff of other roles, strangers, Telegram's own
service identities), under which username (the admin's username on another id included),
which admin command, and where (private chat, group, supergroup, with or without the
@bot suffix). The property: the registry, hoax database or statistics change (or are shown)
iff the numeric id is an admin, and every refusal is answered and written to `audit_log`.

Buttons: callback data that was never issued, altered in case, replayed, signed for another
check or for another person, must change nothing.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.db.models import AuditRow, CheckRow, FeedbackRow, HoaxRow, InboxRow, SourceRow
from bot.identities import ANONYMOUS_ADMIN_ID, CHANNEL_BOT_ID, NOT_PEOPLE, TELEGRAM_SERVICE_ID
from bot.registry.roster import import_roster
from bot.texts import id as texts
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, Saring
from tests.e2e.fake_bot_api import Call

ROSTER_ADMIN = 7002
ROSTER_OTHERS = {7003: "asn", 7004: "unit_head", 7005: "ppk"}
ADMIN_USERNAME = "admin_diskominfotik"
ADMINS = {ADMIN_ID, ROSTER_ADMIN}
STRANGERS = (1001, 424242, 999_999_999_999)
COMMANDS = ("sumber_tambah", "sumber_hapus", "hoaks_tambah", "statistik")
GAMBLING = "Slot gacor maxwin malam ini, depo 10rb langsung wd!"
_serial = itertools.count(1)

ROSTER = "\n".join(
    [
        "nip,name,unit_code,unit_name,role,telegram_user_id",
        f"198501012010011001,Admin Kominfo,DKF,Diskominfotik,admin,{ROSTER_ADMIN}",
        "198602022011012002,Sari Pegawai,DKF,Diskominfotik,asn,7003",
        "197003031995031003,Kepala Unit,DKF,Diskominfotik,unit_head,7004",
        "197504041999032004,Petugas PPK,BKD,Badan Kepegawaian Daerah,ppk,7005",
    ]
)


@pytest.fixture
async def staffed(saring: Saring, tmp_path: Path) -> Saring:
    """Saring with a roster: one admin by role, and staff of every other role."""
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER + "\n", encoding="utf-8")
    await import_roster(saring.services.sessions, path, actor="test")
    return saring


async def count(saring: Saring, model: type, *where: Any) -> int:
    async with saring.services.sessions() as session:
        query = select(func.count()).select_from(model).where(*where)
        return int(await session.scalar(query) or 0)


async def refusals(saring: Saring, user_id: int) -> int:
    return await count(
        saring,
        AuditRow,
        AuditRow.action == "command.refused",
        AuditRow.actor == f"telegram:{user_id}",
    )


known = st.sampled_from([ADMIN_ID, ROSTER_ADMIN, *ROSTER_OTHERS, *STRANGERS, *NOT_PEOPLE])
identities = st.one_of(known, known, st.integers(min_value=1, max_value=2**40))
usernames = st.sampled_from([ADMIN_USERNAME, ADMIN_USERNAME.upper(), None]) | st.from_regex(
    r"[a-z][a-z0-9_]{4,20}", fullmatch=True
)
places = st.sampled_from(["private", "group", "supergroup"])


def case(command: str, user: int, username: str | None, place: str, *, suffix: bool) -> Any:
    """An explicit Hypothesis example (keyword form, as `given` takes keywords)."""
    return example(command=command, user=user, username=username, place=place, suffix=suffix)


class Attempt:
    """One admin command sent by someone somewhere, and what it should change."""

    def __init__(self, command: str, user: int, username: str | None, place: str, suffix: bool):
        self.command, self.user, self.username = command, user, username
        self.chat_id = user if place == "private" else -1_003_000_000_000 - next(_serial)
        self.place, self.suffix = place, suffix
        self.serial = next(_serial)

    @property
    def value(self) -> str:
        return f"uji{self.serial}.jakarta.go.id"

    def message(self) -> dict[str, Any]:
        name = f"{self.command}@{f.BOT_USERNAME}" if self.suffix else self.command
        args, reply_to = "", None
        if self.command == "sumber_tambah":
            args = f"domain {self.value} Situs Uji"
        elif self.command == "sumber_hapus":
            args = f"domain {self.value}"
        elif self.command == "hoaks_tambah":
            args = f"https://jalahoaks.jakarta.go.id/uji-{self.serial}"
            claim = f"Kabar bohong nomor {self.serial}: gaji ASN DKI dipotong untuk iuran baru."
            reply_to = f.message_json(claim, chat_id=self.chat_id, chat_type=self.place)
        return f.command_json(
            name,
            args,
            user_id=self.user,
            username=self.username,
            chat_id=self.chat_id,
            chat_type=self.place,
            reply_to=reply_to,
        )


async def state(saring: Saring, attempt: Attempt) -> tuple[int, int]:
    sources = await count(saring, SourceRow, SourceRow.value == attempt.value)
    hoaxes = await count(saring, HoaxRow)
    return sources, hoaxes


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Cases that must always run, whatever Hypothesis draws:
# staff without the admin role, one of them under the admin's username
@case("sumber_tambah", 7003, ADMIN_USERNAME, "private", suffix=False)
@case("sumber_hapus", 7004, None, "group", suffix=True)
@case("hoaks_tambah", 7005, "ppk_dki", "supergroup", suffix=False)
# a stranger under the admin's username, in another case
@case("statistik", 1001, ADMIN_USERNAME.upper(), "private", suffix=False)
# Telegram's anonymous group admin and Telegram itself: never admins
@case("statistik", ANONYMOUS_ADMIN_ID, "GroupAnonymousBot", "supergroup", suffix=False)
@case("sumber_tambah", TELEGRAM_SERVICE_ID, "telegram", "supergroup", suffix=True)
@case("sumber_hapus", CHANNEL_BOT_ID, "Channel_Bot", "group", suffix=False)
# the admins, by configuration and by roster role, in private and in a group
@case("sumber_tambah", ADMIN_ID, "someone_else", "supergroup", suffix=True)
@case("hoaks_tambah", ROSTER_ADMIN, None, "private", suffix=False)
@case("sumber_hapus", ROSTER_ADMIN, ADMIN_USERNAME, "group", suffix=False)
@given(
    command=st.sampled_from(COMMANDS),
    user=identities,
    username=usernames,
    place=places,
    suffix=st.booleans(),
)
async def test_when_anyone_sends_an_admin_command_then_it_acts_iff_the_numeric_id_is_admin(
    staffed: Saring, command: str, user: int, username: str | None, place: str, suffix: bool
) -> None:
    saring = staffed
    attempt = Attempt(command, user, username, place, suffix)
    if command == "sumber_hapus":
        await saring.services.sources.add("domain", attempt.value, name="Uji", actor="test")
    before, refused_before = await state(saring, attempt), await refusals(saring, user)
    saring.fake.reset()
    await saring.deliver(f.update_json(attempt.message()))
    allowed = user in ADMINS
    if user in NOT_PEOPLE:
        # Telegram's own identities are dropped before any handler: no answer at all.
        await _settle(saring)
        assert saring.fake.sent("sendMessage") == []
        assert await state(saring, attempt) == before
        return
    (reply,) = await saring.reply_to(attempt.chat_id)
    text = reply.params["text"]
    after = await state(saring, attempt)
    if not allowed:
        assert text == texts.ADMIN_REFUSED
        assert after == before
        assert await refusals(saring, user) == refused_before + 1
        return
    assert text != texts.ADMIN_REFUSED
    expected = {
        "sumber_tambah": (before[0] + 1, before[1]),  # the domain is registered
        "sumber_hapus": (before[0] - 1, before[1]),  # the domain is removed
        "hoaks_tambah": (before[0], before[1] + 1),  # the hoax is recorded
        "statistik": before,  # statistics are shown, nothing changes
    }[command]
    assert after == expected, text
    if command == "statistik":
        assert text.startswith("Statistik Saring")
    assert await refusals(saring, user) == refused_before


async def _settle(saring: Saring) -> None:
    """Wait until the inbox has nothing unfinished (the update was taken and dropped)."""
    for _ in range(100):
        pending = await count(saring, InboxRow, InboxRow.status.in_(("pending", "processing")))
        if pending == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the inbox did not settle")


async def test_when_the_anonymous_group_admin_sends_an_admin_command_then_it_is_audited(
    staffed: Saring,
) -> None:
    attempt = Attempt("sumber_tambah", ANONYMOUS_ADMIN_ID, "GroupAnonymousBot", "supergroup", False)
    await staffed.deliver(f.update_json(attempt.message()))
    await _settle(staffed)
    assert await count(staffed, SourceRow, SourceRow.value == attempt.value) == 0
    assert await refusals(staffed, ANONYMOUS_ADMIN_ID) == 1


# ----------------------------------------------------------------------------- buttons
ALICE, BOB = 1101, 1102


async def checked(saring: Saring, user: int, text: str = GAMBLING) -> tuple[Call, dict[str, Any]]:
    """`user` forwards `text`; the bot's reply (as recorded) and the user's message."""
    original = f.message_json(text, user_id=user, chat_id=user)
    await saring.deliver(f.update_json(original))
    replies = await saring.reply_to(user, count=len(saring.sent_to(user)) + 1)
    return replies[-1], original


def button(reply: Call, action: str) -> str:
    """The callback data of the reply's button for `action` ("d" details, "f" feedback...)."""
    (data,) = [d for d in buttons(reply) if d.startswith(action + ":")]
    return data


def buttons(reply: Call) -> list[str]:
    return [
        b["callback_data"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row
    ]


def press(reply: Call, original: dict[str, Any], data: str, *, user: int) -> dict[str, Any]:
    """The callback update for `user` pressing a button carrying `data` under `reply`.

    The pressed message is what the fake returned for the send, quoting the user's message,
    as Telegram shows it to the client.
    """
    message = dict(reply.result) | {"reply_to_message": original}
    return f.callback_query_json(data, user_id=user, message=message, chat_id=reply.chat_id)


async def answer_to(saring: Saring, update: dict[str, Any]) -> Call:
    """Deliver a button press and return the bot's answerCallbackQuery."""
    query_id = update["callback_query"]["id"]
    await saring.deliver(update)
    (answer,) = await saring.fake.wait_for(
        "answerCallbackQuery", predicate=lambda c: c.params.get("callback_query_id") == query_id
    )
    return answer


async def feedback_rows(saring: Saring) -> list[tuple[int, int]]:
    async with saring.services.sessions() as session:
        rows = await session.execute(select(FeedbackRow.check_id, FeedbackRow.telegram_user_id))
        return [tuple(row) for row in rows]


@pytest.fixture
async def alice_check(saring: Saring) -> tuple[Call, dict[str, Any]]:
    return await checked(saring, ALICE)


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.text(min_size=1, max_size=64).filter(lambda d: len(d.encode()) <= 64))
async def test_when_callback_data_was_never_issued_then_the_press_changes_nothing(
    saring: Saring, alice_check: tuple[Call, dict[str, Any]], data: str
) -> None:
    reply, original = alice_check
    answer = await answer_to(saring, press(reply, original, data, user=ALICE))
    assert answer.params.get("text") in (texts.BUTTON_EXPIRED, texts.NOT_YOURS)
    assert answer.params.get("show_alert") is True
    assert await feedback_rows(saring) == []
    assert await count(saring, CheckRow) == 1
    assert len(saring.sent_to(ALICE)) == 1  # no details, no deletion report


def swap_case(data: str, position: int) -> str:
    """The same data with one letter of the signature in the other case."""
    head, tail = data[:position], data[position:]
    index = next(i for i, c in enumerate(tail) if c.isalpha())
    return head + tail[:index] + tail[index].swapcase() + tail[index + 1 :]


async def test_when_a_genuine_button_is_altered_then_it_is_refused(
    saring: Saring, alice_check: tuple[Call, dict[str, Any]]
) -> None:
    reply, original = alice_check
    details, feedback = button(reply, "d"), button(reply, "f")
    altered = [
        swap_case(feedback, len(feedback) - 16),  # one signature letter in the other case
        swap_case(feedback, 2),  # one letter of the check id in the other case
        "F" + feedback[1:],  # the action in upper case
        feedback[:-1],  # the signature cut short
        feedback + "A",  # the signature made longer
        "f" + details[1:],  # the details signature reused for feedback
    ]
    for data in altered:
        answer = await answer_to(saring, press(reply, original, data, user=ALICE))
        assert answer.params.get("text") == texts.BUTTON_EXPIRED, data
    assert await feedback_rows(saring) == []


async def test_when_a_feedback_button_is_replayed_then_it_counts_once(
    saring: Saring, alice_check: tuple[Call, dict[str, Any]]
) -> None:
    reply, original = alice_check
    feedback = button(reply, "f")
    texts_seen = [
        (await answer_to(saring, press(reply, original, feedback, user=ALICE))).params["text"]
        for _ in range(3)
    ]
    assert texts_seen == [texts.FEEDBACK_THANKS, texts.FEEDBACK_ALREADY, texts.FEEDBACK_ALREADY]
    assert len(await feedback_rows(saring)) == 1


async def test_when_a_button_of_a_purged_check_is_pressed_then_it_has_expired(
    saring: Saring, alice_check: tuple[Call, dict[str, Any]]
) -> None:
    reply, original = alice_check
    async with saring.services.sessions.begin() as session:
        await session.execute(CheckRow.__table__.delete())
    # Every button that acts on the check (the "share anyway" warning only asks to confirm).
    for data in (d for d in buttons(reply) if not d.startswith("s:")):
        answer = await answer_to(saring, press(reply, original, data, user=ALICE))
        assert answer.params.get("text") in (texts.BUTTON_EXPIRED, texts.ORIGINAL_GONE)
    assert await feedback_rows(saring) == []
    assert len(saring.sent_to(ALICE)) == 1


async def test_when_a_button_signed_for_another_check_is_pressed_then_nothing_changes(
    saring: Saring, alice_check: tuple[Call, dict[str, Any]]
) -> None:
    alice_reply, _ = alice_check
    bob_reply, bob_original = await checked(saring, BOB)
    stolen = button(alice_reply, "f")  # Alice's feedback button, pressed under Bob's reply
    answer = await answer_to(saring, press(bob_reply, bob_original, stolen, user=BOB))
    assert answer.params.get("text") == texts.BUTTON_EXPIRED
    assert await feedback_rows(saring) == []


async def test_when_a_details_button_signed_for_another_check_is_pressed_then_it_is_refused(
    saring: Saring, alice_check: tuple[Call, dict[str, Any]]
) -> None:
    alice_reply, _ = alice_check
    bob_reply, bob_original = await checked(saring, BOB)
    stolen = button(alice_reply, "d")
    alice_reference = alice_reply.params["text"].splitlines()[-1].split()[1]
    answer = await answer_to(saring, press(bob_reply, bob_original, stolen, user=BOB))
    await asyncio.sleep(0.3)
    shown = [c.params["text"] for c in saring.sent_to(BOB)[1:]]
    assert not any(alice_reference in text for text in shown)
    assert answer.params.get("text") == texts.BUTTON_EXPIRED


async def test_when_someone_presses_another_persons_delete_button_then_nothing_is_deleted(
    saring: Saring, alice_check: tuple[Call, dict[str, Any]]
) -> None:
    await saring.deliver(f.update_json(f.command_json("hapusdataku", user_id=ALICE, chat_id=ALICE)))
    confirm = (await saring.reply_to(ALICE, count=2))[-1]
    (data,) = buttons(confirm)
    # Bob replays Alice's confirmation, on Alice's message and under his own chat.
    bob_reply, bob_original = await checked(saring, BOB)
    for update in (
        f.callback_query_json(data, user_id=BOB, message=dict(confirm.result), chat_id=ALICE),
        press(bob_reply, bob_original, data, user=BOB),
    ):
        answer = await answer_to(saring, update)
        assert answer.params.get("text") == texts.NOT_YOURS
    assert await count(saring, CheckRow, CheckRow.telegram_user_id == ALICE) == 1
    assert await count(saring, CheckRow, CheckRow.telegram_user_id == BOB) == 1
    assert saring.fake.sent("editMessageText") == []


async def test_when_a_forged_button_is_pressed_then_the_attempt_is_audited(
    saring: Saring, alice_check: tuple[Call, dict[str, Any]]
) -> None:
    reply, original = alice_check
    feedback = button(reply, "f")
    forged = swap_case(feedback, len(feedback) - 16)
    await answer_to(saring, press(reply, original, forged, user=ALICE))
    assert await count(saring, AuditRow, AuditRow.actor == f"telegram:{ALICE}") == 1
