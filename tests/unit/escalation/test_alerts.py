"""Escalation messages: what each reader sees, masked, numbered, always one Telegram message."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checking.findings import (
    Clause,
    Explanation,
    Finding,
    ForwardOrigin,
    LinkReport,
    LinkStatus,
    OriginKind,
    Severity,
)
from bot.checking.identifiers import find_niks, find_nips
from bot.db.case_models import CASE_STATUSES
from bot.escalation.alerts import (
    ACTION_LABELS,
    STATUS_LABELS,
    TELEGRAM_TEXT_LIMIT,
    CaseView,
    Evidence,
    render_digest,
    render_ppk_packet,
    render_reporter_notice,
    render_review_request,
    render_status_line,
    render_unit_head_alert,
)
from bot.escalation.policy import Trigger
from bot.telegram.details import utf16_len

NIK = "3171010101900001"  # structurally valid DKI NIK (made up)
NIP = "198001012005011001"  # structurally valid NIP (made up)
HASH = "f" * 20 + "e" * 44  # no digits, so a NIK could never hide in it
SE_137 = Clause("SE MenPANRB 137/2018", "6")
SE_79 = Clause("SE Sekda DKI 79/SE/2019", "2.g")
OPENED = datetime(2026, 11, 21, 6, 55, tzinfo=UTC)  # 13:55 WIB
ACTED = datetime(2026, 11, 21, 7, 2, tzinfo=UTC)  # 14:02 WIB
SECRET_TEXT = "SANGAT RAHASIA: nota dinas mutasi pejabat eselon II, NIK " + NIK


def finding(**fields: object) -> Finding:
    base: dict[str, object] = {
        "rule": "confidential",
        "title": "Dokumen rahasia",
        "severity": Severity.CRITICAL,
        "clauses": (SE_137, SE_79),
        "evidence": ("SANGAT RAHASIA",),
        "guidance": "Jangan teruskan.",
        "explanation": Explanation("phrases", ("sangat rahasia",), 0.95, None, 0.95, "matched"),
        "reason": "Pesan memuat penanda dokumen rahasia.",
    }
    return Finding(**{**base, **fields})  # type: ignore[arg-type]


def case_view(**fields: object) -> CaseView:
    base: dict[str, object] = {
        "reference": "SRG-2026-000123",
        "alert_number": "ESK-SRG-2026-000123",
        "status": "open",
        "severity": Severity.CRITICAL,
        "findings": (finding(),),
        "reporter_count": 3,
        "unit_name": "Badan Kepegawaian Daerah",
        "subject": "Budi Santoso",
        "opened_at": OPENED,
        "last_actor": None,
        "last_action_at": None,
        "decision": None,
        "trigger": Trigger.AUTO,
    }
    return CaseView(**{**base, **fields})  # type: ignore[arg-type]


def evidence(**fields: object) -> Evidence:
    base: dict[str, object] = {
        "text": SECRET_TEXT,
        "forward_origin": ForwardOrigin(
            OriginKind.USER, user_id=5550001, username="budi_s", sender_name="Budi Santoso"
        ),
        "links": (
            LinkReport(
                "https://bkd-jakarta.info/nota",
                "bkd-jakarta.info",
                LinkStatus.LOOKALIKE,
                imitates="bkd.jakarta.go.id",
            ),
        ),
        "content_hash": HASH,
        "checked_at": OPENED,
    }
    return Evidence(**{**base, **fields})  # type: ignore[arg-type]


def every_message(case: CaseView, ev: Evidence) -> dict[str, str]:
    return {
        "unit_head": render_unit_head_alert(case),
        "ppk": render_ppk_packet(case, ev),
        "review": render_review_request(case, ev),
        "reporter": render_reporter_notice(case),
        "digest": render_digest(case.unit_name or "Unit", [case]),
    }


# --- what each reader sees ------------------------------------------------------------------


def test_when_a_unit_head_is_alerted_then_the_alert_says_what_and_why_but_not_the_text() -> None:
    text = render_unit_head_alert(case_view())
    assert "Pesan memuat penanda dokumen rahasia." in text
    assert "SE MenPANRB 137/2018 angka 6; SE Sekda DKI 79/SE/2019 angka 2.g" in text
    assert "Jumlah pelapor: 3 ASN" in text
    assert "Tingkat: kritis" in text
    assert "Status: MENUNGGU TINDAK LANJUT" in text
    assert "nota dinas" not in text and "SANGAT RAHASIA" not in text  # no text, no quote
    assert "3171" not in text and "Budi" not in text  # nor the subject or the NIK


def test_when_the_ppk_gets_the_packet_then_it_holds_the_evidence_masked() -> None:
    text = render_ppk_packet(case_view(), evidence())
    assert "│ SANGAT RAHASIA: nota dinas mutasi pejabat eselon II, NIK 3171************" in text
    assert NIK not in text
    assert "Jenis: akun perorangan" in text
    assert "ID akun: 5550001" in text and "Nama: Budi Santoso" in text and "@budi_s" in text
    assert (
        "https://bkd-jakarta.info/nota" in text and "MENIRU situs resmi bkd.jakarta.go.id" in text
    )
    assert "[confidential] Dokumen rahasia" in text and "Bukti: “SANGAT RAHASIA”" in text
    assert "Dasar: SE MenPANRB 137/2018 angka 6; SE Sekda DKI 79/SE/2019 angka 2.g" in text
    assert f"Sidik isi (SHA-256): {HASH}" in text
    assert "Dibuka: 21-11-2026 13:55 WIB" in text  # UTC shown in Jakarta time
    assert "Penulis asal menurut Telegram (belum tentu pelaku): Budi Santoso" in text


def test_when_review_first_is_on_then_diskominfotik_sees_the_evidence_and_is_asked() -> None:
    text = render_review_request(case_view(status="review"), evidence())
    assert text.startswith("🔍 PERMINTAAN TINJAUAN — ESK-SRG-2026-000123")
    assert "belum ada pimpinan atau PPK" in text
    assert "3171************" in text and f"Sidik isi (SHA-256): {HASH}" in text
    assert "Status: MENUNGGU TINJAUAN DISKOMINFOTIK" in text


def test_when_a_message_was_not_forwarded_then_the_packet_says_the_origin_is_unknown() -> None:
    text = render_ppk_packet(case_view(), evidence(forward_origin=None, links=(), text="  "))
    assert "Tidak diteruskan dari mana pun" in text
    assert "Tautan: tidak ada." in text
    assert "(tanpa teks)" in text


def test_when_the_reporter_text_imitates_a_status_line_then_it_stays_quoted() -> None:
    forged = "Status: DINYATAKAN BUKAN PELANGGARAN oleh PPK\nabaikan"
    text = render_ppk_packet(case_view(), evidence(text=forged))
    assert "\n│ Status: DINYATAKAN BUKAN PELANGGARAN oleh PPK\n│ abaikan" in text
    assert text.splitlines()[-1] == "Status: MENUNGGU TINDAK LANJUT"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # the example of the issue: status, role, time in WIB
        (
            {"status": "forwarded", "last_actor": "Kepala BKD", "last_action_at": ACTED},
            "Status: DITERUSKAN KE PPK oleh Kepala BKD, 21-11-2026 14:02 WIB",
        ),
        # nobody acted yet
        ({"status": "open"}, "Status: MENUNGGU TINDAK LANJUT"),
        # an action without a recorded actor still shows when
        (
            {"status": "decided", "last_action_at": ACTED},
            "Status: KEPUTUSAN PPK DICATAT, 21-11-2026 14:02 WIB",
        ),
        # a naive time from a database is UTC
        (
            {
                "status": "acknowledged",
                "last_actor": "Kepala BKD",
                "last_action_at": datetime(2026, 11, 21, 7, 2),
            },
            "Status: SUDAH DITERIMA PIMPINAN oleh Kepala BKD, 21-11-2026 14:02 WIB",
        ),
        # an actor written with a NIP is masked
        (
            {"status": "dismissed", "last_actor": f"Admin {NIP}", "last_action_at": ACTED},
            "Status: DINYATAKAN BUKAN PELANGGARAN oleh Admin 1980**************, "
            "21-11-2026 14:02 WIB",
        ),
    ],
)
def test_when_a_case_changes_then_the_status_line_says_what_who_and_when(fields, expected) -> None:
    assert render_status_line(case_view(**fields)) == expected


def test_when_a_decision_is_recorded_then_the_officials_see_it_and_the_reporter_does_not() -> None:
    case = case_view(
        status="decided",
        decision="Teguran lisan kepada yang bersangkutan",
        last_actor="PPK Pemprov DKI",
        last_action_at=ACTED,
    )
    assert "Keterangan: Teguran lisan" in render_unit_head_alert(case)
    assert "Keterangan: Teguran lisan" in render_ppk_packet(case, evidence())
    notice = render_reporter_notice(case)
    assert "Teguran" not in notice and "PPK Pemprov DKI" not in notice


def test_when_every_case_status_is_labelled_then_none_is_missing() -> None:
    assert set(STATUS_LABELS) == set(CASE_STATUSES)
    assert {"ack", "fwd", "nov", "dec"} <= set(ACTION_LABELS)


@pytest.mark.parametrize("status", CASE_STATUSES)
def test_when_the_reporter_is_told_the_outcome_then_it_is_by_reference_and_thankful(
    status,
) -> None:
    case = case_view(status=status, last_actor="Drs. Ahmad, Kepala BKD", last_action_at=ACTED)
    text = render_reporter_notice(case)
    assert "SRG-2026-000123" in text and "ESK-SRG-2026-000123" in text
    assert "SE MenPANRB 137/2018 angka 6" in text and "Terima kasih" in text
    assert "Ahmad" not in text  # the role level, never the person who acted
    assert "bukan tentang Bapak/Ibu" in text


def test_when_the_reporter_notices_differ_by_status_then_each_outcome_is_distinct() -> None:
    notices = {render_reporter_notice(case_view(status=s)) for s in CASE_STATUSES}
    assert len(notices) == len(CASE_STATUSES)


def test_when_a_digest_lists_cases_then_each_has_reference_number_and_status() -> None:
    cases = [case_view(reference=f"SRG-2026-{n:06d}", alert_number=f"ESK-{n}") for n in range(3)]
    text = render_digest("Badan Kepegawaian Daerah", cases, alert_number="ESK-DIGEST-7")
    assert "ESK-DIGEST-7" in text and "berikut 3 laporan" in text
    for n in range(3):
        assert f"• SRG-2026-{n:06d} (ESK-{n}) — tingkat kritis — 3 pelapor" in text
    assert text.count("Status: MENUNGGU TINDAK LANJUT") == 3


def test_when_a_digest_has_no_cases_then_it_says_so() -> None:
    assert "Tidak ada laporan baru." in render_digest("Dinas Kominfotik", [])


def test_when_a_digest_is_too_long_then_it_counts_the_cases_left_out() -> None:
    cases = [case_view(reference=f"SRG-2026-{n:06d}") for n in range(500)]
    text = render_digest("Badan Kepegawaian Daerah", cases)
    shown = len(re.findall(r"^• SRG-", text, flags=re.MULTILINE))
    left = int(re.search(r"… dan (\d+) kasus lain", text).group(1))  # type: ignore[union-attr]
    assert 10 < shown < 500 and shown + left == 500
    assert utf16_len(text) <= TELEGRAM_TEXT_LIMIT


def test_when_a_case_has_many_findings_then_the_packet_counts_those_left_out() -> None:
    findings = tuple(finding(rule=f"rule{n}", reason="alasan " * 20) for n in range(1000))
    text = render_ppk_packet(case_view(findings=findings), evidence(text="x " * 50_000))
    shown = len(re.findall(r"^\d+\. \[rule", text, flags=re.MULTILINE))
    left = int(re.search(r"… dan (\d+) temuan lain", text).group(1))  # type: ignore[union-attr]
    assert shown + left == 1000
    assert "teks dipotong" in text and f"Sidik isi (SHA-256): {HASH}" in text
    assert utf16_len(text) <= TELEGRAM_TEXT_LIMIT


def test_when_the_text_is_long_then_it_keeps_room_beside_the_findings() -> None:
    findings = tuple(finding(rule=f"rule{n}") for n in range(100))
    text = render_ppk_packet(case_view(findings=findings), evidence(text="kata " * 5000))
    quoted = sum(utf16_len(line) for line in text.splitlines() if line.startswith("│ "))
    assert quoted > 1000


# --- open-ended input -------------------------------------------------------------------------

PIECES = st.sampled_from(
    [NIK, NIP, "3171 0101 0190 0001", "😀", "👨‍👩‍👧", "\n", " ", "a", "é", "٣"]
)
CHUNK = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=12).map("".join)
HUGE = st.tuples(CHUNK, st.integers(1, 2000)).map(lambda pair: pair[0] * pair[1])
REFERENCE = st.from_regex(r"SRG-20[0-9]{2}-[0-9]{6}", fullmatch=True)


@st.composite
def cases_and_evidence(draw: st.DrawFn) -> tuple[CaseView, Evidence]:
    text = st.one_of(CHUNK, HUGE)
    findings = draw(
        st.lists(
            st.builds(
                finding,
                rule=text,
                title=text,
                reason=text,
                evidence=st.lists(text, max_size=8).map(tuple),
                clauses=st.lists(st.builds(Clause, text, text), max_size=4).map(tuple),
            ),
            max_size=30,
        )
    )
    reference = draw(REFERENCE)
    case = case_view(
        reference=reference,
        alert_number="ESK-" + reference,
        findings=tuple(findings) * draw(st.sampled_from([1, 40])),
        unit_name=draw(text),
        subject=draw(st.none() | text),
        last_actor=draw(st.none() | text),
        last_action_at=ACTED,
        decision=draw(st.none() | text),
        status=draw(st.sampled_from(CASE_STATUSES)),
        trigger=draw(st.sampled_from(list(Trigger))),
    )
    origin = ForwardOrigin(
        draw(st.sampled_from(list(OriginKind))),
        chat_id=-1001234567890,
        user_id=5550001,
        username=draw(text),
        title=draw(st.none() | text),
        sender_name=draw(text),
    )
    links = draw(
        st.lists(
            st.builds(
                LinkReport, text, text, st.sampled_from(list(LinkStatus)), text, text, st.booleans()
            ),
            max_size=20,
        )
    )
    ev = Evidence(draw(text), origin, tuple(links) * draw(st.sampled_from([1, 30])), HASH, OPENED)
    return case, ev


@settings(max_examples=120, deadline=None)
@given(cases_and_evidence())
def test_when_inputs_are_huge_then_every_message_fits_is_masked_and_numbered(pair) -> None:
    case, ev = pair
    for name, text in every_message(case, ev).items():
        assert utf16_len(text) <= TELEGRAM_TEXT_LIMIT, name
        assert not find_niks(text) and not find_nips(text), name
        assert case.reference in text and case.alert_number in text, name
        text.encode("utf-8")  # no astral character cut in half
    assert SECRET_TEXT not in render_unit_head_alert(case)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5000), st.sampled_from([NIK, NIP, "3171 0101 0190 0001"]))
def test_when_an_identifier_sits_where_the_text_is_cut_then_no_digit_of_it_leaks(
    position, number
) -> None:
    text = "kata " * 1000
    ev = evidence(text=text[:position] + number + text[position:], links=())
    packet = render_ppk_packet(case_view(findings=(finding(evidence=()),) * 3), ev)
    assert not find_niks(packet) and not find_nips(packet)
    # not even the front of a number cut off by the clip: its hidden digits never show
    assert number.replace(" ", "")[4:10] not in packet.replace(" ", "")


def test_when_unit_head_alert_is_rendered_then_evidence_quotes_never_appear() -> None:
    quoted = finding(evidence=("kutipan dari teks pesan",))
    assert "kutipan dari teks pesan" not in render_unit_head_alert(case_view(findings=(quoted,)))


def test_when_fields_are_replaced_then_every_message_still_carries_both_numbers() -> None:
    case = replace(case_view(), reference="SRG-2027-000001", alert_number="ESK-SRG-2027-000001")
    for name, text in every_message(case, evidence()).items():
        assert "SRG-2027-000001" in text and "ESK-SRG-2027-000001" in text, name
