"""The official-source registry: who counts as official, looked up by stable identifiers.

Only identifiers that cannot be copied decide "official": a Telegram chat id, a domain under
DNS control, a platform handle. Titles and usernames are labels anybody can re-use (P12), and a
message with no origin or a hidden sender can never be official (P13).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

import tldextract

from bot.checking.findings import ForwardOrigin, OriginKind, Provenance, ProvenanceStatus


class SourceKind(StrEnum):
    DOMAIN = "domain"
    TELEGRAM_CHANNEL = "telegram_channel"
    SOCIAL_ACCOUNT = "social_account"
    EMAIL_DOMAIN = "email_domain"
    SMS_SENDER = "sms_sender"


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One registered official source; `seed` marks entries Diskominfotik has not confirmed."""

    kind: SourceKind
    value: str
    name: str
    owner_unit: str | None = None
    seed: bool = False


SOCIAL_PLATFORMS = frozenset(
    {"instagram", "x", "twitter", "facebook", "youtube", "tiktok", "threads"}
)

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_CHANNEL_ID = re.compile(r"-[1-9][0-9]{0,18}")
_HANDLE = re.compile(r"[a-z0-9._-]{1,100}")
_SMS_SENDER = re.compile(r"[A-Z0-9]{3,11}")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


@functools.cache
def public_suffix_list() -> tldextract.TLDExtract:
    """The bundled PSL snapshot: no fetch, no disk cache, so start-up never touches the network."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def to_ascii_host(host: str) -> str:
    """Lowercase, drop trailing dots and IDNA-encode, the form DNS and browsers actually use.

    Raises ValueError when the result is not a valid hostname.
    """
    host = host.strip().translate(_DOTS).lower().rstrip(".")
    if not host:
        raise ValueError("empty host name")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError(f"{host!r} is not a valid host name (empty or too long label)") from exc
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{host!r} is not a valid host name")
    return ascii_host


def to_unicode_host(ascii_host: str) -> str:
    """Human-readable form of a punycode host; labels that do not decode stay as they are."""
    labels = []
    for label in ascii_host.split("."):
        try:
            labels.append(label.encode("ascii").decode("idna") if label else label)
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def is_public_suffix(ascii_host: str) -> bool:
    """True for a bare suffix such as "go.id": an entry that covers a whole namespace."""
    parts = public_suffix_list()(ascii_host)
    return not parts.domain and bool(parts.suffix)


def parent_domains(ascii_host: str) -> list[str]:
    """The host and each parent, most specific first ("a.b.c" -> a.b.c, b.c, c)."""
    labels = ascii_host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _normalize_domain(value: str) -> str:
    text = value.strip().lower()
    text = _SCHEME.sub("", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    if "@" in text:
        raise ValueError(f"{value!r}: give the domain only, for example jakarta.go.id")
    if text.startswith("["):
        raise ValueError(f"{value!r}: an IP address is not a domain")
    text = re.sub(r":[0-9]*$", "", text)
    host = to_ascii_host(text)
    if re.fullmatch(r"[0-9.]+", host):
        raise ValueError(f"{value!r}: an IP address is not a domain")
    if "." not in host:
        raise ValueError(f"{value!r}: a top-level domain alone cannot be an official source")
    if not public_suffix_list()(host).suffix:
        raise ValueError(f"{value!r}: the domain does not end in a known public suffix")
    return host


def _normalize_channel(value: str) -> str:
    text = value.strip()
    if not _CHANNEL_ID.fullmatch(text):
        raise ValueError(
            f"{value!r}: telegram_channel takes numeric chat ids only (like -1001234567890);"
            " usernames and titles can be taken over by anybody"
        )
    return text


def _normalize_social(value: str) -> str:
    platform, sep, handle = value.strip().partition(":")
    platform = platform.strip().lower()
    handle = handle.strip().lstrip("@").lower()
    if not sep or platform not in SOCIAL_PLATFORMS:
        names = ", ".join(sorted(SOCIAL_PLATFORMS))
        raise ValueError(f"{value!r}: social_account is platform:handle with platform in {names}")
    if not _HANDLE.fullmatch(handle):
        raise ValueError(f"{value!r}: the handle may only hold letters, digits, '.', '_' or '-'")
    return f"{'x' if platform == 'twitter' else platform}:{handle}"


def _normalize_email_domain(value: str) -> str:
    text = value.strip()
    return _normalize_domain(text[1:] if text.startswith("@") else text)


def _normalize_sms_sender(value: str) -> str:
    text = value.strip().upper()
    if not _SMS_SENDER.fullmatch(text):
        raise ValueError(f"{value!r}: sms_sender is 3 to 11 letters or digits, like PEMPROVDKI")
    return text


_NORMALIZERS = {
    SourceKind.DOMAIN: _normalize_domain,
    SourceKind.TELEGRAM_CHANNEL: _normalize_channel,
    SourceKind.SOCIAL_ACCOUNT: _normalize_social,
    SourceKind.EMAIL_DOMAIN: _normalize_email_domain,
    SourceKind.SMS_SENDER: _normalize_sms_sender,
}


def normalize_source_value(kind: SourceKind, value: str) -> str:
    """The canonical form stored and compared; ValueError says what an admin typed wrong.

    "twitter:" handles are stored as "x:" so one account is one entry whichever name is used.
    """
    return _NORMALIZERS[SourceKind(kind)](value)


class SourceRegistry:
    """In-memory lookups over the registry; values are re-normalized so lookups never miss.

    A later entry with the same kind and value replaces an earlier one, so database entries
    loaded after the seed file win over seeds.
    """

    def __init__(self, entries: Iterable[SourceEntry]) -> None:
        merged: dict[tuple[SourceKind, str], SourceEntry] = {}
        for entry in entries:
            value = normalize_source_value(entry.kind, entry.value)
            merged[(entry.kind, value)] = replace(entry, value=value)
        self._entries = tuple(merged.values())
        self._by_kind: dict[SourceKind, dict[str, SourceEntry]] = {k: {} for k in SourceKind}
        for (kind, value), entry in merged.items():
            self._by_kind[kind][value] = entry
        self._namespaces = frozenset(
            e.value
            for e in self._entries
            if e.kind in (SourceKind.DOMAIN, SourceKind.EMAIL_DOMAIN) and is_public_suffix(e.value)
        )

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> tuple[SourceEntry, ...]:
        return self._entries

    def official_channel(self, chat_id: int) -> SourceEntry | None:
        return self._by_kind[SourceKind.TELEGRAM_CHANNEL].get(str(chat_id))

    def official_domain(self, host: str) -> SourceEntry | None:
        """The most specific domain entry covering `host`; parents are matched whole labels.

        A bare-suffix entry (go.id) covers ASCII names only: an internationalized name under
        it (`jаkarta.go.id` with a Cyrillic а) is how a lookalike would sneak in.
        """
        return self._covering(SourceKind.DOMAIN, host)

    def official_email_domain(self, domain: str) -> SourceEntry | None:
        return self._covering(SourceKind.EMAIL_DOMAIN, domain.rpartition("@")[2])

    def official_social(self, platform: str, handle: str) -> SourceEntry | None:
        try:
            value = normalize_source_value(SourceKind.SOCIAL_ACCOUNT, f"{platform}:{handle}")
        except ValueError:
            return None
        return self._by_kind[SourceKind.SOCIAL_ACCOUNT].get(value)

    def search(self, word: str, limit: int = 10) -> list[SourceEntry]:
        needle = word.strip().casefold()
        found = [
            e for e in self._entries if needle in e.name.casefold() or needle in e.value.casefold()
        ]
        return found[: max(limit, 0)]

    def provenance(self, origin: ForwardOrigin | None) -> Provenance:
        """Official only for a channel or group whose numeric id is registered (P12, P13)."""
        if origin is None or origin.kind == OriginKind.HIDDEN_USER:
            return Provenance(ProvenanceStatus.UNVERIFIABLE, origin)
        if origin.kind in (OriginKind.CHANNEL, OriginKind.CHAT) and origin.chat_id is not None:
            entry = self.official_channel(origin.chat_id)
            if entry is not None:
                return Provenance(ProvenanceStatus.OFFICIAL, origin, entry.name)
        return Provenance(ProvenanceStatus.UNREGISTERED, origin)

    def _covering(self, kind: SourceKind, host: str) -> SourceEntry | None:
        try:
            ascii_host = to_ascii_host(host)
        except ValueError:
            return None
        table = self._by_kind[kind]
        for candidate in parent_domains(ascii_host):
            if candidate in table:
                below = ascii_host[: -len(candidate)]
                if candidate in self._namespaces and "xn--" in below:
                    return None
                return table[candidate]
        return None
