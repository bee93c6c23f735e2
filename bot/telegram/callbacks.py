"""Signed `callback_data` for inline buttons.

Telegram hands `callback_data` back exactly as the client sends it, and any client can send
anything (RELIABILITY.md P11), so a button only names an action and a row id, and carries a MAC
over both. Freshness and permission are the handlers' job; this module only answers "did we
issue exactly this (action, ref)?".

Format: `<action>:<ref>:<mac>` with `ref` as 8 big-endian bytes and `mac` as the first 12 bytes
of HMAC-SHA256, both unpadded base64url: at most 8 + 1 + 11 + 1 + 16 = 37 ASCII bytes, well
under Telegram's 64. Decoding accepts only the one canonical spelling of each value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8, Telegram's limit
MAX_REF = 2**63 - 1  # a signed BIGINT primary key
_REF_BYTES = 8
_MAC_BYTES = 12
_ACTION = re.compile(r"[A-Za-z0-9_]{1,8}")
_DATA = re.compile(r"([A-Za-z0-9_]{1,8}):([A-Za-z0-9_-]{11}):([A-Za-z0-9_-]{16})")
_DOMAIN = b"saring-callback-v1"  # keeps these MACs apart from any other use of the secret


class CallbackCodec:
    """Encode and verify button data with a secret only the bot knows."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("callback secret must be at least 16 bytes")
        self._secret = secret

    def encode(self, action: str, ref: int) -> str:
        """Button data for `action` on row `ref`; raises ValueError on a programming error."""
        if not isinstance(action, str) or not _ACTION.fullmatch(action):
            raise ValueError(f"callback action must be 1-8 ASCII letters/digits/_: {action!r}")
        if isinstance(ref, bool) or not isinstance(ref, int) or not 1 <= ref <= MAX_REF:
            raise ValueError(f"callback ref must be an int in 1..2**63-1: {ref!r}")
        data = f"{action}:{_b64(ref.to_bytes(_REF_BYTES, 'big'))}:{_b64(self._mac(action, ref))}"
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT, data
        return data

    def decode(self, data: str | None) -> tuple[str, int] | None:
        """(action, ref) if we issued exactly `data`; None for anything else. Never raises."""
        if not isinstance(data, str) or len(data) > CALLBACK_DATA_LIMIT:
            return None
        match = _DATA.fullmatch(data)
        if match is None:
            return None
        action, ref_text, mac_text = match.groups()
        ref_bytes, mac = _unb64(ref_text), _unb64(mac_text)
        if ref_bytes is None or mac is None or len(ref_bytes) != _REF_BYTES:
            return None
        ref = int.from_bytes(ref_bytes, "big")
        if not 1 <= ref <= MAX_REF:
            return None
        if not hmac.compare_digest(mac, self._mac(action, ref)):
            return None
        return action, ref

    def pattern(self, action: str) -> str:
        """A regex for `CallbackQueryHandler(pattern=...)` selecting `action`'s buttons."""
        if not _ACTION.fullmatch(action):
            raise ValueError(f"callback action must be 1-8 ASCII letters/digits/_: {action!r}")
        return f"^{re.escape(action)}:"

    def _mac(self, action: str, ref: int) -> bytes:
        message = b"|".join((_DOMAIN, action.encode("ascii"), str(ref).encode("ascii")))
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Decode unpadded base64url; None unless `text` is the canonical spelling of the bytes.

    Without this check the unused low bits of the last character give several spellings of
    one value, so a changed character could still decode to a valid button.
    """
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _b64(raw) == text else None
