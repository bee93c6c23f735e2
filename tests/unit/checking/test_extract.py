"""Extraction: what the link checker and the personal-data rule get from a message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.checking.extract import Extracted, extract


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("Info di https://jakarta.go.id/berita?id=1", ("https://jakarta.go.id/berita?id=1",)),
        ("Daftar: bit.ly/abc123", ("bit.ly/abc123",)),  # bare shortener with a path
        ("Lihat jakarta.go.id/abc", ("jakarta.go.id/abc",)),
        ("Buka www.x.com sekarang", ("www.x.com",)),
        ("Sumber resmi: jakarta.go.id.", ("jakarta.go.id",)),  # full stop is not the link
        ("(lihat bit.ly/x)", ("bit.ly/x",)),  # closing bracket belongs to the sentence
        ("https://id.wikipedia.org/wiki/Monas_(Jakarta)", ("https://id.wikipedia.org/wiki/Monas_(Jakarta)",)),
        ("cek jаkarta.go.id", ("jаkarta.go.id",)),  # homoglyph host kept as written
        ("ke xn--jakrta-3xf.go.id", ("xn--jakrta-3xf.go.id",)),  # punycode host
        ("JAKARTA.GO.ID", ("JAKARTA.GO.ID",)),
        ("http://10.0.0.1:8080/x", ("http://10.0.0.1:8080/x",)),  # a scheme makes it a link
        ("a.com, a.com dan b.co.id", ("a.com", "b.co.id")),  # deduplicated in order
    ],
)  # fmt: skip
def test_when_text_contains_links_then_they_are_extracted_as_written(
    text: str, links: tuple[str, ...]
) -> None:
    assert extract(text).links == links


@pytest.mark.parametrize(
    "text",
    [
        "lampiran file.pdf dan data.xlsx",  # file names
        "versi v1.2 dan 3.14",  # version numbers
        "biaya Rp1.500.000",  # money
        "pukul 13.00 WIB",  # time
        "email budi@jakarta.go.id",  # an e-mail address is not a link
        "unduh laporan.zip",  # a TLD that is mostly a file extension
        "acara selesai.Info lebih lanjut",  # missing space after a full stop
        "S.H., M.H., dll.",  # abbreviations
        "localhost",
    ],
)
def test_when_dotted_words_are_not_links_then_no_link_is_extracted(text: str) -> None:
    assert extract(text).links == ()


def test_when_entities_carry_urls_then_they_follow_text_links_without_duplicates() -> None:
    result = extract("buka bit.ly/x", entity_urls=["bit.ly/x", "https://evil.example/x", " "])
    assert result.links == ("bit.ly/x", "https://evil.example/x")


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("HP 081234567890", ("+6281234567890",)),
        ("WA +62 812-3456-7890", ("+6281234567890",)),  # mixed separators
        ("hubungi 0812 3456 7890 atau 6285712345678", ("+6281234567890", "+6285712345678")),
        ("0812-3456-7890 / 081234567890", ("+6281234567890",)),  # same number twice
        ("NIK 3171010101900001", ()),  # a NIK is not a phone
        ("NIP 198001012005011001", ()),
        ("INV 0812345678901234567", ()),  # long invoice number starting with 08
        ("kode 0801234567", ()),  # 080 is not a mobile prefix
        ("Rp 081.000", ()),  # too short
    ],
)
def test_when_text_contains_numbers_then_only_mobile_numbers_are_phones(
    text: str, phones: tuple[str, ...]
) -> None:
    assert extract(text).phones == phones


@pytest.mark.parametrize(
    ("text", "emails", "mentions"),
    [
        ("kirim ke humas@jakarta.go.id.", ("humas@jakarta.go.id",), ()),
        ("cc @budi_santoso dan @kominfo_dki", (), ("@budi_santoso", "@kominfo_dki")),
        ("@abc terlalu pendek", (), ()),  # usernames have at least 5 characters
        ("a.b+c@mail.co.id @ab_cd_ef", ("a.b+c@mail.co.id",), ("@ab_cd_ef",)),
        ("https://medium.com/@penulis", (), ()),  # an @ inside a link is not a mention
    ],
)
def test_when_text_has_addresses_then_emails_and_mentions_are_separate(
    text: str, emails: tuple[str, ...], mentions: tuple[str, ...]
) -> None:
    result = extract(text)
    assert (result.emails, result.mentions) == (emails, mentions)


def test_when_text_has_identifiers_then_niks_and_nips_are_listed_once() -> None:
    text = "NIK 3171010101900001, 3171 0101 0190 0001; NIP 19800101 200501 1 001"
    result = extract(text)
    assert result.niks == ("3171010101900001",)
    assert result.nips == ("198001012005011001",)


def test_when_text_is_empty_then_nothing_is_extracted() -> None:
    assert extract("") == Extracted((), (), (), (), (), ())


@given(st.text(max_size=2_000))
def test_when_text_is_any_unicode_then_extract_never_raises(text: str) -> None:
    result = extract(text)
    assert all(phone.startswith("+628") for phone in result.phones)
