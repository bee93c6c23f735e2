"""Whole-word phrase search over folded text, for every phrase of every rule at once.

One Aho-Corasick automaton (pyahocorasick) holds all phrases, so the cost of a check grows
with the length of the message, not with the number of phrases: 100 or 20,000 phrases cost
about the same. Phrases are wrapped in spaces and so is the text, which makes every hit a
whole-word hit on the single-spaced folded text without a second pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable

import ahocorasick


class PhraseMatcher:
    """Finds which of many folded phrases occur as whole words in a folded text.

    Each phrase is registered with a key (a detector slot, a context list); `find` returns,
    per key, the set of phrases that occurred. A multi-word phrase also matches written as
    one word ("slot gacor" finds "slotgacor"), a common way to dodge word filters.
    """

    def __init__(self, entries: Iterable[tuple[str, Hashable]]) -> None:
        payloads: dict[str, list[tuple[Hashable, str]]] = defaultdict(list)
        for phrase, key in entries:
            if not phrase:
                continue
            payloads[f" {phrase} "].append((key, phrase))
            if " " in phrase:
                payloads[f" {phrase.replace(' ', '')} "].append((key, phrase))
        self._size = len(payloads)
        self._automaton: ahocorasick.Automaton | None = None
        if payloads:
            automaton = ahocorasick.Automaton()
            for needle, values in payloads.items():
                automaton.add_word(needle, tuple(values))
            automaton.make_automaton()
            self._automaton = automaton

    def __len__(self) -> int:
        return self._size

    def find(self, folded: str) -> dict[Hashable, set[str]]:
        """Return {key: phrases found} for a text produced by `Normalizer.normalize().folded`."""
        found: dict[Hashable, set[str]] = defaultdict(set)
        if self._automaton is None or not folded:
            return found
        for _end, values in self._automaton.iter(f" {folded} "):
            for key, phrase in values:
                found[key].add(phrase)
        return found
