"""Near-duplicate matching against the hoax database (rule `known_hoax`).

A known hoax comes back as a forward of a forward: recased, repunctuated, with typos, a few
words swapped, sentences reordered and a chain-message header or footer wrapped around it
("Info dari grup sebelah, sebarkan!!"). What survives all of that is most of the claim's
word pairs, so the claim is scored by how much of it is *contained* in the message, not by
how similar the two whole texts are: a long forward that embeds the claim must still match.

Scoring every claim would cost time proportional to the database, so candidates come from an
inverted index of hashed word bigrams. Each claim is posted only under its six rarest bigrams
(counted over the whole database when it is built at once), which are the ones that identify
it; a posting list still longer than a cap belongs to boilerplate ("sebarkan ke") and is skipped
at lookup, which keeps every lookup bounded however large the database grows. The few best
candidates are then verified exactly on all their words and bigrams, with one-letter typos in
longer words and a dropped or added "-nya" forgiven.

Containment alone would let a three-word claim match every message that quotes those three
words, so short claims must also explain most of the message, and messages shorter than three
words never match.
"""

from __future__ import annotations

import heapq
import re
import sys
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.checking.findings import HoaxMatch

DEFAULT_THRESHOLD = 0.6
MIN_WORDS = 3  # messages and claims with fewer folded words never match
_FULL_WEIGHT_WORDS = 8  # claims shorter than this must also cover most of the message
_BIGRAM_WEIGHT = 0.65  # word order carries more evidence than shared vocabulary
_INDEXED_BIGRAMS = 6  # rarest bigrams of each claim that go into the inverted index
_DF_CAP = 48  # longer posting lists belong to boilerplate, not to one claim; skipped
_FREQUENCY_MASK = (1 << 21) - 1  # 8 MB table of approximate bigram frequencies
_TOP_K = 8  # candidates verified exactly per message
_MIN_ESTIMATE = 0.2  # share of a claim's bigrams seen intact before verification is worth it
_TYPO_MIN_LENGTH = 5  # shorter words are too ambiguous to forgive an edit in
_TYPO_MARGIN = 0.3  # how far below the threshold forgiving typos may lift a claim
_MAX_TYPO_LOOKUPS = 48  # per message: bounds the cost of a long message full of near-misses

_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class HoaxClaim:
    """One claim of the hoax database, with where its clarification was published."""

    id: int
    text: str
    clarification_url: str | None = None
    added_on: str | None = None  # ISO date


def simple_fold(text: str) -> str:
    """Fallback folding when the engine supplies none: width, case and punctuation only."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def _bigram_hashes(words: list[str] | tuple[str, ...]) -> set[int]:
    return set(map(hash, pairwise(words)))


def _spread(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Items reordered so that any prefix is spread evenly along the original order.

    A golden-ratio sequence: a typo breaks the bigrams around one spot, so posting a claim
    under bigrams from all over it keeps it findable.
    """
    golden = 0.6180339887498949
    return [items[i] for i in sorted(range(len(items)), key=lambda i: (i * golden) % 1.0)]


