"""The reply an ASN reads: order, wording, limits, masking; and the engine never crashes.

Properties use the shipped rule set, because it is the one whose replies people read.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.checking import Clause, MessageFacts, RuleEngine, Verdict
from bot.checking.guidance import (
    ROOM_FOR_BOT_LINES,
    TELEGRAM_TEXT_LIMIT,
    format_clauses,
    render_footer,
    utf16_len,
)
from bot.checking.identifiers import find_niks

LABELS = ("🟢 AMAN DIBAGIKAN", "🟡 PERLU VERIFIKASI (tahan dulu)", "🔴 JANGAN DISEBARKAN")
VIOLATIONS = [
    "Slot gacor hari ini maxwin, depo 10rb langsung wd!",
    "Nonton video bokep terbaru gratis, klik link ini",
    "SANGAT RAHASIA\nNota dinas Kepala BKD tentang mutasi pejabat eselon III",
    "Transfer 10 juta ke rekening saya atau foto kamu saya sebarkan ke grup kantor",
    "Dasar pejabat goblok, bangsat semua isinya",
    "Ayo coblos paslon nomor urut 2 di pilkada, ASN wajib menangkan!",
]
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
CONFUSABLES = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і"}
HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_when_the_message_is_a_violation_then_the_reply_leads_with_it_and_thanks(
    shipped_engine: RuleEngine,
) -> None:
    result = shipped_engine.check(MessageFacts(text=VIOLATIONS[0]))
    lines = result.reply.splitlines()
    assert lines[0] == "🔴 JANGAN DISEBARKAN"
    assert lines[2].startswith("Asal pesan tidak dapat dipastikan")
    assert "Alasan:" in lines
    assert any(line.strip().startswith("Dasar: SE MenPANRB 137/2018 angka 8") for line in lines)
    assert "jalahoaks.jakarta.go.id" in result.reply
    assert "SE MenPANRB 137/2018 angka 6" in lines[-1]  # asking first is what the circular asks


def test_when_nothing_backs_a_message_then_the_reply_says_hold_and_where_to_ask(
    shipped_engine: RuleEngine,
) -> None:
    result = shipped_engine.check(MessageFacts(text="Besok ada pemadaman listrik se-Jakarta"))
    assert result.verdict is Verdict.UNVERIFIED
    assert result.reply.startswith("🟡 PERLU VERIFIKASI (tahan dulu)")
    assert "Mohon tahan dulu" in result.reply
    assert "jakarta.go.id" in result.reply


def test_when_an_official_link_backs_a_message_then_the_reply_names_the_source(
    shipped_engine: RuleEngine,
) -> None:
    text = "Pengumuman hasil seleksi: https://bkd.jakarta.go.id/pengumuman"
    result = shipped_engine.check(MessageFacts(text=text))
    assert result.verdict is Verdict.OK
    assert "🔗 bkd.jakarta.go.id — situs resmi" in result.reply
    assert "Silakan bagikan" in result.reply


def test_when_a_text_link_hides_its_target_then_the_reply_shows_the_real_target(
    shipped_engine: RuleEngine,
) -> None:
    facts = MessageFacts(text="Klik di sini", entity_urls=("https://jakarta-go-id.com/bansos",))
    result = shipped_engine.check(facts)
    assert "(tulisan tautan mengarah ke: https://jakarta-go-id.com/bansos)" in result.reply


def test_when_the_footer_is_rendered_then_time_is_in_jakarta() -> None:
    at = datetime(2026, 11, 21, 17, 30, tzinfo=UTC)
    assert render_footer("abc123", at) == "Ref: abc123 · 22-11-2026 00:30 WIB"


@HYPOTHESIS
@given(st.text(max_size=10_000))
def test_when_any_unicode_text_is_checked_then_a_verdict_comes_back(
    shipped_engine: RuleEngine, text: str
) -> None:
    result = shipped_engine.check(MessageFacts(text=text))
    assert result.verdict in set(Verdict)
    assert result.reply.split("\n", 1)[0] in LABELS
    # room is left for the footer and an automatic-case note the bot appends
    assert utf16_len(result.reply) <= TELEGRAM_TEXT_LIMIT - ROOM_FOR_BOT_LINES


@HYPOTHESIS
@given(
    st.lists(
        st.sampled_from([*VIOLATIONS, "NIK 3171014101900001 dan 3174052506850002"]), max_size=60
    ),
    st.text(max_size=200),
)
def test_when_messages_are_long_and_full_of_findings_then_the_reply_still_fits_and_is_masked(
    shipped_engine: RuleEngine, parts: list[str], noise: str
) -> None:
    result = shipped_engine.check(MessageFacts(text="\n".join([*parts, noise])))
    # room is left for the footer and an automatic-case note the bot appends
    assert utf16_len(result.reply) <= TELEGRAM_TEXT_LIMIT - ROOM_FOR_BOT_LINES
    assert find_niks(result.reply) == []


@HYPOTHESIS
@given(st.sampled_from(VIOLATIONS), st.data())
def test_when_zero_width_characters_are_inserted_then_a_violation_stays_a_violation(
    shipped_engine: RuleEngine, text: str, data: st.DataObject
) -> None:
    before = set(shipped_engine.check(MessageFacts(text=text)).rule_ids)
    positions = data.draw(st.lists(st.integers(0, len(text)), max_size=20))
    marks = data.draw(st.lists(st.sampled_from(ZERO_WIDTH), min_size=20, max_size=20))
    chars = list(text)
    for position, mark in zip(sorted(positions, reverse=True), marks, strict=False):
        chars.insert(position, mark)
    after = shipped_engine.check(MessageFacts(text="".join(chars)))
    assert after.verdict is Verdict.VIOLATION
    assert before <= set(after.rule_ids)


@HYPOTHESIS
@given(st.sampled_from(VIOLATIONS), st.data())
def test_when_letters_are_swapped_for_confusables_then_a_violation_stays_a_violation(
    shipped_engine: RuleEngine, text: str, data: st.DataObject
) -> None:
    before = set(shipped_engine.check(MessageFacts(text=text)).rule_ids)
    swap = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    disguised = "".join(
        CONFUSABLES.get(ch, ch) if flip else ch for ch, flip in zip(text, swap, strict=True)
    )
    after = shipped_engine.check(MessageFacts(text=disguised))
    assert after.verdict is Verdict.VIOLATION
    assert before <= set(after.rule_ids)


@pytest.mark.parametrize("text", VIOLATIONS)
def test_when_a_sample_violation_is_checked_then_it_is_one(
    shipped_engine: RuleEngine, text: str
) -> None:
    assert shipped_engine.check(MessageFacts(text=text)).verdict is Verdict.VIOLATION


def test_when_a_finding_cites_several_points_then_each_circular_is_named_once() -> None:
    clauses = (
        Clause("SE MenPANRB 137/2018", "6"),
        Clause("SE MenPANRB 137/2018", "7"),
        Clause("SE Sekda DKI 79/SE/2019", "2.g"),
    )
    assert format_clauses(clauses) == (
        "SE MenPANRB 137/2018 angka 6, 7; SE Sekda DKI 79/SE/2019 angka 2.g"
    )


def test_when_guidance_already_names_jala_hoaks_then_it_is_not_repeated(
    shipped_engine: RuleEngine,
) -> None:
    text = "INFO A1!! Sebarkan sebelum dihapus, media tidak memberitakan. Jangan putus di kamu"
    reply = shipped_engine.check(MessageFacts(text=text)).reply
    assert reply.count("jalahoaks.jakarta.go.id") == 1
