"""Inline keyboards under the checking reply.

Buttons carry signed data (see `callbacks`), never the message or anybody's name, so a button
reveals nothing and cannot be forged to act on another check.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.checking.findings import Verdict
from bot.telegram.callbacks import CallbackCodec
from bot.texts import id as texts

ACTION_DETAILS = "d"
ACTION_FALSE_POSITIVE = "f"
ACTION_REPORT = "r"
ACTION_SHARE_ANYWAY = "s"


def check_keyboard(
    codec: CallbackCodec,
    check_id: int,
    verdict: Verdict,
    *,
    can_report: bool = False,
    can_share_anyway: bool = False,
) -> InlineKeyboardMarkup:
    """Buttons for one check: details always; feedback and reporting only when rules fired.

    "Deteksi keliru" and "Laporkan" only make sense about a finding, which only a violation has.
    """
    rows = [[_button(codec, texts.BUTTON_DETAILS, ACTION_DETAILS, check_id)]]
    if verdict is Verdict.VIOLATION:
        second = [_button(codec, texts.BUTTON_FALSE_POSITIVE, ACTION_FALSE_POSITIVE, check_id)]
        if can_report:
            second.append(_button(codec, texts.BUTTON_REPORT, ACTION_REPORT, check_id))
        rows.append(second)
        if can_share_anyway:
            rows.append([_button(codec, texts.BUTTON_SHARE_ANYWAY, ACTION_SHARE_ANYWAY, check_id)])
    return InlineKeyboardMarkup(rows)


def _button(codec: CallbackCodec, label: str, action: str, ref: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=codec.encode(action, ref))
