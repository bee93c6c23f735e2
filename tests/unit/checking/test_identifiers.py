"""NIK and NIP: structural validity, finding them as people write them, masking them."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.checking.identifiers import (
    PROVINCE_CODES,
    IdMatch,
    find_niks,
    find_nips,
    is_valid_nik,
    is_valid_nip,
    mask_digits,
    mask_identifiers,
)

NIK = "3171010101900001"  # Jakarta Pusat, man born 01-01-90
NIP = "198001012005011001"  # born 1980-01-01, appointed 2005-01, man, serial 001


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        (NIK, True),
        ("3171014101900001", True),  # woman: day + 40
        ("3171017112990001", True),  # woman born on the 31st
        ("9471012902000001", True),  # Papua code, 29 February
        ("3171013102900001", False),  # 31 February
        ("3171010113900001", False),  # month 13
        ("3171010001900001", False),  # day 00
        ("3171013201900001", False),  # day 32 is neither a man's nor a woman's day
        ("3171017201900001", False),  # day 72 (woman's day 32)
        ("3171010101900000", False),  # serial 0000
        ("3100010101900001", False),  # regency 00
        ("3171000101900001", False),  # district 00
        ("2071010101900001", False),  # province 20 does not exist
        ("4111111111111111", False),  # a Visa test card number
        ("317101010190000", False),  # 15 digits
        ("31710101019000011", False),  # 17 digits
        ("317101010190000a", False),  # not all digits
        ("３１７１０１０１０１９００００１", False),  # fullwidth digits are not the digit string
    ],
)
def test_when_digits_are_checked_then_nik_structure_decides(digits: str, valid: bool) -> None:
    assert is_valid_nik(digits) is valid


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        (NIP, True),
        ("199512312020122002", True),  # woman, appointed in December
        ("198002292005011001", True),  # born on a leap day
        ("198102292005011001", False),  # 29 February 1981 does not exist
        ("193901012005011001", False),  # born before 1940
        ("201101012030011001", False),  # born after 2010
        ("198001012005131001", False),  # appointment month 13
        ("198001011990011001", False),  # appointed at ten years old
        ("198001012036011001", False),  # appointed after 2035
        ("198001012005013001", False),  # gender digit 3
        ("198001012005011000", False),  # serial 000
        ("19800101200501100", False),  # 17 digits
    ],
)
def test_when_digits_are_checked_then_nip_structure_decides(digits: str, valid: bool) -> None:
    assert is_valid_nip(digits) is valid


@pytest.mark.parametrize(
    "text",
    [
        f"NIK: {NIK}",  # label and colon
        f"NIK{NIK}",  # glued to the label
        "nik 3171 0101 0190 0001 mohon dicek",  # groups of four
        "3171.0101.0190.0001",  # dotted
        "31-71-01-010190-0001",  # structural groups with dashes
        f"KTP ({NIK}).",  # punctuation around it
        "٣١٧١٠١٠١٠١٩٠٠٠٠١",  # Arabic-Indic digits
    ],
)
def test_when_nik_is_written_in_common_ways_then_it_is_found(text: str) -> None:
    assert [m.digits for m in find_niks(text)] == [NIK]


@pytest.mark.parametrize(
    "text",
    [
        f"INV{NIK}1234",  # inside a 20-digit invoice number
        f"1{NIK}",  # 17 digits
        "3171 0101 0190 0001 2233",  # a grouped 20-digit number
        "3171.0101.0190.0001.5",  # a dotted number that goes on
        "0812 3456 7890",  # a phone number
        "Rp 3.171.010.101.900",  # an amount
        "3171010101900000",  # serial 0000: not a NIK
    ],
)
def test_when_digits_are_part_of_something_else_then_no_nik_is_found(text: str) -> None:
    assert find_niks(text) == []


def test_when_niks_are_listed_with_spaces_then_each_is_found_with_its_position() -> None:
    text = f"a {NIK} 3171014101900002 b"
    assert find_niks(text) == [
        IdMatch("nik", NIK, 2, 18),
        IdMatch("nik", "3171014101900002", 19, 35),
    ]


@pytest.mark.parametrize(
    "text",
    [
        f"NIP {NIP}",
        "NIP. 19800101 200501 1 001",  # the usual printed layout
        "nip: 19800101-200501-1-001",
    ],
)
def test_when_nip_is_written_in_common_ways_then_it_is_found(text: str) -> None:
    assert [m.digits for m in find_nips(text)] == [NIP]


def test_when_number_is_a_nip_then_it_is_not_reported_as_nik() -> None:
    assert find_niks(f"NIP {NIP}") == []
    assert find_nips(f"NIK {NIK}") == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"NIK: {NIK}", "NIK: 3171************"),
        ("3171 0101 0190 0001", "3171 **** **** ****"),  # separators stay in place
        ("3171.0101.0190.0001.", "3171.****.****.****."),
        ("NIP 19800101 200501 1 001", "NIP 1980**** ****** * ***"),
        ("HP 0812-3456-7890", "HP 0812-3456-7890"),  # phone numbers are not masked
        (f"INV{NIK}1234", f"INV{NIK}1234"),  # an invoice number is left alone
    ],
)
def test_when_text_has_identifiers_then_mask_keeps_four_digits(text: str, masked: str) -> None:
    assert mask_identifiers(text) == masked


@pytest.mark.parametrize(
    ("digits", "masked"),
    [(NIK, "3171************"), (NIP, "1980**************"), ("123", "123")],
)
def test_when_digits_are_masked_then_first_four_remain(digits: str, masked: str) -> None:
    assert mask_digits(digits) == masked


def _random_nik(rng: random.Random) -> str:
    day = rng.randint(1, 28) + rng.choice((0, 40))
    return (
        f"{rng.choice(sorted(PROVINCE_CODES)):02d}{rng.randint(1, 99):02d}"
        f"{rng.randint(1, 99):02d}{day:02d}{rng.randint(1, 12):02d}"
        f"{rng.randint(0, 99):02d}{rng.randint(1, 9999):04d}"
    )


def _random_nip(rng: random.Random) -> str:
    year = rng.randint(1940, 2010)
    start = rng.randint(year + 18, 2035)
    return (
        f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{start}"
        f"{rng.randint(1, 12):02d}{rng.choice('12')}{rng.randint(1, 999):03d}"
    )


_SEPARATED = st.sampled_from(["", " ", ".", "-", "\n", ", ", "x", "0"])


@given(
    st.lists(
        st.one_of(
            st.builds(_random_nik, st.randoms(use_true_random=False)),
            st.builds(_random_nip, st.randoms(use_true_random=False)),
            st.from_regex(r"[0-9]{1,20}", fullmatch=True),
            st.sampled_from(["3171 0101 0190 0001", "19800101 200501 1 001", "NIK:", "a"]),
        ),
        max_size=8,
    ),
    st.lists(_SEPARATED, min_size=8, max_size=8),
)
def test_when_text_is_masked_then_no_identifier_remains(
    parts: list[str], separators: list[str]
) -> None:
    text = "".join(part + sep for part, sep in zip(parts, separators, strict=False))
    masked = mask_identifiers(text)
    assert len(masked) == len(text)
    assert find_niks(masked) == [] and find_nips(masked) == []


def _phone_or_account(rng: random.Random) -> str:
    """Numbers Indonesians write next to a NIK: phones, bank accounts, virtual accounts."""
    kind = rng.randrange(4)
    if kind == 0:  # mobile, 10 to 13 digits
        number = f"08{rng.randint(1, 9)}" + "".join(rng.choices("0123456789", k=rng.randint(7, 10)))
        return rng.choice([number, "+62" + number[1:], "62" + number[1:]])
    if kind == 1:  # mobile in groups of four
        number = f"08{rng.randint(11, 99)}{rng.randint(1000, 9999)}{rng.randint(1000, 9999)}"
        return "-".join(re.findall(".{1,4}", number))
    if kind == 2:  # bank account of 10, 13 or 15 digits
        return "".join(rng.choices("0123456789", k=rng.choice((10, 13, 15))))
    # 16-digit virtual account: 5-digit company code in the style of bank prefixes + phone
    prefix = rng.choice(("88908", "39358", "70012", "80777", "89508"))
    return prefix + "".join(rng.choices("0123456789", k=11))


def test_when_detector_meets_random_numbers_then_precision_is_at_least_99_percent() -> None:
    """RELIABILITY.md P17: 10,000 random, 10,000 phone/account numbers and 1,000 NIKs."""
    rng = random.Random(17)
    random_numbers = ["".join(rng.choices("0123456789", k=16)) for _ in range(10_000)]
    others = [_phone_or_account(rng) for _ in range(10_000)]
    niks = [_random_nik(rng) for _ in range(1_000)]
    ambiguous = sum(is_valid_nik(n) for n in random_numbers)  # a real NIK could look like this
    false_positives = sum(
        bool(find_niks(f"No: {n} ya")) for n in random_numbers if not is_valid_nik(n)
    ) + sum(bool(find_niks(f"Hubungi {n} (rek.)")) for n in others)
    found = sum([m.digits for m in find_niks(f"NIK {n}, terima kasih")] == [n] for n in niks)
    assert found == len(niks)  # recall 100%
    assert found / (found + false_positives) >= 0.99
    assert ambiguous / len(random_numbers) < 0.05  # structure rejects most random numbers
