"""The checking pipeline: facts in, verdict, findings and reply out. Pure and synchronous.

The order is fixed and short (presidio's AnalyzerEngine.analyze is the model): normalize,
extract, judge links and origin, look up known hoaxes, search all phrases and patterns once,
let every rule score the shared signals, decide the verdict, render the reply. Collaborators
come in through the constructor, so a reload builds a new engine and swaps one reference.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import replace

from bot.checking.extract import extract
from bot.checking.findings import (
    CheckResult,
    Finding,
    LinkReport,
    LinkStatus,
    MessageFacts,
    Provenance,
    ProvenanceStatus,
    Severity,
    Verdict,
)
from bot.checking.guidance import render_reply
from bot.checking.hoaxes import HoaxIndex
from bot.checking.links import LinkAnalyzer
from bot.checking.loader import RuleSet
from bot.checking.normalize import NormalizedText, Normalizer
from bot.checking.signals import Signals
from bot.checking.sources import SourceRegistry

# Telegram caps a message at 4,096 characters; the CLI reads files. Past this, a message is
# cut before analysis so one huge paste cannot stall a worker.
MAX_TEXT_CHARS = 65_536
MAX_LINKS = 20


class RuleEngine:
    """Checks messages against one immutable rule set, registry and hoax index."""

    def __init__(
        self,
        rules: RuleSet,
        registry: SourceRegistry,
        hoaxes: HoaxIndex,
        normalizer: Normalizer,
    ) -> None:
        self.rules = rules
        self.registry = registry
        self.hoaxes = hoaxes
        self.normalizer = normalizer
        self.links = LinkAnalyzer(registry)

    def check(self, facts: MessageFacts) -> CheckResult:
        """Judge one message.

        Args:
            facts: the text and what Telegram says around it.

        Returns:
            The verdict, findings (strongest first), link and origin reports, the known-hoax
            match if any, whether a case opens on its own, and the reply in Indonesian.
        """
        signals = self._signals(facts)
        findings = self._findings(signals)
        provenance = self.registry.provenance(facts.forward)
        verdict, backing = _verdict(findings, signals.links, provenance)
        result = CheckResult(
            verdict=verdict,
            findings=findings,
            links=signals.links,
            provenance=provenance,
            hoax_match=signals.hoax if any(f.rule == "known_hoax" for f in findings) else None,
            escalate=any(f.severity is Severity.CRITICAL for f in findings),
            content_hash=hashlib.sha256(signals.texts.folded.encode()).hexdigest(),
            official_backing=backing,
        )
        return replace(result, reply=render_reply(result))

    def _signals(self, facts: MessageFacts) -> Signals:
        texts = self.normalizer.normalize(facts.text[:MAX_TEXT_CHARS])
        extracted = extract(texts.original, facts.entity_urls)
        # A link is a hidden `text_link` target when Telegram gave it but the text does not
        # show it; a plain `url` entity repeats what the reader can see.
        hidden = {url for url in facts.entity_urls if url not in texts.original}
        links = tuple(
            self.links.analyze(url, from_text_link=url in hidden)
            for url in extracted.links[:MAX_LINKS]
        )
        return Signals(
            texts=texts,
            extracted=extracted,
            links=links,
            hoax=self.hoaxes.match(texts.original, folded=texts.folded),
            phrase_hits=self._phrase_hits(texts),
            pattern_hits={
                view: frozenset(patterns.search(getattr(texts, view)))
                for view, patterns in self.rules.pattern_sets.items()
                if len(patterns)
            },
            fold=self.normalizer.fold_phrase,
        )

    def _phrase_hits(self, texts: NormalizedText) -> dict[Hashable, set[str]]:
        """Phrases found in the folded text, and in its alternative leet reading if any."""
        hits = self.rules.matcher.find(texts.folded)
        if texts.folded_alt:
            for key, phrases in self.rules.matcher.find(texts.folded_alt).items():
                hits.setdefault(key, set()).update(phrases)
        return hits

    def _findings(self, signals: Signals) -> tuple[Finding, ...]:
        found = (rule.evaluate(signals) for rule in self.rules.rules)
        findings = [f for f in found if f is not None]
        findings.sort(key=lambda f: (-f.severity.rank, -f.explanation.final_score))
        return tuple(findings)


def _verdict(
    findings: Sequence[Finding], links: Sequence[LinkReport], provenance: Provenance
) -> tuple[Verdict, tuple[str, ...]]:
    """Violation beats everything; otherwise an official origin or link makes a message ok.

    Official sources never launder a violation. A message whose official link sits beside a
    lookalike, a shortened link or a hidden `text_link` target that is not official is not
    backed: the reader cannot tell which one they would open.
    """
    backing: list[str] = []
    if provenance.status is ProvenanceStatus.OFFICIAL and provenance.source_name:
        backing.append(provenance.source_name)
    doubtful = any(_doubtful(link) for link in links)
    if not doubtful:
        backing += [
            link.source_name
            for link in links
            if link.status is LinkStatus.OFFICIAL and link.source_name
        ]
    backing = list(dict.fromkeys(backing))
    if findings:
        return Verdict.VIOLATION, tuple(backing)
    if backing:
        return Verdict.OK, tuple(backing)
    return Verdict.UNVERIFIED, ()


def _doubtful(link: LinkReport) -> bool:
    if link.status in (LinkStatus.LOOKALIKE, LinkStatus.SHORTENED):
        return True
    return link.from_text_link and link.status is not LinkStatus.OFFICIAL
