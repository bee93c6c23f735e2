"""Normalization: each evasion of DESIGN.md is folded, and ordinary text is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checking.errors import LoadError
from bot.checking.normalize import (
    NormalizedText,
    Normalizer,
    clean,
    fold_confusables,
    load_normalizer,
)

CONFIG = Path(__file__).resolve().parents[3] / "config" / "normalization.yaml"
INVISIBLES = (
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u034f"
    "\ufe0f\ufe00\u202a\u202e\u2066\u2069\U000e0041\U000e0100\u180e"
)
# Hand-picked lookalikes of each Latin letter (Cyrillic, Greek, Latin variants, fullwidth,
# mathematical); independent of the table in the code, so the test can catch a gap in it.
LOOKALIKES: dict[str, str] = {
    "a": "аαɑАΑａ𝐚", "b": "ВβΒｂ𝐛", "c": "сϲСϹｃ", "d": "ԁｄ𝐝", "e": "еεЕΕｅ𝐞",
    "f": "ｆ𝐟", "g": "ɡｇ", "h": "һНΗｈ", "i": "іιıІΙｉ", "j": "јЈϳｊ", "k": "кКΚｋ",
    "l": "ӏｌ𝐥", "m": "МΜｍ", "n": "ηΝｎ", "o": "оοОΟօｏ𝐨", "p": "рρРΡｐ", "q": "ԛｑ",
    "r": "гｒ", "s": "ѕЅｓ𝐬", "t": "тТΤｔ𝐭", "u": "υսｕ", "v": "νｖ", "w": "ԝωｗ",
    "x": "хχХΧｘ", "y": "уүУΥｙ", "z": "Ζｚ",
}  # fmt: skip


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return load_normalizer(CONFIG)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sl\u200bot", "slot"),  # zero-width space splits a word invisibly
        ("ju\u00addi", "judi"),  # soft hyphen
        ("\ufeffjudi\u2060", "judi"),  # BOM and word joiner
        ("to\u202egel", "togel"),  # bidi override
        ("ｊｕｄｉ", "judi"),  # fullwidth letters (NFKC)
        ("𝐣𝐮𝐝𝐢 𝔧𝔲𝔡𝔦", "judi judi"),  # mathematical bold and fraktur
        ("a\r\nb\rc", "a\nb\nc"),  # every line-break style becomes \n
        ("a\tb", "a b"),  # a tab separates words, it is not removed
        ("baris 1\nbaris 2", "baris 1\nbaris 2"),  # newlines are kept
        ("a\x00b\x1b", "ab"),  # control characters
        ("ga\ufffdcor", "gacor"),  # U+FFFD: a NUL as stored in PostgreSQL's jsonb
        ("Rp 1.500.000", "Rp 1.500.000"),  # ordinary text is unchanged
    ],
)
def test_when_text_has_invisible_or_compatibility_characters_then_clean_removes_them(
    text: str, expected: str
) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jаkarta.go.id", "jakarta.go.id"),  # Cyrillic а in a host name
        ("ΡΟRΝΟ", "porno"),  # Greek capitals that look Latin
        ("Ηello", "hello"),  # capital Eta looks like H ...
        ("ηama", "nama"),  # ... small eta looks like n
        ("café naïve ŁÓDŹ", "cafe naive lodz"),  # accents and strokes
        ("e\u0301\u0323", "e"),  # stacked combining marks (zalgo)
        ("ʙᴏᴋᴇᴘ", "bokep"),  # Latin small capitals
        ("🅂🄻🄾🅃", "slot"),  # enclosed letters NFKC does not fold
        ("٣١٧١ ३१७१", "3171 3171"),  # Arabic-Indic and Devanagari digits
        ("Rp 500.000!", "rp 500.000!"),  # punctuation and digits kept
    ],
)
def test_when_text_uses_lookalike_letters_then_fold_confusables_gives_latin(
    text: str, expected: str
) -> None:
    assert fold_confusables(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("b0k3p", "bokep"),  # leet inside a word
        ("d3p0sit", "deposit"),
        ("s3x", "sex"),
        ("k0nt0l", "kontol"),
        ("j@ng@n", "jangan"),  # @ as a
        ("$lot", "slot"),  # $ at the start of a word
        ("0nline", "online"),  # a leading zero before letters is an o
        ("3x 5g", "3x 5g"),  # other leading digits are counts
        ("p0rn0", "porno"),  # once a word is leet, its edges are leet too
        ("h4ny4 un7uk p1mp1n4n", "hanya untuk pimpinan"),
        ("k484r1 d17un9gu", "kabari ditungu"),  # 8 and 9 as b and g
        ("1n1 074k", "ini otak"),
        ("7ransfer", "transfer"),  # one leading digit before a long word is leet ...
        ("54y4 74hu 504l 5kb", "saya tahu soal skb"),  # digits glued to words, not amounts
        ("10rb 50k 4g 3hari 15menit", "10rb 50k 4g 3hari 15menit"),  # amounts with units stay
        ("dalam 2x24 jam", "dalam 2x24 jam"),  # 2 and 6 are never leet: a number
        ("NIK3171010101900001", "nik3171010101900001"),  # five digits in a row: a code
        ("gacor88", "gacor88"),  # brand suffix stays digits
        ("covid19", "covid19"),
        ("slot4d", "slot4d"),  # togel 4d is a term, not "slotad"
        ("Rp50rb", "rp50rb"),  # money written against the currency
        ("10rb 4g 3x", "10rb 4g 3x"),  # leading digits are amounts and units
        ("Rp 500.000", "rp 500 000"),  # numbers stay numbers
        ("2026 08123456789", "2026 08123456789"),
        ("j*di", "j di"),  # an asterisk hides an unknown letter: no guess
    ],
)
def test_when_word_mixes_letters_and_leet_digits_then_it_is_read_as_letters(
    text: str, expected: str
) -> None:
    assert Normalizer().normalize(text).folded == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s l o t  g a c o r", "slot gacor"),  # double space separates words
        ("s.l.o.t", "slot"),
        ("j-u-d-i o_n_l_i_n_e", "judi online"),
        ("s l 0 t", "slot"),  # spaced and leet together
        ("main s l o t sekarang", "main slot sekarang"),
        ("p*i*m*p*i*n*a*n t'o'l'o'l", "pimpinan tolol"),  # asterisks and apostrophes
        ("k.e l.u.a.r", "ke luar"),  # two letters joined by punctuation are a word
        ("d a l a m  2 4  j a m", "dalam 24 jam"),  # words of a spaced phrase, digits too
        ("k e  l u a r", "ke luar"),  # a two-letter word inside a spaced phrase
        ("a b", "a b"),  # two spaced letters alone are not a word ...
        ("t f, s e b a r", "tf sebar"),  # ... unless the message spaces words out
        ("versi 1.2.3", "versi 1 2 3"),  # numbers are not joined
        ("H. M. Thamrin", "h m thamrin"),  # initials with ". " are not joined
        ("1 2 3", "1 2 3"),  # spaced digits are not letters
        ("a.n. Budi", "an budi"),
    ],
)
def test_when_letters_are_spaced_out_then_they_are_joined(text: str, expected: str) -> None:
    assert Normalizer().normalize(text).folded == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("maaaaf", "maf"),  # repeated letters collapse to one
        ("SLOTTTT GACORRR!!!", "slot gacor"),
        ("hati2 ya", "hati hati ya"),  # reduplication with 2
        ("mudah2an", "mudah mudahan"),
        ("ke2", "ke2"),  # too short to be reduplication
        ("  halo,   dunia!\n", "halo dunia"),  # single spaces, no punctuation
        ("", ""),
    ],
)
def test_when_text_has_repeats_or_punctuation_then_folded_is_words_with_single_spaces(
    text: str, expected: str
) -> None:
    assert Normalizer().normalize(text).folded == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yg gk bs dtg", "yang tidak bisa datang"),
        ("nggak ngga engga gak ga", "tidak tidak tidak tidak tidak"),
        ("ngggaaak", "tidak"),  # stretched spellings still match the key
        ("sy mhn maaf bpk", "saya mohon maf bapak"),
        ("gue lu elo", "saya kamu kamu"),
        ("dll", "dan lain lain"),
        ("yang tidak", "yang tidak"),  # standard words are untouched
        ("Y G", "y g"),  # two spaced letters are not a word
    ],
)
def test_when_text_is_colloquial_then_table_expands_it(
    normalizer: Normalizer, text: str, expected: str
) -> None:
    assert normalizer.normalize(text).folded == expected


def test_when_normalized_then_all_three_views_are_returned() -> None:
    result = Normalizer().normalize("Ｂ0K3P\u200b di jаkarta")
    assert result == NormalizedText(
        original="B0K3P di jаkarta", plain="b0k3p di jakarta", folded="bokep di jakarta"
    )


def test_when_phrase_is_folded_then_it_matches_its_stretched_spelling(
    normalizer: Normalizer,
) -> None:
    assert normalizer.fold_phrase("maaf") == normalizer.fold_phrase("maaaf") == "maf"
    assert normalizer.fold_phrase("Slot Gacor") == normalizer.normalize("s l 0 t gac0rrr").folded


def test_when_shipped_table_loads_then_it_has_at_least_200_entries() -> None:
    assert len(load_normalizer(CONFIG).colloquial) >= 200


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("version: 1\ncolloquial:\n  Yg: yang\n", ":Yg: key must be a single lowercase word"),
        ("version: 1\ncolloquial:\n  yg kan: yang\n", ":yg kan: key must be"),
        ("version: 1\ncolloquial:\n  yg: ''\n", ":yg: value must be non-empty"),
        ("version: 1\ncolloquial:\n  yg: 3\n", ":yg: value must be"),
        ("version: 1\ncolloquial:\n  gk: tdk\n  tdk: tidak\n", ":gk: value 'tdk' contains"),
        ("version: 1\ncolloquial:\n  yg: yg\n", ":yg: value equals the key"),
        ("version: 1\ncolloquial:\n  yg: yang\n  yg: yaitu\n", ":file: cannot read"),  # dup
        ("version: 1\ncolloquial:\n  dl: dulu\n  dll: dan lain\n", ":dll: folds to 'dl'"),
        ("version: 1\ncolloquial: [yg]\n", ":colloquial: must be a mapping"),
        ("colloquial:\n  yg: yang\n", ":version: must be 1"),
        ("version: 1\ncolloquial: {yg: [\n", ":file: cannot read"),  # broken YAML
    ],
)
def test_when_table_file_is_broken_then_load_error_names_file_entry_and_problem(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "normalization.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LoadError) as error:
        load_normalizer(path)
    assert any(line.startswith(str(path)) and problem in line for line in error.value.problems)


def test_when_table_file_is_missing_then_load_error_is_raised(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read"):
        load_normalizer(tmp_path / "absent.yaml")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=10_000))
def test_when_text_is_any_unicode_then_normalize_never_raises(text: str) -> None:
    result = Normalizer({"yg": "yang"}).normalize(text)
    assert "  " not in result.folded
    assert result.folded == result.folded.strip()


_WORDS = st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12), min_size=1)


@given(_WORDS, st.data())
def test_when_invisible_characters_are_inserted_then_folded_is_unchanged(
    words: list[str], data: st.DataObject
) -> None:
    text = " ".join(words)
    position = data.draw(st.integers(0, len(text)))
    invisible = data.draw(st.sampled_from(INVISIBLES))
    spoiled = text[:position] + invisible + text[position:]
    normalizer = Normalizer()
    assert normalizer.normalize(spoiled).folded == normalizer.normalize(text).folded


@given(_WORDS, st.data())
def test_when_letters_are_replaced_by_lookalikes_then_folded_is_unchanged(
    words: list[str], data: st.DataObject
) -> None:
    text = " ".join(words)
    spoiled = "".join(
        data.draw(st.sampled_from(LOOKALIKES[c])) if c in LOOKALIKES and data.draw(st.booleans())
        else c
        for c in text
    )  # fmt: skip
    normalizer = Normalizer()
    assert normalizer.normalize(spoiled).folded == normalizer.normalize(text).folded


@given(st.text(max_size=200))
def test_when_phrase_is_folded_then_it_equals_normalized_folded(text: str) -> None:
    normalizer = Normalizer({"yg": "yang", "gak": "tidak"})
    assert normalizer.fold_phrase(text) == normalizer.normalize(text).folded


@pytest.mark.parametrize(
    ("text", "alt"),
    [
        # digits at a word's end are kept in `folded` (brand-like), read as leet in the alt view
        ("walik074 selingkuh", "walikota selingkuh"),
        # five digits in a row stay a number in `folded`; the alt view reads the word
        ("d15384r", "disebar"),
        # words with 2 or 6 are amounts or reduplication, never leet
        ("2x24 jam", None),
        # nothing mixed, nothing to offer
        ("rapat pukul 13 00", None),
    ],
)
def test_when_a_word_mixes_letters_and_digits_then_an_alternative_reading_is_offered(
    text: str, alt: str | None
) -> None:
    assert Normalizer().normalize(text).folded_alt == alt
