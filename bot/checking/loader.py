"""Load `config/rules.yaml` into an immutable `RuleSet`, or fail with every problem named.

An admin edits the rules file; a mistake must be refused before it reaches a running bot
and reported as `file:rule: problem`, all problems at once (presidio's recognizer
registry loader is the model). The result is immutable: a reload builds a new RuleSet.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.checking.errors import LoadError, read_yaml_mapping
from bot.checking.findings import Clause
from bot.checking.matcher import PhraseMatcher
from bot.checking.normalize import Normalizer
from bot.checking.patterns import PatternError, PatternSet, compile_admin_pattern
from bot.checking.rules import (
    CONTEXT_KEY,
    AllOfDetector,
    Detector,
    KnownHoaxDetector,
    LinkHostDetector,
    LookalikeDetector,
    PatternDetector,
    PersonalIdsDetector,
    PhrasesDetector,
    Rule,
)
from bot.checking.schema import DetectorSpec, RuleSetSpec, RuleSpec

VIEWS = ("plain", "folded", "original")


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Compiled rules plus the shared search structures every check runs once."""

    rules: tuple[Rule, ...]
    matcher: PhraseMatcher
    pattern_sets: dict[str, PatternSet]

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


class _Builder:
    """Turns validated specs into detectors, collecting phrases and patterns as it goes."""

    def __init__(self, normalizer: Normalizer, where: str) -> None:
        self.normalizer = normalizer
        self.where = where
        self.phrases: list[tuple[str, Hashable]] = []
        self.patterns: dict[str, list[str]] = {view: [] for view in VIEWS}
        self.problems: list[str] = []

    def add_phrases(self, phrases: Iterable[str], key: Hashable, rule_id: str) -> None:
        for phrase in phrases:
            folded = self.normalizer.fold_phrase(phrase)
            if not folded:
                self.problems.append(f"{self.where}:{rule_id}: phrase {phrase!r} is empty")
            self.phrases.append((folded, key))

    def compile(self, regex: str, rule_id: str) -> Any:
        try:
            return compile_admin_pattern(regex)
        except PatternError as exc:
            self.problems.append(f"{self.where}:{rule_id}: pattern {regex!r} refused: {exc}")
            return None

    def detector(self, spec: DetectorSpec, rule_id: str, n: int) -> Detector | None:
        if spec.kind == "phrases":
            self.add_phrases(spec.phrases, (rule_id, n), rule_id)
            return PhrasesDetector(spec.name, (rule_id, n), spec.score)
        if spec.kind == "all_of":
            slots = tuple((rule_id, n, g) for g in range(len(spec.groups)))
            for slot, group in zip(slots, spec.groups, strict=True):
                self.add_phrases(group, slot, rule_id)
            return AllOfDetector(spec.name, slots, spec.score)
        if spec.kind == "pattern":
            regex = self.compile(spec.regex, rule_id)
            if regex is None:
                return None
            self.patterns[spec.on].append(spec.regex)
            index = len(self.patterns[spec.on]) - 1
            return PatternDetector(spec.name, spec.on, index, regex, spec.score)
        if spec.kind == "link_host":
            regex = self.compile(spec.regex, rule_id)
            return None if regex is None else LinkHostDetector(spec.name, regex, spec.score)
        if spec.kind == "personal_ids":
            return PersonalIdsDetector(spec.name, spec.score, spec.min_ids, spec.min_phones)
        if spec.kind == "lookalike_link":
            return LookalikeDetector(spec.name, spec.score)
        return KnownHoaxDetector(spec.name, spec.score)

    def rule(self, spec: RuleSpec) -> Rule:
        detectors = [self.detector(d, spec.id, n) for n, d in enumerate(spec.detectors)]
        self.add_phrases(spec.context.lowers, (CONTEXT_KEY, spec.id), spec.id)
        return Rule(
            id=spec.id,
            title=spec.title,
            severity=spec.severity,
            clauses=tuple(Clause(c.instrument, c.point) for c in spec.clauses),
            threshold=spec.threshold,
            detectors=tuple(d for d in detectors if d is not None),
            context_factor=spec.context.factor,
            use_shared_context=spec.use_shared_context,
            reason=spec.reason.strip(),
            guidance=" ".join(spec.guidance.split()),
        )


def load_rule_set(path: Path, normalizer: Normalizer) -> RuleSet:
    """Read and compile a rules file.

    Raises:
        LoadError: the file is missing, not YAML, or breaks the schema; every problem is listed.
    """
    spec = _read_spec(path)
    builder = _Builder(normalizer, str(path))
    seen: set[str] = set()
    for rule_spec in spec.rules:
        if rule_spec.id in seen:
            builder.problems.append(f"{path}:{rule_spec.id}: duplicate rule id")
        seen.add(rule_spec.id)
    rules = tuple(builder.rule(r) for r in spec.rules)
    builder.add_phrases(spec.shared_context.lowers, (CONTEXT_KEY, ""), "shared_context")
    if builder.problems:
        raise LoadError(builder.problems)
    return RuleSet(
        rules=rules,
        matcher=PhraseMatcher(builder.phrases),
        pattern_sets={view: PatternSet(p) for view, p in builder.patterns.items()},
    )


def _read_spec(path: Path) -> RuleSetSpec:
    raw = read_yaml_mapping(path, "'version' and 'rules'")
    try:
        return RuleSetSpec.model_validate(raw)
    except ValidationError as exc:
        raise LoadError([_describe(path, raw, err) for err in exc.errors()]) from None


def _describe(path: Path, raw: dict[str, Any], err: Any) -> str:
    """Name the rule by its id rather than its list index, as an admin reads the file."""
    loc = list(err["loc"])
    where = "file"
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = raw.get("rules") or []
        entry = rules[loc[1]] if loc[1] < len(rules) else None
        rule_id = entry.get("id") if isinstance(entry, dict) else None
        where = str(rule_id or f"rules[{loc[1]}]")
        loc = loc[2:]
    field = ".".join(str(part) for part in loc if not str(part).endswith("Spec"))
    field = field.replace("[", "").strip(".")
    message = err["msg"]
    return f"{path}:{where}: {field + ': ' if field else ''}{message}"
