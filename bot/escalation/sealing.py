"""Sealing of case evidence: the only place a reported message's text is kept, encrypted.

The evidence packet (message text, forward origin, links, findings) is personal data under
UU PDP; a database dump or a backup must not disclose it (RELIABILITY P17). AES-256-GCM
authenticates as well as encrypts, so a packet altered in the database, or opened with another
deployment's key, is refused instead of being shown to an official as if it were genuine.

Layout of a sealed packet: 1 version byte, a 96-bit random nonce, then ciphertext and tag.
The version byte is also authenticated (associated data), so it cannot be swapped either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_INFO = b"saring/case-evidence/v1"
TOKEN_KEY_LABEL = b"saring/evidence-key/v1"

__all__ = ["EvidenceKeyError", "EvidenceSealer", "SealedEvidenceError", "sealer_key_material"]


class SealedEvidenceError(ValueError):
    """A sealed packet cannot be opened: altered, truncated, or sealed under another key."""


class EvidenceKeyError(RuntimeError):
    """No key material is configured, so evidence could not be sealed or read."""


class _KeySettings(Protocol):
    """The part of `bot.settings.Settings` the key comes from."""

    @property
    def evidence_key(self) -> SecretStr | None: ...

    @property
    def telegram_token(self) -> SecretStr | None: ...


def sealer_key_material(settings: _KeySettings) -> bytes:
    """SARING_EVIDENCE_KEY if set, else a key derived from the bot token.

    Deriving from the token keeps a pilot running without one more secret, but a token
    revoked in BotFather then makes the existing evidence unreadable: production sets
    SARING_EVIDENCE_KEY.
    """
    if settings.evidence_key is not None and settings.evidence_key.get_secret_value():
        return settings.evidence_key.get_secret_value().encode("utf-8")
    if settings.telegram_token is not None and settings.telegram_token.get_secret_value():
        token = settings.telegram_token.get_secret_value().encode("utf-8")
        return hmac.new(TOKEN_KEY_LABEL, token, hashlib.sha256).digest()
    raise EvidenceKeyError(
        "no key to seal case evidence: set SARING_EVIDENCE_KEY (or SARING_TELEGRAM_TOKEN)"
    )


class EvidenceSealer:
    """Seals and opens evidence packets (JSON objects) under one deployment key."""

    def __init__(self, key_material: bytes) -> None:
        if not key_material:
            raise EvidenceKeyError("evidence key material is empty")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO)
        self._aead = AESGCM(hkdf.derive(key_material))

    def seal(self, document: dict[str, Any]) -> bytes:
        """Encrypt a JSON-serialisable packet under a fresh random nonce."""
        plain = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        nonce = os.urandom(NONCE_BYTES)
        header = bytes([VERSION])
        return header + nonce + self._aead.encrypt(nonce, plain, header)

    def open(self, sealed: bytes) -> dict[str, Any]:
        """Decrypt and authenticate a packet; SealedEvidenceError when it cannot be trusted."""
        if len(sealed) < 1 + NONCE_BYTES + TAG_BYTES:
            raise SealedEvidenceError("sealed evidence is truncated")
        if sealed[0] != VERSION:
            raise SealedEvidenceError(f"sealed evidence has unknown format version {sealed[0]}")
        header, nonce = sealed[:1], sealed[1 : 1 + NONCE_BYTES]
        try:
            plain = self._aead.decrypt(nonce, sealed[1 + NONCE_BYTES :], header)
        except InvalidTag:
            raise SealedEvidenceError(
                "sealed evidence failed authentication: altered, or sealed with another key"
            ) from None
        document = json.loads(plain.decode("utf-8"))
        if not isinstance(document, dict):
            raise SealedEvidenceError("sealed evidence is not a JSON object")
        return document
