"""The checking engine: pure, synchronous, no Telegram or database imports.

`build_engine` wires a RuleEngine from the config directory, registry entries and known
hoaxes; callers (CLI, bot, tests, benchmarks) never assemble the parts themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.checking.engine import RuleEngine
from bot.checking.errors import LoadError
from bot.checking.findings import (
    CheckResult,
    Clause,
    Finding,
    ForwardOrigin,
    HoaxMatch,
    LinkReport,
    LinkStatus,
    MessageFacts,
    OriginKind,
    Provenance,
    ProvenanceStatus,
    Severity,
    Verdict,
)
from bot.checking.hoaxes import HoaxClaim, HoaxIndex
from bot.checking.loader import RuleSet, load_rule_set
from bot.checking.normalize import Normalizer, load_normalizer
from bot.checking.sources import SourceEntry, SourceKind, SourceRegistry

RULES_FILE = "rules.yaml"
NORMALIZATION_FILE = "normalization.yaml"


def build_engine(
    config_dir: Path, sources: Iterable[SourceEntry], hoaxes: Iterable[HoaxClaim]
) -> RuleEngine:
    """Load the rules and normalization table from `config_dir` and wire an engine.

    Raises:
        LoadError: a config file is missing or broken; the message names file, entry, problem.
    """
    normalizer = load_normalizer(config_dir / NORMALIZATION_FILE)
    rules = load_rule_set(config_dir / RULES_FILE, normalizer)
    index = HoaxIndex(hoaxes, fold=lambda text: normalizer.normalize(text).folded)
    return RuleEngine(rules, SourceRegistry(sources), index, normalizer)


__all__ = [
    "CheckResult",
    "Clause",
    "Finding",
    "ForwardOrigin",
    "HoaxClaim",
    "HoaxIndex",
    "HoaxMatch",
    "LinkReport",
    "LinkStatus",
    "LoadError",
    "MessageFacts",
    "Normalizer",
    "OriginKind",
    "Provenance",
    "ProvenanceStatus",
    "RuleEngine",
    "RuleSet",
    "Severity",
    "SourceEntry",
    "SourceKind",
    "SourceRegistry",
    "Verdict",
    "build_engine",
    "load_rule_set",
]
