"""Signed button data (P11, P16): only data we issued decodes, and it always fits 64 bytes."""

from __future__ import annotations

import hmac
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.callbacks import CALLBACK_DATA_LIMIT, MAX_REF, CallbackCodec

SECRET = b"s" * 32
CODEC = CallbackCodec(SECRET)
ACTIONS = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    min_size=1,
    max_size=8,
)
REFS = st.integers(min_value=1, max_value=MAX_REF)
# characters a client could put in callback_data, base64url and separators included
CHARS = st.sampled_from("abcAZ09_-:=+/. é😀\x00\n")
HYPOTHESIS = settings(max_examples=300, deadline=None)


@HYPOTHESIS
@given(action=ACTIONS, ref=REFS)
def test_when_data_was_issued_then_it_decodes_to_the_same_action_and_ref_within_64_bytes(
    action: str, ref: int
) -> None:
    data = CODEC.encode(action, ref)
    assert len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT
    assert CODEC.decode(data) == (action, ref)
    assert re.match(CODEC.pattern(action), data)


@HYPOTHESIS
@given(action=ACTIONS, ref=REFS, data=st.data())
def test_when_any_character_is_changed_then_the_data_is_refused(
    action: str, ref: int, data: st.DataObject
) -> None:
    issued = CODEC.encode(action, ref)
    position = data.draw(st.integers(0, len(issued) - 1))
    char = data.draw(CHARS.filter(lambda c: c != issued[position]))
    assert CODEC.decode(issued[:position] + char + issued[position + 1 :]) is None


@HYPOTHESIS
@given(action=ACTIONS, refs=st.lists(REFS, min_size=2, max_size=2, unique=True))
def test_when_a_mac_is_moved_to_another_ref_then_the_data_is_refused(
    action: str, refs: list[int]
) -> None:
    """A valid MAC for another case must not unlock this one (P11)."""
    first, second = (CODEC.encode(action, ref).split(":") for ref in refs)
    assert CODEC.decode(f"{action}:{first[1]}:{second[2]}") is None
    assert CODEC.decode(f"{action}:{second[1]}:{first[2]}") is None


@HYPOTHESIS
@given(actions=st.lists(ACTIONS, min_size=2, max_size=2, unique=True), ref=REFS)
def test_when_a_button_is_relabelled_as_another_action_then_the_data_is_refused(
    actions: list[str], ref: int
) -> None:
    """ "Details" data must not become "report" data for the same check."""
    _, encoded_ref, mac = CODEC.encode(actions[0], ref).split(":")
    assert CODEC.decode(f"{actions[1]}:{encoded_ref}:{mac}") is None


@HYPOTHESIS
@given(action=ACTIONS, ref=REFS)
def test_when_data_was_signed_with_another_secret_then_it_is_refused(action: str, ref: int) -> None:
    assert CODEC.decode(CallbackCodec(b"t" * 32).encode(action, ref)) is None


@HYPOTHESIS
@given(action=ACTIONS, ref=REFS, data=st.data())
def test_when_data_is_truncated_or_extended_then_it_is_refused(
    action: str, ref: int, data: st.DataObject
) -> None:
    issued = CODEC.encode(action, ref)
    cut = data.draw(st.integers(0, len(issued) - 1))
    extra = data.draw(st.text(alphabet=CHARS, min_size=1, max_size=70))
    assert CODEC.decode(issued[:cut]) is None
    assert CODEC.decode(issued + extra) is None
    assert CODEC.decode(extra + issued) is None


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(alphabet=CHARS, max_size=80), st.text(max_size=80), st.none()))
def test_when_a_client_sends_anything_then_decode_refuses_without_raising(data: str | None) -> None:
    assert CODEC.decode(data) is None


TAMPERED = [
    "",  # empty
    "d",  # action only
    "d::",  # empty fields
    "d:AAAAAAAAAAE:AAAAAAAAAAAAAAAAAAAAAA",  # MAC of the wrong length
    "d:AAAAAAAAAAE:AAAAAAAAAAAAAAAA",  # a well-formed but made-up MAC
    "d:AAAAAAAAAAA:AAAAAAAAAAAAAAAA",  # ref 0
    "d:gAAAAAAAAAA:AAAAAAAAAAAAAAAA",  # ref 2**63, beyond a BIGINT
    "toolongact:AAAAAAAAAAE:AAAAAAAAAAAAAAAA",  # action longer than 8
    "d:AAAAAAAAAAE:AAAAAAAAAAAAAAAA:x",  # extra colon and field
    "d:AAAAAAAAAAE=:AAAAAAAAAAAAAAAA",  # padding
    "dé:AAAAAAAAAAE:AAAAAAAAAAAAAAAA",  # non-ASCII action
    "d:AAAAAAAAAA１:AAAAAAAAAAAAAAAA",  # fullwidth digit inside base64
    "x" * 65,  # oversized
]


@pytest.mark.parametrize("data", TAMPERED)
def test_when_data_is_malformed_then_it_is_refused(data: str) -> None:
    assert CODEC.decode(data) is None


def test_when_the_last_base64_character_has_spare_bits_set_then_the_data_is_refused() -> None:
    """Eight ref bytes leave two unused bits: "AAAAAAAAAAF" is not the spelling of ref 1."""
    action, ref, mac = CODEC.encode("d", 1).split(":")
    assert ref == "AAAAAAAAAAE"
    assert CODEC.decode(f"{action}:AAAAAAAAAAF:{mac}") is None


def test_when_a_mac_is_checked_then_the_comparison_is_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    data = CODEC.encode("f", 12345)
    assert CODEC.decode(data) == ("f", 12345)
    assert CODEC.decode(data[:-1] + ("A" if data[-1] != "A" else "B")) is None
    assert len(calls) == 2


INVALID = [
    ("", 1),  # no action
    ("a:b", 1),  # a colon would break the format
    ("toolongac", 1),  # nine characters
    ("dé", 1),  # not ASCII
    ("d", 0),  # refs are positive row ids
    ("d", -5),
    ("d", MAX_REF + 1),  # beyond a BIGINT
    ("d", True),  # a bool is not an id
]


@pytest.mark.parametrize(("action", "ref"), INVALID)
def test_when_the_bot_asks_for_impossible_data_then_encode_refuses(action: str, ref: int) -> None:
    with pytest.raises(ValueError):
        CODEC.encode(action, ref)


def test_when_the_pattern_is_for_one_action_then_it_does_not_match_another() -> None:
    pattern = CODEC.pattern("d")
    assert re.match(pattern, CODEC.encode("d", 9))
    assert not re.match(pattern, CODEC.encode("dx", 9))
    assert not re.match(pattern, CODEC.encode("ack", 9))


def test_when_the_secret_is_too_short_then_the_codec_refuses_it() -> None:
    with pytest.raises(ValueError):
        CallbackCodec(b"")
