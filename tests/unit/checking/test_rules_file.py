"""The shipped rule set (config/rules.yaml) against the contract in DESIGN.md.

An admin edits this file by hand, so these tests guard what an edit must never lose: the 15
rule ids, their severities and the circular points they cite, guidance an ASN can read, and
the scoring habits that keep ambiguous words from firing on their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.checking import RuleEngine, build_engine, load_rule_set
from bot.checking.findings import MessageFacts
from bot.checking.normalize import Normalizer, load_normalizer
from bot.checking.schema import RULE_IDS, PhrasesSpec, RuleSetSpec, RuleSpec
from bot.checking.seed import load_source_seed

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
RULES_FILE = CONFIG_DIR / "rules.yaml"
MENPAN = "SE MenPANRB 137/2018"
SE79 = "SE Sekda DKI 79/SE/2019"

# DESIGN.md "Rules": id -> (default severity, MenPANRB points, SE Sekda 79 points).
DESIGN_TABLE: dict[str, tuple[str, set[str], set[str]]] = {
    "hoax": ("medium", {"6", "7"}, {"2.g", "2.h"}),
    "known_hoax": ("high", {"7"}, {"2.h"}),
    "provocation": ("high", {"1", "5", "7"}, {"2.a", "2.e", "2.h"}),
    "radicalism_terrorism": ("critical", {"1", "7"}, {"2.a", "2.h"}),
    "pornography": ("high", {"7", "8"}, {"2.h"}),
    "sara_hate": ("high", {"8"}, {"2.b"}),
    "insult_defamation": ("medium", {"8"}, {"2.b"}),
    "gambling": ("medium", {"8"}, {"2.b"}),
    "extortion_threat": ("high", {"8"}, {"2.b"}),
    "confidential": ("critical", {"3"}, {"2.c", "3.b"}),
    "unofficial_info": ("high", {"3"}, {"2.f"}),
    "personal_data": ("high", {"3"}, {"2.c"}),
    "partisanship": ("high", {"1"}, {"2.a"}),
    "misuse_internal_info": ("critical", {"4"}, {"2.d"}),
    "lookalike_domain": ("high", {"6"}, {"2.g"}),
}

# Words common in Indonesian prose; a reason or guidance with none of them is not Indonesian.
INDONESIAN_WORDS = {"ini", "yang", "dan", "atau", "tidak", "pesan", "mohon", "untuk", "ke"}


@pytest.fixture(scope="module")
def spec() -> RuleSetSpec:
    return RuleSetSpec.model_validate(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def rules(spec: RuleSetSpec) -> dict[str, RuleSpec]:
    return {rule.id: rule for rule in spec.rules}


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return load_normalizer(CONFIG_DIR / "normalization.yaml")


@pytest.fixture(scope="module")
def engine() -> RuleEngine:
    return build_engine(CONFIG_DIR, load_source_seed(CONFIG_DIR / "sources.yaml"), [])


def test_when_shipped_rules_are_loaded_then_the_loader_accepts_them(
    normalizer: Normalizer,
) -> None:
    loaded = load_rule_set(RULES_FILE, normalizer)

    assert [rule.id for rule in loaded.rules] == list(RULE_IDS)


def test_when_rule_ids_are_counted_then_each_design_id_occurs_exactly_once(
    spec: RuleSetSpec,
) -> None:
    ids = [rule.id for rule in spec.rules]

    assert sorted(ids) == sorted(RULE_IDS)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_when_rule_is_read_then_severity_and_clauses_follow_design(
    rules: dict[str, RuleSpec], rule_id: str
) -> None:
    severity, menpan, se79 = DESIGN_TABLE[rule_id]
    rule = rules[rule_id]
    cited = {(c.instrument, c.point) for c in rule.clauses}

    assert rule.severity.value == severity
    assert cited == {(MENPAN, p) for p in menpan} | {(SE79, p) for p in se79}
    assert len(rule.clauses) == len(cited), "a clause is listed twice"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_when_rule_is_shown_to_an_asn_then_reason_and_guidance_are_polite_indonesian(
    rules: dict[str, RuleSpec], rule_id: str
) -> None:
    rule = rules[rule_id]
    reason_words = set(rule.reason.lower().replace(",", " ").split())
    guidance_words = set(rule.guidance.lower().replace(",", " ").replace(";", " ").split())

    assert rule.reason.startswith("Pesan ini") or rule.reason.startswith("Isi pesan ini")
    assert "\n" not in rule.reason, "the reason is one line"
    assert reason_words & INDONESIAN_WORDS
    assert guidance_words & INDONESIAN_WORDS
    assert "Bapak/Ibu" in rule.guidance
    # Never accusatory: the asker did the right thing by asking (SE MenPANRB 137/2018 point 6).
    assert not {"anda", "kamu", "melanggar", "bersalah", "pelaku"} & guidance_words
    assert "!" not in rule.guidance


@pytest.mark.parametrize("rule_id", ["hoax", "known_hoax", "unofficial_info", "lookalike_domain"])
def test_when_information_is_doubtful_then_guidance_points_to_jala_hoaks(
    rules: dict[str, RuleSpec], rule_id: str
) -> None:
    assert "jalahoaks.jakarta.go.id" in rules[rule_id].guidance


@pytest.mark.parametrize(
    ("rule_id", "kind"), [("known_hoax", "known_hoax"), ("lookalike_domain", "lookalike_link")]
)
def test_when_rule_is_engine_backed_then_it_has_exactly_its_named_detector(
    rules: dict[str, RuleSpec], rule_id: str, kind: str
) -> None:
    detectors = rules[rule_id].detectors

    assert [(d.kind, d.score) for d in detectors] == [(kind, 0.9)]


@pytest.mark.parametrize("rule_id", ["confidential", "personal_data", "lookalike_domain"])
def test_when_rule_marks_what_context_cannot_excuse_then_no_word_lowers_it(
    rules: dict[str, RuleSpec], rule_id: str
) -> None:
    # A classified memo stays classified beside "imbauan" or an official link.
    rule = rules[rule_id]

    assert rule.use_shared_context is False
    assert rule.context.lowers == []


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_when_phrases_are_folded_then_no_phrase_counts_twice_or_cancels_its_own_rule(
    spec: RuleSetSpec, rules: dict[str, RuleSpec], normalizer: Normalizer, rule_id: str
) -> None:
    rule = rules[rule_id]
    fold = normalizer.fold_phrase
    phrases = [fold(p) for d in rule.detectors if isinstance(d, PhrasesSpec) for p in d.phrases]
    lowers = {fold(w) for w in rule.context.lowers}
    if rule.use_shared_context:
        lowers |= {fold(w) for w in spec.shared_context.lowers}

    assert all(phrases), "a phrase folds to nothing"
    assert sorted({p for p in phrases if phrases.count(p) > 1}) == []
    assert sorted(lowers & set(phrases)) == []


# Ambiguous words that must never fire on their own: each is ordinary in office chat.
WEAK_ALONE = [
    "Depo",  # gambling "deposit", but also "depo" (depot) in Depo MRT Lebak Bulus
    "wd",  # gambling "withdraw", also an abbreviation in chat
    "JP",  # gambling jackpot, but also "jam pelajaran" in training announcements
    "bandar",  # bandar togel, but also Bandar Udara
    "bom",  # bomb, but also slang and "bom waktu"
    "rahasia",  # classified, but also "kejutan rahasia"
    "draft",  # unofficial draft, but also any draft letter to review
    "pilih",  # vote, but also "pilih menu"
    "gacor",  # gambling, but also a songbird that sings well
    "slot",  # gambling, but also a time slot
    "khilafah",  # propaganda, but also history lessons
    "kafir",  # hate, but also theology
    "turun ke jalan",  # protest, but also officials inspecting the field
    "babi",  # insult, but also livestock
    "terbatas",  # classification, but also "tempat terbatas"
    "coblos",  # campaigning, but also the act of voting
    "fee",  # project fee, but also "fee narasumber"
]


@pytest.mark.parametrize("word", WEAK_ALONE)
def test_when_an_ambiguous_word_stands_alone_then_no_rule_fires(
    engine: RuleEngine, word: str
) -> None:
    result = engine.check(MessageFacts(text=f"Mohon info soal {word} untuk rapat besok, Pak."))

    assert result.rule_ids == ()