class HoaxIndex:
    """In-memory index of hoax claims; `match` costs about the same at 1k or 50k claims.

    Args:
        claims: initial claims.
        fold: the engine's text folding, applied to claims and messages alike so both
            sides meet in the same alphabet. Defaults to `simple_fold`.
        threshold: minimum similarity (0..1) for a match.
    """

    def __init__(
        self,
        claims: Iterable[HoaxClaim] = (),
        *,
        fold: Callable[[str], str] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self._fold = fold or simple_fold
        self._fold_is_clean = fold is None
        self._threshold = threshold
        self._claims: list[HoaxClaim] = []
        self._words: list[tuple[str, ...]] = []
        self._indexed_counts: list[int] = []
        self._postings: dict[int, int | array[int]] = {}
        # Approximate document frequency of every bigram, hashed into a fixed table.
        self._frequency = array("I", bytes(4 * (_FREQUENCY_MASK + 1)))
        self._add_all(claims)

    def __len__(self) -> int:
        return len(self._claims)

    def add(self, claim: HoaxClaim) -> None:
        """Index `claim`; a claim shorter than `MIN_WORDS` is kept but can never match."""
        bigrams = self._remember(claim)
        self._count(bigrams)
        self._index(len(self._claims) - 1, bigrams)

    def _add_all(self, claims: Iterable[HoaxClaim]) -> None:
        # Counting every claim's bigrams before indexing any lets each claim pick the
        # bigrams that are rare in the whole database, not merely among the claims before it.
        first = len(self._claims)
        for claim in claims:
            self._count(self._remember(claim))
        for position in range(first, len(self._claims)):
            self._index(position, self._claim_bigrams(position))

    def _remember(self, claim: HoaxClaim) -> set[int]:
        words = tuple(map(sys.intern, self._split(self._fold(claim.text))))
        self._claims.append(claim)
        self._words.append(words)
        return self._claim_bigrams(len(self._words) - 1)

    def _claim_bigrams(self, position: int) -> set[int]:
        words = self._words[position]
        return _bigram_hashes(words) if len(words) >= MIN_WORDS else set()

    def _count(self, bigrams: set[int]) -> None:
        frequency = self._frequency
        for gram in bigrams:
            frequency[gram & _FREQUENCY_MASK] += 1

    def _index(self, position: int, bigrams: set[int]) -> None:
        """Post the claim under its rarest bigrams only: they identify it, and short
        posting lists keep lookups cheap."""
        if len(bigrams) > _INDEXED_BIGRAMS:
            frequency = self._frequency
            # Ties (common in a small database) go to bigrams spread along the claim, chosen
            # by position rather than set order, which follows per-process string hashing.
            ordered = list(dict.fromkeys(pairwise(self._words[position])))
            spread = {hash(gram): rank for rank, gram in enumerate(_spread(ordered))}
            bigrams = set(
                heapq.nsmallest(
                    _INDEXED_BIGRAMS,
                    bigrams,
                    key=lambda g: (frequency[g & _FREQUENCY_MASK], spread.get(g, 0)),
                )
            )
        self._indexed_counts.append(len(bigrams))
        postings = self._postings
        for gram in bigrams:
            posting = postings.get(gram)
            if posting is None:
                postings[gram] = position
            elif posting.__class__ is int:
                # array, not list: no garbage-collector tracking for 100k+ posting lists
                postings[gram] = array("i", (posting, position))  # type: ignore[arg-type]
            else:
                posting.append(position)  # type: ignore[union-attr]

    def match(self, text: str, *, folded: str | None = None) -> HoaxMatch | None:
        """Return the best claim whose similarity reaches the threshold, or None.

        `folded` must come from the same `fold` this index was built with; it lets the
        engine fold a message once for all of its detectors.
        """
        clean = folded is None and self._fold_is_clean
        if folded is None:
            folded = self._fold(text)
        words = self._split(folded, clean=clean)
        if len(words) < MIN_WORDS:
            return None
        grams = _bigram_hashes(words)
        message = _Message(words, grams)
        best_score, best_position = 0.0, -1
        for position in self._candidates(grams):
            score = self._similarity(position, message)
            if score >= self._threshold and score > best_score:
                best_score, best_position = score, position
        if best_position < 0:
            return None
        claim = self._claims[best_position]
        return HoaxMatch(
            hoax_id=claim.id,
            claim=claim.text,
            clarification_url=claim.clarification_url,
            similarity=round(best_score, 3),
            added_on=claim.added_on,
        )

    def _split(self, folded: str, *, clean: bool = False) -> list[str]:
        # A custom fold may keep punctuation; the built-in one already removed it.
        return folded.split() if clean else _NON_WORD.sub(" ", folded).split()

    def _candidates(self, grams: set[int]) -> list[int]:
        """Claims sharing the largest share of their indexed bigrams with the message."""
        singles: list[int] = []
        hits: Counter[int] = Counter()
        get = self._postings.get
        for gram in grams:
            posting = get(gram)
            if posting is None:
                continue
            if posting.__class__ is int:
                singles.append(posting)  # type: ignore[arg-type]
            elif len(posting) <= _DF_CAP:  # type: ignore[arg-type]
                hits.update(posting)  # type: ignore[arg-type]
        hits.update(singles)
        counts = self._indexed_counts
        # Plain ints only: allocating a tuple per hit would feed the garbage collector.
        hopeful = [p for p, seen in hits.items() if seen >= 2 or seen == counts[p]]
        # Ties go to the older claim, so the same message picks the same candidates in every
        # process (set and Counter order follow per-process string hashing).
        best = heapq.nlargest(_TOP_K, hopeful, key=lambda p: (hits[p] / counts[p], -p))
        return [p for p in best if hits[p] / counts[p] >= _MIN_ESTIMATE]

    def _similarity(self, position: int, message: _Message) -> float:
        """Share of the claim found in the message, guarded against short claims.

        Typo lookups are the slow part, so they only run for claims already close to the
        threshold on exact words: a few typos cannot rescue a claim the message lacks.
        They also run above the threshold, so the reported similarity forgives typos.
        """
        claim = self._words[position]
        vocabulary = message.vocabulary
        exact = {w: w if w in vocabulary else None for w in claim}
        score = self._score(claim, exact, message)
        if score == 1.0 or score < self._threshold - _TYPO_MARGIN:
            return score
        return self._score(claim, {w: message.find(w) for w in exact}, message)

    def _score(
        self,
        claim: tuple[str, ...],
        spelled: dict[str, str | None],
        message: _Message,
    ) -> float:
        found = sum(1 for word in claim if spelled[word] is not None)
        claim_grams = set(pairwise(claim))
        seen = 0
        for first, second in claim_grams:
            a, b = spelled[first], spelled[second]
            if a is None or b is None:
                continue
            if hash((a, b)) in message.grams:
                seen += 1
        contained = (1 - _BIGRAM_WEIGHT) * found / len(claim)
        contained += _BIGRAM_WEIGHT * seen / max(len(claim_grams), 1)
        if len(claim) >= _FULL_WEIGHT_WORDS:
            return contained
        weight = len(claim) / _FULL_WEIGHT_WORDS
        covered = min(found / len(message.words), 1.0)
        return weight * contained + (1 - weight) * covered


class _Message:
    """One folded message, with typo lookups cached across the candidates it is checked on."""

    __slots__ = ("_choices", "_typos", "grams", "vocabulary", "words")

    def __init__(self, words: list[str], grams: set[int]) -> None:
        self.words = words
        self.grams = grams
        self.vocabulary = set(words)
        self._choices: list[str] | None = None
        self._typos: dict[str, str | None] = {}

    def find(self, word: str) -> str | None:
        """The message's spelling of a claim word: itself, a one-edit typo of it, or None."""
        if word in self.vocabulary:
            return word
        if len(word) < _TYPO_MIN_LENGTH:
            return None
        if word in self._typos:
            return self._typos[word]
        # "-nya" (its/the) is added and dropped freely when a claim is retold.
        for variant in (word + "nya", word.removesuffix("nya")):
            if variant in self.vocabulary:
                self._typos[word] = variant
                return variant
        if len(self._typos) >= _MAX_TYPO_LOOKUPS:
            return None
        if self._choices is None:
            # In message order, not set order: the nearest spelling must not depend on hashing.
            ordered = dict.fromkeys(self.words)
            self._choices = [w for w in ordered if len(w) >= _TYPO_MIN_LENGTH - 1]
        limit = 1 if len(word) < 9 else 2
        found = process.extractOne(
            word, self._choices, scorer=Levenshtein.distance, score_cutoff=limit
        )
        self._typos[word] = found[0] if found else None
        return self._typos[word]
