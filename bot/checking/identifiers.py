"""Finding and masking Indonesian personal identifiers: NIK (KTP) and NIP (ASN).

UU Adminduk makes disclosing a NIK an offence and UU PDP covers both numbers, so every text the
bot stores or sends passes through `mask_identifiers` (RELIABILITY.md P17). Detection is
structural (region, date, serial), not a bare digit count: a phone number, a bank account or a
20-digit invoice must not look like an identity number.

How numbers are read from text: a number is a run of digits in which single separators
(" ", ".", "-") may sit between groups ("3171 0101 0190 0001", "19800101 200501 1 001").
Where a space sits next to a group of 9 or more digits, the run is split there, because such a
group is a complete number on its own ("3171010101900001 3171010101900002" is a list). A number
is considered whole: a NIK is never found inside a longer number.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from bot.checking.normalize import DIGITS

# DKI is 31. 91..96 covers both the older Papua codes on existing KTPs and the 2022 provinces.
PROVINCE_CODES: frozenset[int] = frozenset(
    {*range(11, 20), 21, *range(31, 37), 51, 52, 53, *range(61, 66), *range(71, 77), 81, 82}
    | set(range(91, 97))
)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # Feb 29: century unknown
# Starts with the digit class (fast skipping); the lookbehind then refuses a run's middle.
_RUN = re.compile(r"[0-9](?<![0-9][0-9])[0-9]*(?:[ .\-][0-9]+)*")
_OTHER_DIGITS = re.compile(r"[^\D0-9]")  # a decimal digit that is not ASCII
_SEPARATOR = re.compile(r"[ .\-]")
_GROUP = re.compile("[0-9]+")
_LONG_GROUP = 9


@dataclass(frozen=True, slots=True)
class IdMatch:
    """One identifier found in a text; `start`/`end` index the text that was searched."""

    kind: Literal["nik", "nip"]
    digits: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class NumberSpan:
    """One whole number written in a text (separators removed from `digits`)."""

    digits: str
    start: int
    end: int


def _valid_date(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]


def is_valid_nik(digits: str) -> bool:
    """Whether 16 digits have the structure of a NIK.

    Province (known code), regency and district (not 00), birth date DDMMYY (women's day +40,
    day checked against the month), serial (not 0000).
    """
    if len(digits) != 16 or not digits.isascii() or not digits.isdigit():
        return False
    if int(digits[0:2]) not in PROVINCE_CODES or digits[2:4] == "00" or digits[4:6] == "00":
        return False
    day, month = int(digits[6:8]), int(digits[8:10])
    if day > 40:
        day -= 40
    return _valid_date(day, month) and digits[12:16] != "0000"


def is_valid_nip(digits: str) -> bool:
    """Whether 18 digits have the structure of a NIP.

    Birth date YYYYMMDD (1940..2010), appointment YYYYMM (at least 17 years after birth, at
    most 2035), gender 1 or 2, serial (not 000).
    """
    if len(digits) != 18 or not digits.isascii() or not digits.isdigit():
        return False
    birth_year, birth_month, birth_day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
    if not 1940 <= birth_year <= 2010 or not _valid_date(birth_day, birth_month):
        return False
    if birth_month == 2 and birth_day == 29 and birth_year % 4 != 0:
        return False
    start_year, start_month = int(digits[8:12]), int(digits[12:14])
    if not birth_year + 17 <= start_year <= 2035 or not 1 <= start_month <= 12:
        return False
    return digits[14] in "12" and digits[15:18] != "000"


def find_numbers(text: str, min_digits: int = 1) -> list[NumberSpan]:
    """Every whole number in `text` with at least `min_digits` digits, separators allowed.

    Digits of other scripts ("٣") are read as ASCII digits.
    """
    ascii_text = text
    if not text.isascii() and _OTHER_DIGITS.search(text):
        ascii_text = text.translate(DIGITS)  # one code point each, so positions still match
    spans: list[NumberSpan] = []
    for run in _RUN.finditer(ascii_text):
        written = run.group()
        if len(written) < min_digits:
            continue
        if written.isdigit():
            spans.append(NumberSpan(written, run.start(), run.end()))
        else:
            spans.extend(s for s in _split_run(written, run.start()) if len(s.digits) >= min_digits)
    return spans


def _split_run(run: str, offset: int) -> Iterator[NumberSpan]:
    """Cut a run at spaces next to long groups; each piece is one number."""
    groups = list(_GROUP.finditer(run))
    piece_start = 0
    for left, right in itertools.pairwise(groups):
        longest = max(len(left.group()), len(right.group()))
        if run[left.end()] == " " and longest >= _LONG_GROUP:
            yield _span(run, piece_start, left.end(), offset)
            piece_start = right.start()
    yield _span(run, piece_start, len(run), offset)


def _span(run: str, start: int, end: int, offset: int) -> NumberSpan:
    return NumberSpan(_SEPARATOR.sub("", run[start:end]), offset + start, offset + end)


def find_niks(text: str) -> list[IdMatch]:
    """Every structurally valid NIK in `text`, in order."""
    return [
        IdMatch("nik", n.digits, n.start, n.end)
        for n in find_numbers(text, min_digits=16)
        if len(n.digits) == 16 and is_valid_nik(n.digits)
    ]


def find_nips(text: str) -> list[IdMatch]:
    """Every structurally valid NIP in `text`, in order."""
    return [
        IdMatch("nip", n.digits, n.start, n.end)
        for n in find_numbers(text, min_digits=18)
        if len(n.digits) == 18 and is_valid_nip(n.digits)
    ]


def find_identifiers(text: str) -> list[IdMatch]:
    """NIKs and NIPs together, in text order (one pass over the numbers)."""
    return identifiers_in(find_numbers(text, min_digits=16))


def identifiers_in(numbers: list[NumberSpan]) -> list[IdMatch]:
    """The NIKs and NIPs among numbers already found (saves a second scan of the text)."""
    found: list[IdMatch] = []
    for number in numbers:
        if len(number.digits) == 16 and is_valid_nik(number.digits):
            found.append(IdMatch("nik", number.digits, number.start, number.end))
        elif len(number.digits) == 18 and is_valid_nip(number.digits):
            found.append(IdMatch("nip", number.digits, number.start, number.end))
    return found


def mask_digits(digits: str) -> str:
    """Keep the first four digits (the region, useful to a reader) and hide the rest."""
    return digits[:4] + "*" * max(len(digits) - 4, 0)


def mask_identifiers(text: str) -> str:
    """Replace every NIK and NIP in `text` by its first four digits and asterisks.

    Separators stay where they were ("3171 0101 0190 0001" -> "3171 **** **** ****"), so the
    text keeps its shape and length.
    """
    found = find_identifiers(text)
    if not found:
        return text
    parts: list[str] = []
    position = 0
    for match in found:
        parts.append(text[position : match.start])
        parts.append(_mask_span(text[match.start : match.end]))
        position = match.end
    parts.append(text[position:])
    return "".join(parts)


def _mask_span(written: str) -> str:
    kept = 0
    chars: list[str] = []
    for char in written:
        if char in " .-":
            chars.append(char)
        elif kept < 4:
            chars.append(char)
            kept += 1
        else:
            chars.append("*")
    return "".join(chars)
