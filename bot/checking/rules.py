"""Rules and their detectors: each rule turns shared `Signals` into at most one `Finding`.

A rule's score is the noisy-OR of its detectors' hits, 1 - prod(1 - s): one strong phrase
is enough, two weak ones together are, one weak one is not. Context words ("waspada",
"hoaks", "imbauan") then scale the score down, because talking about a topic is not the topic.
The kinds are an explicit map (`RULE_KINDS`), never discovered by subclass magic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.checking.findings import Clause, Explanation, Finding, LinkStatus, Severity
from bot.checking.identifiers import mask_digits, mask_identifiers
from bot.checking.signals import Signals, shorten

MAX_PATTERN_HITS = 3
MAX_EVIDENCE = 3
CONTEXT_KEY = "context"


@dataclass(frozen=True, slots=True)
class Hit:
    """One piece of evidence a detector found, with what it contributes to the rule score."""

    detector: str
    matched: str
    evidence: str
    score: float
    quote: str | None = None  # a folded phrase whose original line becomes the evidence


class Detector(Protocol):
    kind: str

    def hits(self, signals: Signals) -> list[Hit]: ...


@dataclass(frozen=True, slots=True)
class PhrasesDetector:
    kind = "phrases"
    name: str
    slot: tuple[str, int]
    score: float

    def hits(self, signals: Signals) -> list[Hit]:
        found = sorted(signals.phrase_hits.get(self.slot, ()))
        return [Hit(self.name, p, p, self.score, quote=p) for p in found]


@dataclass(frozen=True, slots=True)
class AllOfDetector:
    kind = "all_of"
    name: str
    slots: tuple[tuple[str, int, int], ...]
    score: float

    def hits(self, signals: Signals) -> list[Hit]:
        per_group = [sorted(signals.phrase_hits.get(slot, ())) for slot in self.slots]
        if not all(per_group):
            return []
        matched = " + ".join(group[0] for group in per_group)
        first = per_group[0][0]
        return [Hit(self.name, matched, first, self.score, quote=first)]


@dataclass(frozen=True, slots=True)
class PatternDetector:
    kind = "pattern"
    name: str
    view: str
    index: int
    regex: Any
    score: float

    def hits(self, signals: Signals) -> list[Hit]:
        if self.index not in signals.pattern_hits.get(self.view, frozenset()):
            return []
        text = getattr(signals.texts, self.view)
        seen: dict[str, Hit] = {}
        for match in self.regex.finditer(text):
            value = match.group(0)
            if value and value not in seen:
                seen[value] = Hit(self.name, value, shorten(value), self.score)
            if len(seen) >= MAX_PATTERN_HITS:
                break
        return list(seen.values())


@dataclass(frozen=True, slots=True)
class LinkHostDetector:
    kind = "link_host"
    name: str
    regex: Any
    score: float

    def hits(self, signals: Signals) -> list[Hit]:
        return [
            Hit(self.name, link.host, link.url, self.score)
            for link in signals.links
            if self.regex.search(link.host)
        ][:MAX_PATTERN_HITS]


@dataclass(frozen=True, slots=True)
class PersonalIdsDetector:
    kind = "personal_ids"
    name: str
    score: float
    min_ids: int
    min_phones: int

    def hits(self, signals: Signals) -> list[Hit]:
        ids = (*signals.extracted.niks, *signals.extracted.nips)
        phones = signals.extracted.phones
        hits = []
        if len(ids) >= self.min_ids:
            shown = ", ".join(mask_digits(d) for d in ids[:3])
            hits.append(Hit(self.name, f"{len(ids)} NIK/NIP", f"{len(ids)} NIK/NIP: {shown}", 1))
        if len(phones) >= self.min_phones:
            hits.append(Hit(self.name, f"{len(phones)} nomor telepon", "", 1))
        return [Hit(h.detector, h.matched, h.evidence or h.matched, self.score) for h in hits]


@dataclass(frozen=True, slots=True)
class LookalikeDetector:
    kind = "lookalike_link"
    name: str
    score: float

    def hits(self, signals: Signals) -> list[Hit]:
        return [
            Hit(self.name, link.host, f"{link.host} (meniru {link.imitates})", self.score)
            for link in signals.links
            if link.status is LinkStatus.LOOKALIKE
        ]


@dataclass(frozen=True, slots=True)
class KnownHoaxDetector:
    kind = "known_hoax"
    name: str
    score: float

    def hits(self, signals: Signals) -> list[Hit]:
        match = signals.hoax
        if match is None:
            return []
        matched = f"hoaks #{match.hoax_id} ({match.similarity:.0%})"
        return [Hit(self.name, matched, shorten(match.claim), self.score)]


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule: detectors, threshold, context and what to tell the ASN."""

    id: str
    title: str
    severity: Severity
    clauses: tuple[Clause, ...]
    threshold: float
    detectors: tuple[Detector, ...]
    context_factor: float
    use_shared_context: bool
    reason: str
    guidance: str

    def evaluate(self, signals: Signals) -> Finding | None:
        """Score the detectors' hits and return a finding when the score reaches the threshold."""
        hits = [hit for detector in self.detectors for hit in detector.hits(signals)]
        if not hits:
            return None
        score = 1.0 - math.prod(1.0 - hit.score for hit in hits)
        context_word = self._context_word(signals)
        final = score * self.context_factor if context_word else score
        if final < self.threshold:
            return None
        return Finding(
            rule=self.id,
            title=self.title,
            severity=self.severity,
            clauses=self.clauses,
            evidence=_evidence(hits, signals),
            guidance=self.guidance,
            explanation=_explain(self.id, hits, score, context_word, final),
            reason=self.reason,
        )

    def _context_word(self, signals: Signals) -> str | None:
        words = set(signals.phrase_hits.get((CONTEXT_KEY, self.id), ()))
        if self.use_shared_context:
            words |= signals.phrase_hits.get((CONTEXT_KEY, ""), set())
        return min(words) if words else None


def _evidence(hits: Sequence[Hit], signals: Signals) -> tuple[str, ...]:
    """The strongest hits' evidence, masked; lines are quoted only for rules that fired.

    Quoting folds the message line by line, which costs as much as the check itself, so it
    is never done for hits that stay below a threshold.
    """
    unique: dict[str, None] = {}
    for hit in sorted(hits, key=lambda h: -h.score):
        text = signals.quote_phrase(hit.quote) if hit.quote else hit.evidence
        if text:
            unique[mask_identifiers(text)] = None
        if len(unique) >= MAX_EVIDENCE:
            break
    return tuple(unique)


def _explain(
    rule_id: str, hits: Sequence[Hit], score: float, context_word: str | None, final: float
) -> Explanation:
    best = max(hits, key=lambda h: h.score)
    matched = tuple(dict.fromkeys(mask_identifiers(h.matched) for h in hits))
    context = f", lowered by context {context_word!r}" if context_word else ""
    text = (
        f"{rule_id}: {len(hits)} hit(s) via {best.detector} {matched[:3]}; "
        f"score {score:.2f}{context} -> {final:.2f}"
    )
    return Explanation(best.detector, matched, round(score, 4), context_word, round(final, 4), text)
