"""P14: disguising a banned phrase does not get it past the engine, and official news does.

The corpora come from `config/rules.yaml` and project-written templates
(tests/support/corpora.py), seeded, so a failure names a rule, a phrase and a transformation
that can be replayed. The thresholds are the promise in RELIABILITY.md; do not lower them to
make a run pass: fix the normalizer or the phrase list instead.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checking import MessageFacts, RuleEngine, build_engine
from bot.checking.seed import load_source_seed
from tests.support.corpora import (
    TEMPLATES_ONE,
    TRANSFORMS,
    Seed,
    adversarial_corpus,
    benign_messages,
    embed,
    violating_seeds,
)

CONFIG = Path(__file__).resolve().parents[3] / "config"
SEEDS_PER_RULE = 25
MIN_ITEMS = 2_000
RECALL_RATIO = 0.95
BENIGN_COUNT = 5_000
MAX_BENIGN_FP_RATE = 0.01


@pytest.fixture(scope="module")
def engine() -> RuleEngine:
    return build_engine(CONFIG, load_source_seed(CONFIG / "sources.yaml"), ())


@pytest.fixture(scope="module")
def seeds() -> list[Seed]:
    return violating_seeds(CONFIG, per_rule=SEEDS_PER_RULE)


def _hits(engine: RuleEngine, text: str) -> set[str]:
    return set(engine.check(MessageFacts(text=text)).rule_ids)


def test_when_rule_phrases_sit_in_chat_sentences_then_clean_recall_is_meaningful(
    engine: RuleEngine, seeds: list[Seed]
) -> None:
    """Guards the ratio below: it means nothing if clean text itself mostly misses."""
    missed = [s for s in seeds if s.rule not in _hits(engine, s.text)]

    recall = 1 - len(missed) / len(seeds)
    shown = "\n".join(f"  {s.rule}: {s.text!r}" for s in missed[:20])
    assert recall >= 0.9, f"clean recall {recall:.3f}; missed {len(missed)}:\n{shown}"


def test_when_phrases_are_disguised_then_recall_stays_within_95_percent_of_clean(
    engine: RuleEngine, seeds: list[Seed]
) -> None:
    clean = sum(s.rule in _hits(engine, s.text) for s in seeds) / len(seeds)
    items = list(adversarial_corpus(seeds))
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses: dict[str, dict[str, str]] = defaultdict(dict)  # transform -> rule -> one example
    for item in items:
        total[item.transform] += 1
        if item.seed.rule in _hits(engine, item.text):
            found[item.transform] += 1
        else:
            misses[item.transform].setdefault(item.seed.rule, f"{item.seed.phrases}: {item.text!r}")

    transformed = sum(found.values()) / len(items)
    report = "\n".join(
        f"  {name}: {found[name] / total[name]:.3f} e.g. {list(misses[name].items())[:4]}"
        for name in TRANSFORMS
    )
    assert len(items) >= MIN_ITEMS
    assert transformed >= RECALL_RATIO * clean, (
        f"transformed recall {transformed:.3f} < {RECALL_RATIO} x clean {clean:.3f}\n{report}"
    )


def test_when_official_news_and_announcements_are_checked_then_under_1_percent_are_flagged(
    engine: RuleEngine,
) -> None:
    messages = benign_messages(BENIGN_COUNT)
    flagged = [(m, hits) for m in messages if (hits := _hits(engine, m))]

    rate = len(flagged) / len(messages)
    by_rule = Counter(rule for _, hits in flagged for rule in hits)
    shown = "\n".join(f"  {sorted(h)}: {m[:160]!r}" for m, h in flagged[:10])
    assert len(messages) == BENIGN_COUNT
    assert rate <= MAX_BENIGN_FP_RATE, f"FP rate {rate:.4f} ({dict(by_rule)}):\n{shown}"


def _phrase_texts() -> list[Seed]:
    return violating_seeds(CONFIG, per_rule=1_000, seed=14)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_when_one_transformation_is_applied_then_no_rule_hit_is_lost(
    engine: RuleEngine, name: str
) -> None:
    seeds = _phrase_texts()

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
    )
    @given(
        seed=st.sampled_from(seeds),
        template=st.sampled_from(TEMPLATES_ONE),
        whole=st.booleans(),
        rng_seed=st.integers(0, 2**32 - 1),
    )
    def prop(seed: Seed, template: str, whole: bool, rng_seed: int) -> None:
        if len(seed.phrases) == 1:
            seed = Seed(seed.rule, template, seed.phrases)
        before = _hits(engine, seed.text)
        after = _hits(engine, embed(seed, name, random.Random(rng_seed), whole))
        assert before <= after, f"{name} lost {before - after} on {seed.text!r}"

    prop()
