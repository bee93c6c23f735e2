"""The golden corpus: labeled messages that specify what an ASN is told about each one.

The corpus (tests/data/golden_messages.yaml) is the behavioural contract of the shipped rule
set: violations the bot must catch, evasive spellings of them, and benign messages that talk
*about* sensitive topics and must not cry wolf. A failing case names the message by its id.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.checking import (
    ForwardOrigin,
    HoaxClaim,
    MessageFacts,
    OriginKind,
    RuleEngine,
    build_engine,
)
from bot.checking.schema import RULE_IDS
from bot.checking.seed import load_source_seed

ROOT = Path(__file__).resolve().parents[3]
CONFIG_DIR = ROOT / "config"
DATA_DIR = ROOT / "tests" / "data"
CORPUS = DATA_DIR / "golden_messages.yaml"

ENTRY_KEYS = {
    "id", "text", "forward", "entity_urls", "verdict", "rules", "also", "tags", "note", "xfail",
}  # fmt: skip
VERDICTS = {"ok", "unverified", "violation"}
MIN_PER_RULE = 8
MIN_OK = 20
MIN_UNVERIFIED = 20
MIN_BENIGN_SENSITIVE = 45


def _load_corpus() -> list[dict[str, Any]]:
    entries = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    assert isinstance(entries, list), "the corpus is a YAML list of entries"
    return entries


ENTRIES = _load_corpus()


def _cases() -> list[Any]:
    """One pytest case per entry; `xfail` marks a known engine gap, strictly, so a fix shows."""
    cases = []
    for entry in ENTRIES:
        gap = entry.get("xfail")
        marks = [pytest.mark.xfail(reason=gap, strict=True)] if gap else []
        cases.append(pytest.param(entry, id=entry["id"], marks=marks))
    return cases


def _load_hoaxes() -> list[HoaxClaim]:
    raw = yaml.safe_load((DATA_DIR / "hoaxes.yaml").read_text(encoding="utf-8"))
    return [
        HoaxClaim(
            id=item["id"],
            text=item["text"],
            clarification_url=item.get("clarification_url"),
            added_on=item.get("added_on"),
        )
        for item in raw
    ]


@pytest.fixture(scope="module")
def engine() -> RuleEngine:
    sources = [
        *load_source_seed(CONFIG_DIR / "sources.yaml"),
        *load_source_seed(DATA_DIR / "test_sources.yaml"),
    ]
    return build_engine(CONFIG_DIR, sources, _load_hoaxes())


def _forward(spec: dict[str, Any] | None) -> ForwardOrigin | None:
    if spec is None:
        return None
    return ForwardOrigin(
        kind=OriginKind(spec["kind"]),
        chat_id=spec.get("chat_id"),
        user_id=spec.get("user_id"),
        username=spec.get("username"),
        title=spec.get("title"),
        sender_name=spec.get("sender_name"),
    )


def _facts(entry: dict[str, Any]) -> MessageFacts:
    return MessageFacts(
        text=entry["text"],
        entity_urls=tuple(entry.get("entity_urls", ())),
        forward=_forward(entry.get("forward")),
    )


@pytest.mark.parametrize("entry", _cases())
def test_when_golden_message_is_checked_then_verdict_and_rules_match(
    engine: RuleEngine, entry: dict[str, Any]
) -> None:
    result = engine.check(_facts(entry))

    fired = set(result.rule_ids)
    must = set(entry["rules"])
    may = must | set(entry.get("also", ()))
    explain = {f.rule: (f.explanation.text, f.evidence) for f in result.findings}
    assert result.verdict.value == entry["verdict"], f"fired={sorted(fired)} {explain}"
    assert must <= fired, f"missing {sorted(must - fired)}; fired={sorted(fired)} {explain}"
    assert fired <= may, f"unexpected {sorted(fired - may)}; {explain}"


def test_when_corpus_is_loaded_then_every_entry_is_well_formed() -> None:
    ids = Counter(entry["id"] for entry in ENTRIES)
    assert [i for i, n in ids.items() if n > 1] == []
    for entry in ENTRIES:
        assert set(entry) <= ENTRY_KEYS, entry["id"]
        assert entry["verdict"] in VERDICTS, entry["id"]
        named = set(entry["rules"]) | set(entry.get("also", ()))
        assert named <= set(RULE_IDS), entry["id"]
        # A violation names at least one rule that must fire; a clean verdict names none.
        assert bool(entry["rules"]) == (entry["verdict"] == "violation"), entry["id"]


def test_when_corpus_is_counted_then_every_rule_and_benign_class_is_covered() -> None:
    per_rule = Counter(rule for entry in ENTRIES for rule in entry["rules"])
    verdicts = Counter(entry["verdict"] for entry in ENTRIES)
    benign_sensitive = [e for e in ENTRIES if "benign-sensitive" in e.get("tags", ())]

    assert {rule: per_rule[rule] for rule in RULE_IDS if per_rule[rule] < MIN_PER_RULE} == {}
    assert verdicts["ok"] >= MIN_OK
    assert verdicts["unverified"] >= MIN_UNVERIFIED
    assert len(benign_sensitive) >= MIN_BENIGN_SENSITIVE
    assert all(e["verdict"] != "violation" for e in benign_sensitive)
