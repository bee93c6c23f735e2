"""The engine's pipeline on a tiny rule set: scoring, context, verdicts, evidence, explanation.

The rule set in tests/data/rules/minimal.yaml has one detector of every kind, so each case
here pins one behaviour of the engine independent of the curated word lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.checking import (
    ForwardOrigin,
    HoaxClaim,
    HoaxIndex,
    MessageFacts,
    OriginKind,
    RuleEngine,
    Severity,
    SourceEntry,
    SourceKind,
    SourceRegistry,
    Verdict,
    load_rule_set,
)
from bot.checking.normalize import Normalizer

RULES = Path(__file__).parents[2] / "data" / "rules" / "minimal.yaml"
CHANNEL = -1001000000001
CLAIM = (
    "Mulai bulan depan gaji ASN Pemprov DKI Jakarta dipotong 10 persen untuk membiayai "
    "pembangunan ibu kota baru, surat edarannya sudah ditandatangani Gubernur."
)


@pytest.fixture(scope="module")
def engine() -> RuleEngine:
    normalizer = Normalizer({"sdh": "sudah"})
    registry = SourceRegistry(
        [
            SourceEntry(SourceKind.DOMAIN, "jakarta.go.id", "Portal Pemprov DKI"),
            SourceEntry(SourceKind.TELEGRAM_CHANNEL, str(CHANNEL), "Diskominfotik (uji)"),
        ]
    )
    hoaxes = HoaxIndex(
        [HoaxClaim(1, CLAIM, "https://jalahoaks.jakarta.go.id/x", "2025-02-03")],
        fold=lambda text: normalizer.normalize(text).folded,
    )
    return RuleEngine(load_rule_set(RULES, normalizer), registry, hoaxes, normalizer)


def check(engine: RuleEngine, text: str, **facts) -> tuple[Verdict, list[str]]:
    result = engine.check(MessageFacts(text=text, **facts))
    return result.verdict, list(result.rule_ids)


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        # one strong phrase (0.7) reaches the 0.5 threshold on its own
        ("Ayo main slot gacor malam ini", ["gambling"]),
        # one weak phrase (0.3) does not: "depo" is also a deposit at the bank
        ("Jangan lupa depo tabungan ke bank DKI", []),
        # two weak phrases together do: 1 - 0.7 * 0.7 = 0.51
        ("depo 10rb wd berapapun dibayar", ["gambling"]),
        # an RE2 pattern on the plain view
        ("daftar di ZEUS88 sekarang", ["gambling"]),
        # a link whose host matches a link_host pattern
        ("cek https://rajaslot.xyz/daftar", ["gambling"]),
        # all_of needs every group
        ("tolong transfer 5 juta ke rekening ini", []),
        ("transfer 5 juta atau foto ini saya sebarkan", ["extortion_threat"]),
        # a phrase spelled with spaces, leet and repeated letters still matches
        ("s l o t  g4c0oo0r", ["gambling"]),
    ],
)
def test_when_detectors_hit_then_scores_combine_by_noisy_or(engine, text, rules) -> None:
    assert check(engine, text)[1] == rules


def test_when_a_warning_word_is_present_then_the_topic_is_not_the_violation(engine) -> None:
    verdict, rules = check(engine, "WASPADA modus slot gacor yang menyasar ASN!")
    assert rules == []
    assert verdict is Verdict.UNVERIFIED


def test_when_a_rule_opts_out_of_shared_context_then_warning_words_do_not_launder(engine) -> None:
    assert check(engine, "Imbauan: lampiran SANGAT RAHASIA")[1] == ["confidential"]


def test_when_an_official_link_sits_beside_a_classified_memo_then_it_is_still_a_violation(
    engine,
) -> None:
    text = "SANGAT RAHASIA\nNota dinas, lihat https://bkd.jakarta.go.id/nota"
    result = engine.check(MessageFacts(text=text))
    assert result.verdict is Verdict.VIOLATION
    assert result.rule_ids == ("confidential",)
    assert result.escalate is True  # critical: a case opens on its own
    assert result.links[0].status.value == "official"


@pytest.mark.parametrize(
    ("text", "facts", "verdict"),
    [
        # a registered channel id makes a clean message shareable
        ("Jadwal CFD minggu ini", {"forward": ForwardOrigin(OriginKind.CHANNEL, CHANNEL)}, "ok"),
        # the same title and username under another id is not the channel
        (
            "Jadwal CFD minggu ini",
            {"forward": ForwardOrigin(OriginKind.CHANNEL, -100999, username="dki", title="DKI")},
            "unverified",
        ),
        # a hidden sender named exactly like the official channel cannot be verified
        (
            "Jadwal CFD minggu ini",
            {"forward": ForwardOrigin(OriginKind.HIDDEN_USER, sender_name="Diskominfotik (uji)")},
            "unverified",
        ),
        # an official link backs the message
        ("Info lengkap: jakarta.go.id/cfd", {}, "ok"),
        # ... unless a shortened link sits beside it: which one would the reader open?
        ("Info lengkap: jakarta.go.id/cfd atau bit.ly/cfd-dki", {}, "unverified"),
        # a text_link entity's target counts, not the words shown
        ("Klik di sini", {"entity_urls": ("https://jakarta.go.id/cfd",)}, "ok"),
        # a typed copy with no link has no source
        ("Jadwal CFD minggu ini", {}, "unverified"),
    ],
)
def test_when_origin_and_links_vary_then_the_verdict_follows_the_registry(
    engine, text, facts, verdict
) -> None:
    assert check(engine, text, **facts)[0].value == verdict


def test_when_a_link_imitates_an_official_domain_then_the_finding_names_it(engine) -> None:
    result = engine.check(MessageFacts(text="Daftar bansos: https://jakarta-go-id.com/daftar"))
    assert result.rule_ids == ("lookalike_domain",)
    assert "jakarta.go.id" in result.findings[0].evidence[0]
    assert "MENIRU situs resmi jakarta.go.id" in result.reply


def test_when_a_known_hoax_is_reworded_then_it_matches_with_its_clarification(engine) -> None:
    text = (
        "Info dari grup sebelah: mulai bulan depan gaji ASN Pemprov DKI dipotong 10 persen "
        "untuk membiayai pembangunan ibu kota baru, surat edarannya sdh ditandatangani Gubernur!!"
    )
    result = engine.check(MessageFacts(text=text))
    assert result.rule_ids == ("known_hoax",)
    assert result.hoax_match is not None and result.hoax_match.hoax_id == 1
    assert "https://jalahoaks.jakarta.go.id/x" in result.reply
    assert "2025-02-03" in result.reply


def test_when_a_list_of_niks_is_shared_then_evidence_and_reply_are_masked(engine) -> None:
    text = "Data warga:\n1. Siti 3171014101900001\n2. Budi 3174052506850002"
    result = engine.check(MessageFacts(text=text))
    assert result.rule_ids == ("personal_data",)
    assert "3171014101900001" not in result.reply
    assert "3171************" in result.reply
    assert all("3174052506850002" not in e for e in result.findings[0].evidence)


def test_when_one_nik_is_shared_then_it_is_not_a_list(engine) -> None:
    assert check(engine, "NIK saya 3171014101900001, mohon dibantu")[1] == []


def test_when_several_rules_fire_then_the_most_severe_comes_first(engine) -> None:
    text = "SANGAT RAHASIA. Transfer 5 juta atau dokumen ini saya viralkan. Main slot gacor!"
    assert check(engine, text)[1] == ["confidential", "extortion_threat", "gambling"]


def test_when_a_finding_is_made_then_it_explains_itself(engine) -> None:
    result = engine.check(MessageFacts(text="Halo bos\nslot gacor maxwin hari ini\nsalam"))
    finding = result.findings[0]
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence == ("slot gacor maxwin hari ini",)  # the line as written
    explanation = finding.explanation
    assert explanation.detector == "strong"
    assert set(explanation.matched) == {"slot gacor", "maxwin"}
    assert explanation.score == pytest.approx(1 - 0.3 * 0.3)
    assert explanation.context_word is None
    assert "gambling" in explanation.text


def test_when_a_context_word_lowers_a_score_then_the_explanation_says_which(engine) -> None:
    result = engine.check(MessageFacts(text="waspada slot gacor maxwin zeus88 depo wd"))
    assert result.findings == ()  # 0.99 * 0.3 < 0.5


def test_when_the_same_content_is_reformatted_then_the_content_hash_is_the_same(engine) -> None:
    first = engine.check(MessageFacts(text="Slot GACOR hari ini!!!"))
    second = engine.check(MessageFacts(text="slot   gacor hari ini"))
    assert first.content_hash == second.content_hash


def test_when_a_hidden_link_target_is_not_official_then_visible_official_text_does_not_back(
    engine,
) -> None:
    facts = {"entity_urls": ("https://unduhan-berkas.xyz/berkas",)}
    verdict, _ = check(engine, "Unduh di jakarta.go.id/berkas", **facts)
    assert verdict is Verdict.UNVERIFIED


def test_when_a_url_entity_repeats_the_visible_link_then_it_is_not_a_hidden_target(engine) -> None:
    url = "https://bkd.jakarta.go.id/p"
    result = engine.check(MessageFacts(text=f"Pengumuman: {url}", entity_urls=(url,)))
    assert result.verdict is Verdict.OK
    assert result.links[0].from_text_link is False
