"""Buttons under the checking reply: which appear for which verdict, and what they carry."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checking import Verdict
from bot.telegram.callbacks import CALLBACK_DATA_LIMIT, MAX_REF, CallbackCodec
from bot.telegram.keyboards import check_keyboard

CODEC = CallbackCodec(b"k" * 32)

LAYOUTS = [
    # nothing found: only the details
    (Verdict.OK, False, [["🔎 Detail"]]),
    (Verdict.UNVERIFIED, False, [["🔎 Detail"]]),
    # reporting is about a finding, so it never shows without one
    (Verdict.UNVERIFIED, True, [["🔎 Detail"]]),
    # a finding: feedback on it
    (Verdict.VIOLATION, False, [["🔎 Detail"], ["⚠️ Deteksi keliru"]]),
    # a reportable finding: feedback and report side by side
    (Verdict.VIOLATION, True, [["🔎 Detail"], ["⚠️ Deteksi keliru", "📣 Laporkan ke pimpinan"]]),
]


@pytest.mark.parametrize(("verdict", "can_report", "labels"), LAYOUTS)
def test_when_a_check_has_a_verdict_then_the_matching_buttons_appear(
    verdict: Verdict, can_report: bool, labels: list[list[str]]
) -> None:
    markup = check_keyboard(CODEC, 77, verdict, can_report=can_report)
    assert [[button.text for button in row] for row in markup.inline_keyboard] == labels


def test_when_buttons_are_pressed_then_each_names_its_action_for_this_check() -> None:
    markup = check_keyboard(CODEC, 77, Verdict.VIOLATION, can_report=True)
    decoded = [CODEC.decode(b.callback_data) for row in markup.inline_keyboard for b in row]
    assert decoded == [("d", 77), ("f", 77), ("r", 77)]


@settings(max_examples=200, deadline=None)
@given(
    check_id=st.integers(1, MAX_REF),
    verdict=st.sampled_from(Verdict),
    can_report=st.booleans(),
)
def test_when_any_check_gets_buttons_then_every_callback_data_fits_64_bytes(
    check_id: int, verdict: Verdict, can_report: bool
) -> None:
    markup = check_keyboard(CODEC, check_id, verdict, can_report=can_report)
    for row in markup.inline_keyboard:
        for button in row:
            assert isinstance(button.callback_data, str)
            assert len(button.callback_data.encode("utf-8")) <= CALLBACK_DATA_LIMIT
            assert CODEC.decode(button.callback_data) is not None
