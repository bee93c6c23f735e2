"""What one message offers the detectors, computed once per check and shared by every rule.

Folding, phrase search and pattern search are the expensive steps; doing them once for the
whole rule set instead of once per rule is what keeps a check in the tens of microseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from bot.checking.extract import Extracted
from bot.checking.findings import HoaxMatch, LinkReport
from bot.checking.normalize import NormalizedText

MAX_EVIDENCE_CHARS = 160


@dataclass(eq=False)
class Signals:
    """Facts about one message that detectors read; lines are folded only when evidence is asked."""

    texts: NormalizedText
    extracted: Extracted
    links: tuple[LinkReport, ...]
    hoax: HoaxMatch | None
    phrase_hits: Mapping[Hashable, set[str]]
    pattern_hits: Mapping[str, frozenset[int]]
    fold: Callable[[str], str] = field(repr=False)

    @cached_property
    def folded_lines(self) -> tuple[tuple[str, str], ...]:
        """(original line, folded line) pairs, to quote the line a phrase was found on."""
        lines = [line.strip() for line in self.texts.original.splitlines()]
        return tuple((line, f" {self.fold(line)} ") for line in lines if line)

    def quote_phrase(self, phrase: str) -> str:
        """Quote the original line where a folded phrase occurs, or the phrase itself.

        Quoting the line as the user wrote it makes the evidence recognisable; obfuscated
        spellings that only match after folding whole text (spread over lines) fall back
        to the folded phrase.
        """
        needles = (f" {phrase} ", f" {phrase.replace(' ', '')} ")
        for original, folded in self.folded_lines:
            if any(needle in folded for needle in needles):
                return shorten(original)
        return phrase


def shorten(text: str, limit: int = MAX_EVIDENCE_CHARS) -> str:
    """Cut evidence to one readable line; a reply has room for three findings, not essays."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
