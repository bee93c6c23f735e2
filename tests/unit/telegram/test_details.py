"""The "Detail" view and message splitting: full content, masked, always within Telegram limits."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checking import (
    CheckResult,
    Clause,
    Finding,
    ForwardOrigin,
    HoaxMatch,
    LinkReport,
    LinkStatus,
    OriginKind,
    Provenance,
    ProvenanceStatus,
    Severity,
    Verdict,
)
from bot.checking.findings import Explanation
from bot.checking.identifiers import find_niks, find_nips
from bot.telegram.details import (
    TELEGRAM_TEXT_LIMIT,
    explain,
    render_details,
    split_for_telegram,
    utf16_len,
)

NIK = "3171010101900001"  # structurally valid DKI NIK (made up)
NIP = "198001012005011001"  # structurally valid NIP (made up)
HASH = "abcdefabcdef" + "0" * 52
SE_137 = Clause("SE MenPANRB 137/2018", "8")
SE_79 = Clause("SE Sekda DKI 79/SE/2019", "2.b")
EMOJI = "😀🇮🇩👨‍👩‍👧👍🏽"


def explanation(**fields: object) -> Explanation:
    base: dict[str, object] = {
        "detector": "phrases",
        "matched": ("slot gacor", "depo"),
        "score": 0.82,
        "context_word": None,
        "final_score": 0.82,
        "text": "matched 2 phrases",
    }
    return Explanation(**{**base, **fields})  # type: ignore[arg-type]


def finding(**fields: object) -> Finding:
    base: dict[str, object] = {
        "rule": "gambling",
        "title": "Promosi judi online",
        "severity": Severity.MEDIUM,
        "clauses": (SE_137, SE_79),
        "evidence": ("slot gacor hari ini",),
        "guidance": "Jangan teruskan.",
        "explanation": explanation(),
        "reason": "Pesan ini mempromosikan judi online.",
    }
    return Finding(**{**base, **fields})  # type: ignore[arg-type]


def result(**fields: object) -> CheckResult:
    base: dict[str, object] = {
        "verdict": Verdict.VIOLATION,
        "findings": (finding(),),
        "links": (),
        "provenance": Provenance(ProvenanceStatus.UNVERIFIABLE, None),
        "hoax_match": None,
        "escalate": False,
        "content_hash": HASH,
    }
    return CheckResult(**{**base, **fields})  # type: ignore[arg-type]


def test_when_a_violation_is_detailed_then_every_part_of_the_finding_is_shown() -> None:
    text = render_details(result(), "CHK-42")
    lines = text.splitlines()
    assert lines[:2] == ["🔎 DETAIL PEMERIKSAAN", "Hasil: 🔴 JANGAN DISEBARKAN"]
    assert "1. [gambling] Promosi judi online" in lines
    assert "   Tingkat: sedang" in lines
    assert "   Dasar: SE MenPANRB 137/2018 angka 8; SE Sekda DKI 79/SE/2019 angka 2.b" in lines
    assert "   Bukti: “slot gacor hari ini”" in lines
    assert "   Penjelasan: kata kunci: slot gacor, depo; skor 0,82; pendeteksi: phrases" in lines
    assert lines[-2:] == ["Sidik isi: abcdefabcdef", "Ref: CHK-42"]


SEVERITIES = [
    (Severity.LOW, "rendah"),
    (Severity.MEDIUM, "sedang"),
    (Severity.HIGH, "tinggi"),
    (Severity.CRITICAL, "kritis"),
]


@pytest.mark.parametrize(("severity", "label"), SEVERITIES)
def test_when_a_finding_has_a_severity_then_it_is_named_in_indonesian(
    severity: Severity, label: str
) -> None:
    text = render_details(result(findings=(finding(severity=severity),)), "R")
    assert f"   Tingkat: {label}" in text.splitlines()


EXPLANATIONS = [
    # the context lowered the score: say which word and the score after it
    (
        explanation(context_word="waspada", final_score=0.41),
        "kata kunci: slot gacor, depo; skor 0,82; diturunkan oleh konteks “waspada” "
        "(skor akhir 0,41); pendeteksi: phrases",
    ),
    # a named pattern with no terms, adjusted without a context word
    (
        explanation(matched=(), score=0.5, final_score=0.7, detector="nik_list"),
        "skor 0,50; skor akhir 0,70; pendeteksi: nik_list",
    ),
    # very many terms: the first twelve and a count
    (
        explanation(matched=tuple(f"t{i}" for i in range(15)), detector=""),
        "kata kunci: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, … (+3); skor 0,82",
    ),
]


@pytest.mark.parametrize(("why", "expected"), EXPLANATIONS)
def test_when_a_finding_is_explained_then_terms_score_and_context_read_plainly(
    why: Explanation, expected: str
) -> None:
    assert explain(why) == expected


def test_when_links_have_every_status_then_each_is_listed_with_its_status() -> None:
    links = (
        LinkReport("https://jakarta.go.id/a", "jakarta.go.id", LinkStatus.OFFICIAL, "Portal DKI"),
        LinkReport("https://jakarta.go.id.evil.xyz", "evil.xyz", LinkStatus.LOOKALIKE,
                   imitates="jakarta.go.id", from_text_link=True),
        LinkReport("https://bit.ly/x", "bit.ly", LinkStatus.SHORTENED),
        LinkReport("https://blog.example/p", "blog.example", LinkStatus.UNKNOWN),
    )  # fmt: skip
    text = render_details(result(links=links), "R")
    expected = [
        "Tautan (4):",
        "• https://jakarta.go.id/a",
        "   resmi (Portal DKI)",
        "• https://jakarta.go.id.evil.xyz",
        "   MENIRU situs resmi jakarta.go.id; jangan dibuka",
        "   (tersembunyi di balik tulisan tautan)",
        "• https://bit.ly/x",
        "   tautan pendek; tujuannya tidak dapat diverifikasi",
        "• https://blog.example/p",
        "   bukan sumber resmi terdaftar",
    ]
    lines = text.splitlines()
    start = lines.index("Tautan (4):")
    assert lines[start : start + len(expected)] == expected


PROVENANCES = [
    # a copy: nothing to identify
    (Provenance(ProvenanceStatus.UNVERIFIABLE, None), ["tidak dapat dipastikan"], ["ID"]),
    # P13: a hidden sender named like the official channel is still "cannot verify"
    (
        Provenance(
            ProvenanceStatus.UNVERIFIABLE,
            ForwardOrigin(OriginKind.HIDDEN_USER, sender_name="Diskominfotik DKI"),
        ),
        ["pengirim tersembunyi", "Nama: Diskominfotik DKI", "tidak dapat dipastikan"],
        ["ID", "sumber resmi terdaftar"],
    ),
    # an official channel: the id that made it official is shown
    (
        Provenance(
            ProvenanceStatus.OFFICIAL,
            ForwardOrigin(OriginKind.CHANNEL, chat_id=-1001000000001, username="dki", title="DKI"),
            source_name="Diskominfotik DKI",
        ),
        ["kanal", "@dki", "ID kanal/grup: -1001000000001", "resmi terdaftar (Diskominfotik DKI)"],
        [],
    ),
    # a person: the account id, and not a registered source
    (
        Provenance(
            ProvenanceStatus.UNREGISTERED,
            ForwardOrigin(OriginKind.USER, user_id=99, sender_name="Budi"),
        ),
        ["akun perorangan", "ID akun: 99", "tidak terdaftar sebagai sumber resmi"],
        [],
    ),
]


@pytest.mark.parametrize(("provenance", "present", "absent"), PROVENANCES)
def test_when_the_origin_is_detailed_then_ids_and_status_are_shown_truthfully(
    provenance: Provenance, present: list[str], absent: list[str]
) -> None:
    text = render_details(result(provenance=provenance), "R")
    origin = text.split("Asal pesan:")[1].split("Temuan")[0]
    for part in present:
        assert part in origin
    for part in absent:
        assert part not in origin


def test_when_a_hoax_matched_and_sources_back_it_then_both_are_shown() -> None:
    match = HoaxMatch(12, "Bansos cair lewat tautan ini", "https://jalahoaks.example/12", 0.87,
                      "2024-05-01")  # fmt: skip
    text = render_details(result(hoax_match=match, official_backing=("Portal DKI",)), "R")
    assert "Mirip hoaks tercatat #12 (87%): Bansos cair lewat tautan ini" in text
    assert "   Klarifikasi: https://jalahoaks.example/12" in text
    assert "   Dicatat sejak: 2024-05-01" in text
    assert "Sumber resmi pendukung: Portal DKI" in text


def test_when_identifiers_appear_anywhere_then_they_are_masked() -> None:
    dirty = finding(
        title=f"Daftar {NIK}",
        evidence=(f"NIK {NIK}", f"NIP {NIP}", "x" * 290 + NIK),  # the last one crosses the clip
        explanation=explanation(matched=(NIK,)),
    )
    link = LinkReport(f"https://data.example/?nik={NIK}", "data.example", LinkStatus.UNKNOWN)
    origin = ForwardOrigin(OriginKind.HIDDEN_USER, sender_name=f"Pak {NIK}")
    text = render_details(
        result(
            findings=(dirty,),
            links=(link,),
            provenance=Provenance(ProvenanceStatus.UNVERIFIABLE, origin),
        ),
        "R",
    )
    assert find_niks(text) == [] and find_nips(text) == []
    assert re.search(r"\d{5,}", text) is None  # not even a piece of one survives a cut
    assert "3171************" in text


def huge_result() -> CheckResult:
    long = ("Data rahasia " + EMOJI) * 400
    findings = tuple(
        finding(
            rule=f"rule_{i}",
            title=long,
            reason=long,
            evidence=tuple(long for _ in range(20)),
            clauses=tuple(Clause("SE " + long, str(j)) for j in range(30)),
            explanation=explanation(matched=tuple(long for _ in range(40)), context_word=long),
        )
        for i in range(200)
    )
    links = tuple(
        LinkReport("https://" + long, long, LinkStatus.LOOKALIKE, imitates=long) for _ in range(300)
    )
    return result(findings=findings, links=links)


def test_when_the_engine_found_a_great_deal_then_the_view_still_fits_and_says_what_is_cut() -> None:
    text = render_details(huge_result(), "CHK-" + "9" * 30)
    assert utf16_len(text) <= TELEGRAM_TEXT_LIMIT
    assert "1. [rule_0]" in text  # the first finding is shown, clipped
    assert "… tidak ditampilkan agar muat dalam satu pesan: 199 temuan, 300 tautan." in text
    assert text.splitlines()[-2].startswith("Sidik isi: abcdefabcdef")
    assert text.splitlines()[-1].startswith("Ref: CHK-")


def test_when_some_findings_do_not_fit_then_the_view_counts_exactly_what_is_missing() -> None:
    findings = tuple(
        finding(rule=f"r{i}", evidence=tuple("bukti " * 40 for _ in range(5))) for i in range(10)
    )
    match = HoaxMatch(3, "klaim", None, 0.9)
    text = render_details(result(findings=findings, hoax_match=match), "R")
    shown = len(re.findall(r"^\d+\. \[r\d\]", text, flags=re.MULTILINE))
    assert 0 < shown < 10
    expected = f"{10 - shown} temuan, 1 keterangan lain."
    assert text.splitlines()[-4] == f"… tidak ditampilkan agar muat dalam satu pesan: {expected}"


def test_when_a_field_is_clipped_then_no_emoji_sequence_is_left_half_joined() -> None:
    family = "👨‍👩‍👧"
    text = render_details(result(findings=(finding(title=family * 200),)), "R")
    title = next(line for line in text.splitlines() if line.startswith("1. [gambling]"))
    assert title.endswith(family + "…")


TEXT = st.text(alphabet=st.sampled_from(f"ab 9\n\u200d{EMOJI}"), max_size=600)
FINDINGS = st.builds(
    finding,
    rule=TEXT,
    title=TEXT,
    reason=TEXT,
    evidence=st.lists(st.builds(lambda a, b: a + NIK + b, TEXT, TEXT), max_size=8).map(tuple),
    explanation=st.builds(
        explanation,
        matched=st.lists(TEXT, max_size=20).map(tuple),
        score=st.floats(0, 1),
        context_word=st.none() | TEXT,
        final_score=st.floats(0, 1),
    ),
)
LINKS = st.builds(LinkReport, TEXT, TEXT, st.sampled_from(LinkStatus), TEXT, TEXT, st.booleans())


@settings(max_examples=80, deadline=None)
@given(
    findings=st.lists(FINDINGS, max_size=12).map(tuple),
    links=st.lists(LINKS, max_size=12).map(tuple),
    verdict=st.sampled_from(Verdict),
    reference=TEXT,
)
def test_when_results_are_arbitrary_then_the_view_fits_one_message_and_masks_niks(
    findings: tuple[Finding, ...], links: tuple[LinkReport, ...], verdict: Verdict, reference: str
) -> None:
    text = render_details(result(findings=findings, links=links, verdict=verdict), reference)
    assert utf16_len(text) <= TELEGRAM_TEXT_LIMIT
    assert find_niks(text) == []
    assert "Sidik isi: abcdefabcdef" in text


UTF16 = [
    ("", 0),  # empty
    ("abc", 3),  # ASCII
    ("é", 1),  # BMP
    ("😀", 2),  # astral: a surrogate pair
    ("🇮🇩", 4),  # a flag: two astral code points
    ("👨‍👩‍👧", 8),  # ZWJ family: three astral and two BMP
]


@pytest.mark.parametrize(("text", "units"), UTF16)
def test_when_length_is_measured_then_it_is_counted_as_telegram_does(text: str, units: int) -> None:
    assert utf16_len(text) == units


def test_when_a_text_fits_then_it_is_one_part_and_blank_text_is_no_part() -> None:
    assert split_for_telegram("Halo 😀") == ["Halo 😀"]
    assert split_for_telegram(" \n\n ") == []


def test_when_a_text_is_long_then_it_is_split_between_paragraphs() -> None:
    paragraphs = ["a" * 40, "b" * 40, "c" * 40]
    assert split_for_telegram("\n\n".join(paragraphs), limit=100) == [
        "\n\n".join(paragraphs[:2]),
        paragraphs[2],
    ]


def test_when_a_paragraph_is_too_long_then_it_is_split_between_lines_then_words() -> None:
    text = "satu dua tiga\n" + " ".join(["kata"] * 30)
    parts = split_for_telegram(text, limit=40)
    assert parts[0] == "satu dua tiga\nkata kata kata kata kata"
    assert all(re.fullmatch(r"(kata ?)+", part) for part in parts[1:])


def test_when_a_surrogate_pair_sits_on_the_limit_then_it_moves_whole_to_the_next_part() -> None:
    paired = "a\ud83d\ude00b"  # a pair kept as two code points, as "surrogatepass" leaves it
    assert split_for_telegram(paired, limit=2) == ["a", "\ud83d\ude00", "b"]
    assert split_for_telegram("a😀b", limit=2) == ["a", "😀", "b"]


def test_when_emoji_sequences_would_be_cut_then_the_cut_moves_before_the_sequence() -> None:
    family = "👨‍👩‍👧"
    parts = split_for_telegram("x" + family * 6, limit=20)
    assert "".join(parts) == "x" + family * 6
    assert parts[0] == "x" + family * 2 and all(part.startswith("👨") for part in parts[1:])


def non_space(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(f"ab \n\t.é{EMOJI}\u200d\ufe0f"), max_size=400)
    | st.text(max_size=300),
    limit=st.integers(2, 120),
)
def test_when_any_text_is_split_then_parts_fit_and_nothing_is_lost(text: str, limit: int) -> None:
    parts = split_for_telegram(text, limit)
    assert all(0 < utf16_len(part) <= limit for part in parts)
    assert all(part.strip() for part in parts)
    assert non_space("".join(parts)) == non_space(text)
    for part in parts:
        part.encode("utf-16-le")  # strict: raises on half a surrogate pair


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("a \ud83d\ude00\u200d\ufe0f😀"), max_size=200),
    limit=st.integers(2, 12),
)
def test_when_a_text_holds_pairs_as_two_code_points_then_splitting_still_ends_and_fits(
    text: str, limit: int
) -> None:
    """JSON can hand over a lone or split surrogate; splitting must still terminate and fit."""
    parts = split_for_telegram(text, limit)
    assert all(0 < utf16_len(part) <= limit for part in parts)
    assert non_space("".join(parts)) == non_space(text)
    paired = "\ud83d\ude00"
    assert sum(part.count(paired) for part in parts) == text.count(paired)  # none split


def test_when_the_limit_cannot_hold_an_emoji_then_splitting_refuses() -> None:
    with pytest.raises(ValueError):
        split_for_telegram("😀", limit=1)
