"""Text normalization that defeats the usual evasions before any rule looks at a message.

Three views of one message are produced, because different detectors need different amounts of
folding: `original` (cleaned, for evidence), `plain` (one Latin skeleton, digits intact, for
regexes and identifiers) and `folded` (words only, for phrase matching). Lexicon entries go
through exactly the same path (`Normalizer.fold_phrase`), so a phrase and its evasive spellings
meet in the same folded form. Unicode background: https://www.unicode.org/reports/tr39/
(confusables) and https://docs.python.org/3/library/unicodedata.html.

Folding rules for digits and symbols (`folded` only), chosen so ordinary numbers survive:
- a word (letters and digits) that mixes letters with leet digits (0 1 3 4 5 7 8 9) is read as
  letters throughout: "b0k3p" -> "bokep", "h4ny4" -> "hanya", "1n1" -> "ini". It is kept as
  written when it reads as a number or a name with a number: letters then two or more digits
  ("gacor88", "covid19"), togel "4d" ("slot4d"), money ("rp50rb"), an amount with a known unit
  ("10rb", "50k", "4g", "3x", "3hari"), five digits in a row (codes, "NIK3171..."), or a 2 or
  6 anywhere ("2x24", "b2b": those digits are not leet). A digit glued to any other word is
  leet: "7idak" -> "tidak", "74hu" -> "tahu".
- "@", "$", "!" are letters only between two letters ("j@ngan"); "$" and "0" also at the start
  of a word before two letters ("$lot", "0nline").
- a digit "2" after a word of three or more letters is Indonesian reduplication
  ("hati2" -> "hati hati", "mudah2an" -> "mudah mudahan").
- spaced-out words are joined: single characters separated by one punctuation mark repeated
  (". - _ * ' ~ + |": "s.l.o.t", "k.e"), or by single spaces with two spaces between words
  ("s l o t  g a c o r", "d a l a m  2 4  j a m"), when letters are the majority; once a
  message is seen doing that, two spaced letters are a word as well ("t f").
- "*" inside a word is not guessed: it hides an unknown letter ("j*di" -> "j di").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.checking.errors import LoadError

# Characters that render as nothing (or as blank) and are used to split words invisibly.
# U+FFFD too: it is what a NUL becomes on its way into PostgreSQL (bot/db/session.py), and
# a word split by either must read the same on every database.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff9-\ufffb\ufffd\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_LINE_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")
_BLANKS = re.compile("[\t\u2800]")
# NFKC turns the lunate sigma, a "c" lookalike, into "σ"; catch it first.
_BEFORE_NFKC = {0x03F2: "c", 0x03F9: "C"}

# `folded` steps; `_L` is any letter, `_AN` any letter or digit (Unicode-aware).
_L = r"[^\W\d_]"
_AN = r"[^\W_]"
_SEP = r"[._\-*'~+|]"
# Patterns start with a character class so the regex engine can skip ahead quickly; the
# context is checked by a lookbehind after the first character.
_PUNCT_SPACED = re.compile(
    rf"({_SEP})(?<={_AN}{_SEP})(?<!{_AN}{_AN}{_SEP}){_AN}(?!{_AN})(?:\1{_AN}(?!{_AN}))*"
)
_SPACE_HINT = re.compile(rf" {_AN} ")
_SPACE_SPACED = re.compile(
    rf" (?<={_AN} )(?<!{_AN}{_AN} ){_AN}(?!{_AN})(?: {{1,2}}{_AN}(?!{_AN}))*"
)
_SPACE_PAIR = re.compile(rf"(?<!{_AN})({_L}) ({_L})(?!{_AN})")
_LEET_SYMBOL = re.compile(rf"[@$!](?<={_L}[@$!])(?={_L})|[0$](?<!{_AN}[0$])(?={_L}{{2}})")
_DIGIT_BY_LETTER = re.compile(r"[0-9](?<=[^\W\d_][0-9])|[0-9]+(?=[^\W\d_])")
# Units that follow amounts in chat; kept short because every unit hides leet ("5kb" = skb).
_UNITS = "rb|ribu|jt|juta|k|m|x|an|g|gb|mb|kg|km|d|p|hari|jam|menit|tahun|bulan|orang|kali|persen"
_KEEP_WORD = re.compile(
    rf"[^\W\d_]{{3,}}[0-9]{{2,}}|[^\W\d_]+[234]d|(?:rp|idr|usd)[0-9].*|[1-9][0-9]*(?:{_UNITS})"
    r"|.*[0-9]{5}.*|.*[26].*"
)
_MIXED_WORD = re.compile(r"\b(?=[a-z0-9]*[a-z])[a-z]*[0-9][a-z0-9]*\b")
_REDUPLICATION = re.compile(rf"2(?<={_L}{{3}}2)(?!\d)")
_REPEATS = re.compile(r"([a-z])\1+")
_WORD = re.compile(r"[^\W_]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_LEET = str.maketrans("01345789@$!", "oieastbgasi")

# Hand-written lookalikes (TR39 "confusable" in spirit): character followed by its Latin letter.
_LOOKALIKES = (
    "АaВbСcЕeНhІiЈjКkМmОoРpЅsТtХxУyҮyԚqԜwӀlЬbҺhԀdԌg"  # Cyrillic capitals
    "аaвbсcеeһhіiјjкkмmоoрpѕsтtхxуyүyԛqԝwӏlьbԁdнhгrпnшw"  # Cyrillic small
    "ΑaΒbΕeΖzΗhΙiΚkΜmΝnΟoΡpΤtΥyΧxϹcͿj"  # Greek capitals
    "αaβbεeηnιiκkνvοoρpτtυuχxϲcωwμuγyϳj"  # Greek small
    "ıiȷjɑaɡgɩiɛe"  # Latin letters without an ASCII base
    "ՕoՍuօoհhսuոn"  # Armenian
    "ᎪaᏴbᏟcᎬeᎻhᎫjᏦkᎷmᏢpᏚsᎢtᏙvᏃzᏔw"  # Cherokee capitals
)
_LATIN_NAME = re.compile(
    r"(?:LATIN (?:CAPITAL|SMALL) LETTER (?:SMALL CAPITAL )?|LATIN LETTER SMALL CAPITAL "
    r"|(?:NEGATIVE )?(?:SQUARED|CIRCLED) LATIN CAPITAL LETTER )([A-Z])(?: WITH .*)?"
)
_LETTER_BLOCKS = (
    (0x00C0, 0x058F), (0x13A0, 0x13F5), (0x1D00, 0x1FFF), (0x2C60, 0x2C7F),
    (0xA720, 0xA7FF), (0xAB30, 0xAB6F), (0x1F100, 0x1F1FF),
)  # fmt: skip
_MARK_BLOCKS = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
                (0xFE20, 0xFE2F))  # fmt: skip
_DIGIT_BLOCKS = ((0x0660, 0x1C5F), (0xA620, 0xABFF), (0xFF10, 0xFF19), (0x1D7CE, 0x1D7FF))


def _latin_of(char: str, hand: Mapping[str, str]) -> str | None:
    """The Latin letter `char` imitates: by hand table, by decomposition, or by its name."""
    if char in hand:
        return hand[char]
    base = unicodedata.normalize("NFD", char)[0]
    if base != char:
        if base.isascii() and base.isalpha():
            return base.lower()
        if base in hand:
            return hand[base]
    named = _LATIN_NAME.fullmatch(unicodedata.name(char, ""))
    return named.group(1).lower() if named else None


def _build_confusables() -> dict[int, str | None]:
    """Build the translate table once at import (a few milliseconds, no data files)."""
    hand = dict(zip(_LOOKALIKES[::2], _LOOKALIKES[1::2], strict=True))
    table: dict[int, str | None] = {}
    for first, last in _LETTER_BLOCKS:
        for code in range(first, last + 1):
            latin = _latin_of(chr(code), hand)
            if latin is not None:
                table[code] = latin
    for first, last in _MARK_BLOCKS:
        table.update(dict.fromkeys(range(first, last + 1)))
    table.update(DIGITS)
    return table


def _build_digits() -> dict[int, str]:
    """Map every decimal digit of other scripts to its ASCII digit ("٣" -> "3")."""
    digits: dict[int, str] = {}
    for first, last in _DIGIT_BLOCKS:
        for code in range(first, last + 1):
            if unicodedata.category(chr(code)) == "Nd":
                digits[code] = str(unicodedata.decimal(chr(code)))
    return digits


DIGITS: dict[int, str] = _build_digits()
_CONFUSABLES = _build_confusables()
_CASE_SENSITIVE = re.compile(
    "[{}]".format(
        "".join(
            re.escape(char)
            for char in map(chr, _CONFUSABLES)
            if char.casefold() != char
            and _CONFUSABLES.get(ord(char.casefold()[0])) != _CONFUSABLES[ord(char)]
        )
    )
)


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """The three views of one text; see the module docstring for what each one folds."""

    original: str
    plain: str
    folded: str
    # `folded` keeps words like "gacor88", "covid19" or "d15384r" as written, because they
    # may be names or numbers; the same words read as leet ("walik074" -> "walikota") are
    # offered here, only when there are any, so phrase search can try both readings.
    folded_alt: str | None = None


def clean(text: str) -> str:
    """Remove what a reader cannot see but a matcher would trip over.

    NFKC folds fullwidth and mathematical letters; invisible and control characters are
    dropped; tabs become spaces and every line-break style becomes "\\n" (lines are kept
    because some rules look at lines).
    """
    if "\r" in text or not text.isascii():
        text = _LINE_BREAKS.sub("\n", text)
        if "\u03f2" in text or "\u03f9" in text:
            text = text.translate(_BEFORE_NFKC)
    text = _INVISIBLE.sub("", text)
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        # NFKC can expose fillers (U+3164 -> U+1160), so clean once more.
        text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    if "\t" in text or "\u2800" in text:
        text = _BLANKS.sub(" ", text)
    return text


def fold_confusables(text: str) -> str:
    """Return the lowercase Latin skeleton of `text` (homoglyphs, accents, other digits).

    Used on message text and by the link checker on hostnames, so "jаkarta" with a Cyrillic
    "а" and "ｊａｋａｒｔａ" compare equal to "jakarta". Punctuation and layout are kept.
    """
    if text.isascii():
        return text.lower()
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text.translate(_BEFORE_NFKC))
    # Capitals that look Latin may have lowercase forms that do not (Greek "Η" looks like H,
    # "η" like n), so those few are folded before casefold; the rest after it, run by run,
    # because str.translate is slow per character and most text is ASCII.
    text = _CASE_SENSITIVE.sub(_fold_run, text).casefold()
    return text if text.isascii() else _NON_ASCII.sub(_fold_run, text)


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_CONFUSABLES)


class Normalizer:
    """Turns text into `NormalizedText`; holds the colloquial table, nothing else.

    Args:
        colloquial: slang word -> standard word(s). Keys and values are folded on the way in,
            so "nggak" also matches "ngak" and "ngggak". None means no table (the default table
            lives in config/normalization.yaml and is read by `load_normalizer`).
    """

    def __init__(self, colloquial: Mapping[str, str] | None = None) -> None:
        self._colloquial: dict[str, str] = {}
        for key, value in (colloquial or {}).items():
            folded_key = self._fold_words(fold_confusables(clean(key)))
            folded_value = self._fold_words(fold_confusables(clean(value)))
            if folded_key and folded_value and " " not in folded_key:
                self._colloquial[folded_key] = folded_value

    @property
    def colloquial(self) -> Mapping[str, str]:
        """The folded table actually applied (for diagnostics and tests)."""
        return dict(self._colloquial)

    def normalize(self, text: str) -> NormalizedText:
        """Build all three views of `text`; never raises on any string."""
        original = clean(text)
        plain = fold_confusables(original)
        folded = self._fold_words(plain)
        table = self._colloquial
        if table:
            folded = " ".join([table.get(word, word) for word in folded.split(" ")])
        alt = _MIXED_WORD.sub(_read_mixed_word, folded)
        return NormalizedText(
            original=original, plain=plain, folded=folded, folded_alt=alt if alt != folded else None
        )

    def fold_phrase(self, phrase: str) -> str:
        """Fold a lexicon entry exactly as message text is folded, so both can meet."""
        return self.normalize(phrase).folded

    @staticmethod
    def _fold_words(plain: str) -> str:
        """Apply the letter-level folds to plain text; separators become single spaces."""
        text = _PUNCT_SPACED.sub(_join_punct_spaced, plain)
        if _SPACE_HINT.search(text):
            spaced = _SPACE_SPACED.sub(_join_space_spaced, text)
            if spaced != text:  # the writer spaces words out: "t f" is a word too
                spaced = _SPACE_PAIR.sub(r"\1\2", spaced)
            text = spaced
        text = _LEET_SYMBOL.sub(_read_leet, text)
        text = _fold_leet_words(text)
        if "2" in text:
            text = _reduplicate(text)
        text = _REPEATS.sub(r"\1", text)
        return " ".join(_WORD.findall(text))


def _mostly_letters(chars: str) -> bool:
    letters = sum(char.isalpha() for char in chars)
    return letters >= 2 and letters > len(chars) - letters


def _join_punct_spaced(match: re.Match[str]) -> str:
    """Join "s.l.o.t" and "k.e" (the first character sits before the match)."""
    chars = match.group()[1::2]
    return chars if _mostly_letters(match.string[match.start() - 1] + chars) else match.group()


def _join_space_spaced(match: re.Match[str]) -> str:
    """Join "s l o t  g a c o r" word by word, if one word has three or more characters."""
    written = match.string[match.start() - 1] + match.group()
    words = [word.replace(" ", "") for word in written.split("  ")]
    if max(map(len, words)) < 3 or not _mostly_letters("".join(words)):
        return match.group()
    return " ".join(words)[1:]


def _read_mixed_word(match: re.Match[str]) -> str:
    """The letters-and-digits words `folded` kept as written, read as leet (not 2 or 6)."""
    word = match.group()
    return word if "2" in word or "6" in word else word.translate(_LEET)


def _read_leet(match: re.Match[str]) -> str:
    return match.group().translate(_LEET)


def _fold_leet_words(text: str) -> str:
    """Read leet digits as letters in words that mix them with letters (see module doc)."""
    parts: list[str] = []
    done = 0
    for run in _DIGIT_BY_LETTER.finditer(text):
        start, end = run.span()
        if start < done:
            continue
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
        word = text[start:end]
        if word.isdigit() or _KEEP_WORD.fullmatch(word):
            continue
        parts += [text[done:start], word.translate(_LEET)]
        done = end
    return "".join(parts) + text[done:] if parts else text


def _reduplicate(text: str) -> str:
    """Write "hati2" as "hati hati": the 2 repeats the letters-only word before it."""
    parts: list[str] = []
    done = 0
    for match in _REDUPLICATION.finditer(text):
        start = end = match.start()
        while start > 0 and text[start - 1].isalpha():
            start -= 1
        if start > 0 and text[start - 1].isdigit():
            continue
        parts += [text[done:end], " ", text[start:end]]
        done = match.end()
    return "".join(parts) + text[done:] if parts else text


_KEY = re.compile(r"[a-z]+")
_VALUE = re.compile(r"[a-z]+(?: [a-z]+)*")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, which plain YAML silently overwrites."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                line = key_node.start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (line {line})"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_normalizer(path: Path) -> Normalizer:
    """Read the colloquial table from YAML, validate every entry, build a `Normalizer`.

    The file is `{version: 1, colloquial: {slang: standard, ...}}`. Keys are single lowercase
    words; values are lowercase words that are not keys themselves (no chains, so one pass of
    expansion is final and folding stays predictable).

    Raises:
        LoadError: one "path:entry: problem" line per problem, all problems at once.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise LoadError([f"{path}:file: cannot read: {error}"]) from error
    table = data.get("colloquial") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise LoadError([f"{path}:colloquial: must be a mapping of slang word to standard word"])
    problems = [f"{path}:{key}: {problem}" for key, problem in _table_problems(table)]
    if isinstance(data, dict) and data.get("version") != 1:
        problems.insert(0, f"{path}:version: must be 1")
    if problems:
        raise LoadError(problems)
    return Normalizer(table)


def _table_problems(table: Mapping[Any, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for key, value in table.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            problems.append((str(key), "key must be a single lowercase word (a-z)"))
        elif not isinstance(value, str) or not _VALUE.fullmatch(value):
            problems.append((key, "value must be non-empty lowercase words separated by spaces"))
        elif value == key:
            problems.append((key, "value equals the key"))
        elif any(word in table for word in value.split()):
            problems.append((key, f"value {value!r} contains another key (no chains)"))
    return problems or _collisions(table)


def _collisions(table: Mapping[str, str]) -> list[tuple[str, str]]:
    """Keys that fold to the same word ("dll" and "dl" both read "dl") must agree."""
    first: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for key, value in table.items():
        folded = Normalizer._fold_words(key)
        other = first.setdefault(folded, key)
        if other != key and table[other] != value:
            problems.append((key, f"folds to {folded!r} like {other!r} but means {value!r}"))
    return problems
