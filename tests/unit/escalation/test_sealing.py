"""Sealed case evidence: what an official opens is exactly what was sealed, or it is refused."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.escalation.sealing import (
    EvidenceKeyError,
    EvidenceSealer,
    SealedEvidenceError,
    sealer_key_material,
)
from bot.settings import Settings

PACKET = {
    "text": "Mohon disebarkan: NIK 3171234567890001 atas nama Budi",
    "forward_origin": {"type": "user", "name": "Siti"},
    "links": [{"url": "https://contoh.example/x", "verdict": "unknown"}],
    "findings": [{"rule": "classified_document", "clauses": ["SE 137/2018 angka 3"]}],
    "content_hash": "ab" * 32,
}
TOKEN = "123456:AAE-test-token"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SARING_"):
            monkeypatch.delenv(name)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_when_any_json_packet_is_sealed_then_opening_gives_it_back(packet: dict) -> None:
    sealer = EvidenceSealer(b"deployment key")
    assert sealer.open(sealer.seal(packet)) == packet


def test_when_a_packet_is_sealed_then_its_text_is_not_readable_in_the_bytes() -> None:
    sealed = EvidenceSealer(b"deployment key").seal(PACKET)
    assert b"3171234567890001" not in sealed
    assert b"Budi" not in sealed


def test_when_the_same_packet_is_sealed_twice_then_the_nonces_and_bytes_differ() -> None:
    sealer = EvidenceSealer(b"deployment key")
    first, second = sealer.seal(PACKET), sealer.seal(PACKET)
    assert first[1:13] != second[1:13]
    assert first != second
    assert sealer.open(first) == sealer.open(second) == PACKET


@pytest.mark.parametrize(
    "position",
    [
        1,  # first nonce byte
        12,  # last nonce byte
        20,  # inside the ciphertext
        -1,  # last byte of the authentication tag
    ],
)
def test_when_a_sealed_byte_is_altered_then_opening_is_refused(position: int) -> None:
    sealer = EvidenceSealer(b"deployment key")
    sealed = bytearray(sealer.seal(PACKET))
    sealed[position] ^= 0x01
    with pytest.raises(SealedEvidenceError, match="authentication"):
        sealer.open(bytes(sealed))


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda sealed: b"\x02" + sealed[1:], "version 2"),  # an unknown format
        (lambda sealed: sealed[:20], "truncated"),  # cut inside the tag
        (lambda sealed: sealed[:-1], "authentication"),  # one byte short
        (lambda sealed: sealed + b"\x00", "authentication"),  # one byte appended
    ],
)
def test_when_a_sealed_packet_is_malformed_then_the_error_says_why(mangle, message: str) -> None:
    sealer = EvidenceSealer(b"deployment key")
    with pytest.raises(SealedEvidenceError, match=message):
        sealer.open(mangle(sealer.seal(PACKET)))


def test_when_another_key_opens_a_packet_then_it_is_refused() -> None:
    sealed = EvidenceSealer(b"deployment key").seal(PACKET)
    with pytest.raises(SealedEvidenceError, match="another key"):
        EvidenceSealer(b"other deployment").open(sealed)


def test_when_the_key_material_is_empty_then_the_sealer_refuses_to_start() -> None:
    with pytest.raises(EvidenceKeyError):
        EvidenceSealer(b"")


def test_when_an_evidence_key_is_set_then_it_wins_over_the_token(monkeypatch) -> None:
    monkeypatch.setenv("SARING_EVIDENCE_KEY", "kunci-rahasia-bukti")
    monkeypatch.setenv("SARING_TELEGRAM_TOKEN", TOKEN)
    material = sealer_key_material(Settings())
    assert material == b"kunci-rahasia-bukti"
    monkeypatch.delenv("SARING_EVIDENCE_KEY")
    token_only = sealer_key_material(Settings(telegram_token=SecretStr(TOKEN)))
    sealed = EvidenceSealer(material).seal(PACKET)
    with pytest.raises(SealedEvidenceError):
        EvidenceSealer(token_only).open(sealed)


def test_when_only_the_token_is_set_then_the_key_is_stable_and_not_the_token() -> None:
    material = sealer_key_material(Settings(telegram_token=SecretStr(TOKEN)))
    assert material == sealer_key_material(Settings(telegram_token=SecretStr(TOKEN)))
    assert TOKEN.encode() not in material
    sealed = EvidenceSealer(material).seal(PACKET)
    # A restart with the same token opens yesterday's evidence; another bot's token does not.
    restarted = sealer_key_material(Settings(telegram_token=SecretStr(TOKEN)))
    assert EvidenceSealer(restarted).open(sealed) == PACKET
    other = sealer_key_material(Settings(telegram_token=SecretStr("999:other")))
    with pytest.raises(SealedEvidenceError):
        EvidenceSealer(other).open(sealed)


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # nothing configured
        {"evidence_key": "", "telegram_token": ""},  # present but empty
    ],
)
def test_when_no_key_can_be_found_then_the_error_names_the_setting(overrides: dict) -> None:
    with pytest.raises(EvidenceKeyError, match="SARING_EVIDENCE_KEY"):
        sealer_key_material(Settings(**overrides))
