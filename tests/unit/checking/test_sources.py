"""The official-source registry: canonical values, lookups by stable ids, provenance (P12, P13)."""

from __future__ import annotations

import pytest

from bot.checking.findings import ForwardOrigin, OriginKind, ProvenanceStatus
from bot.checking.sources import (
    SourceEntry,
    SourceKind,
    SourceRegistry,
    normalize_source_value,
)

K = SourceKind
OFFICIAL_CHANNEL = -1001234567890
OTHER_CHANNEL = -1009876543210


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (K.DOMAIN, "jakarta.go.id", "jakarta.go.id"),
        (K.DOMAIN, "  Jakarta.GO.id. ", "jakarta.go.id"),  # case, blanks, trailing dot
        (K.DOMAIN, "https://ppid.jakarta.go.id:443/path?q=1", "ppid.jakarta.go.id"),  # a URL
        (K.DOMAIN, "go.id", "go.id"),  # the government suffix itself
        (K.DOMAIN, "jаkarta.go.id", "xn--jkarta-3nf.go.id"),  # Unicode in, punycode out
        (K.DOMAIN, "XN--JKARTA-3NF.go.id", "xn--jkarta-3nf.go.id"),  # punycode stays
        (K.EMAIL_DOMAIN, "@Sanapati.NET", "sanapati.net"),  # leading @ of an address
        (K.TELEGRAM_CHANNEL, " -1001234567890 ", "-1001234567890"),  # channel id
        (K.TELEGRAM_CHANNEL, "-4012345678", "-4012345678"),  # a basic group id
        (K.SOCIAL_ACCOUNT, "Instagram:@DKIJakarta", "instagram:dkijakarta"),  # @ and case
        (K.SOCIAL_ACCOUNT, "twitter:DKIJakarta", "x:dkijakarta"),  # one name for X
        (K.SOCIAL_ACCOUNT, "youtube:pemprov.dki-jakarta", "youtube:pemprov.dki-jakarta"),
        (K.SMS_SENDER, "pemprovdki", "PEMPROVDKI"),  # uppercased
        (K.SMS_SENDER, "1500", "1500"),  # numeric short code
    ],
)
def test_when_value_is_acceptable_then_it_is_stored_in_canonical_form(
    kind: SourceKind, value: str, expected: str
) -> None:
    assert normalize_source_value(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (K.DOMAIN, "", "empty host"),  # nothing typed
        (K.DOMAIN, "id", "top-level domain alone"),  # would make every .id official
        (K.DOMAIN, "intranet.local", "public suffix"),  # not a public name
        (K.DOMAIN, "10.0.0.1", "IP address"),  # an address, not a name
        (K.DOMAIN, "[::1]", "IP address"),  # IPv6 literal
        (K.DOMAIN, "admin@jakarta.go.id", "domain only"),  # an address, not a domain
        (K.DOMAIN, "jakarta..go.id", "not a valid host name"),  # empty label
        (K.DOMAIN, "jakarta go.id", "not a valid host name"),  # blank inside
        (K.DOMAIN, "-jakarta.go.id", "not a valid host name"),  # leading hyphen
        (K.TELEGRAM_CHANNEL, "@dkijakarta", "numeric chat ids only"),  # a username
        (K.TELEGRAM_CHANNEL, "dkijakarta", "numeric chat ids only"),  # a title
        (K.TELEGRAM_CHANNEL, "1001234567890", "numeric chat ids only"),  # positive: a person
        (K.SOCIAL_ACCOUNT, "dkijakarta", "platform:handle"),  # platform missing
        (K.SOCIAL_ACCOUNT, "myspace:dki", "platform:handle"),  # unknown platform
        (K.SOCIAL_ACCOUNT, "instagram:", "handle"),  # handle missing
        (K.SOCIAL_ACCOUNT, "instagram:dki jakarta", "handle"),  # blank inside handle
        (K.SMS_SENDER, "AB", "3 to 11"),  # too short
        (K.SMS_SENDER, "PEMPROVDKIJKT", "3 to 11"),  # too long
        (K.SMS_SENDER, "DKI-JKT", "3 to 11"),  # punctuation
    ],
)
def test_when_value_is_bad_then_error_says_what_is_wrong(
    kind: SourceKind, value: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_source_value(kind, value)


def _registry() -> SourceRegistry:
    return SourceRegistry(
        [
            SourceEntry(K.DOMAIN, "Jakarta.go.id", "Portal Pemprov DKI"),
            SourceEntry(K.DOMAIN, "go.id", "Domain pemerintah", seed=True),
            SourceEntry(K.DOMAIN, "jalahoaks.jakarta.go.id", "Jala Hoaks"),
            SourceEntry(K.EMAIL_DOMAIN, "sanapati.net", "Sanapati"),
            SourceEntry(K.TELEGRAM_CHANNEL, str(OFFICIAL_CHANNEL), "Kanal Pemprov DKI"),
            SourceEntry(K.SOCIAL_ACCOUNT, "instagram:dkijakarta", "Instagram Pemprov DKI"),
            SourceEntry(K.SOCIAL_ACCOUNT, "twitter:dkijakarta", "X Pemprov DKI"),
        ]
    )


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("jakarta.go.id", "Portal Pemprov DKI"),  # the entry itself
        ("PPID.Jakarta.go.id.", "Portal Pemprov DKI"),  # subdomain, case, trailing dot
        ("jalahoaks.jakarta.go.id", "Jala Hoaks"),  # the most specific entry wins
        ("bps.go.id", "Domain pemerintah"),  # covered by the go.id suffix entry
        ("jakarta.bps.go.id", "Domain pemerintah"),  # deep under go.id
        ("evil-jakarta.go.id.com", None),  # label boundary: not under jakarta.go.id
        ("xjakarta.go.id.evil.xyz", None),  # official name as a subdomain of another
        ("go.id.com", None),
        ("jаkarta.go.id", None),  # Cyrillic а: go.id covers ASCII names only
        ("xn--jkarta-3nf.go.id", None),  # the same as punycode
        ("xn--ppd-xyz.jakarta.go.id", "Portal Pemprov DKI"),  # jakarta.go.id owns its names
        ("not a host", None),  # garbage never raises
    ],
)
def test_when_host_is_looked_up_then_only_covering_entries_match(
    host: str, name: str | None
) -> None:
    entry = _registry().official_domain(host)
    assert (entry.name if entry else None) == name


def test_when_email_address_domain_is_registered_then_it_is_official() -> None:
    registry = _registry()
    assert registry.official_email_domain("admin@sanapati.net") is not None
    assert registry.official_email_domain("sanapati.net.evil.xyz") is None


@pytest.mark.parametrize(
    ("platform", "handle", "name"),
    [
        ("instagram", "@DKIJakarta", "Instagram Pemprov DKI"),  # @ and case ignored
        ("twitter", "dkijakarta", "X Pemprov DKI"),  # twitter and x are one platform
        ("x", "dkijakarta", "X Pemprov DKI"),
        ("instagram", "dkijakarta_official", None),  # a different handle
        ("facebook", "dkijakarta", None),  # same handle on an unregistered platform
        ("myspace", "dkijakarta", None),  # unknown platform never raises
    ],
)
def test_when_social_account_is_looked_up_then_platform_and_handle_must_match(
    platform: str, handle: str, name: str | None
) -> None:
    entry = _registry().official_social(platform, handle)
    assert (entry.name if entry else None) == name


def test_when_same_value_is_added_twice_then_the_later_entry_wins() -> None:
    registry = SourceRegistry(
        [
            SourceEntry(K.DOMAIN, "jakarta.go.id", "seed name", seed=True),
            SourceEntry(K.DOMAIN, "JAKARTA.GO.ID", "confirmed name"),
        ]
    )
    assert len(registry) == 1
    assert registry.entries()[0].name == "confirmed name"
    assert registry.entries()[0].seed is False


def test_when_searching_then_name_and_value_match_case_insensitively() -> None:
    registry = _registry()
    assert [e.name for e in registry.search("HOAKS")] == ["Jala Hoaks"]
    assert {e.name for e in registry.search("sanapati")} == {"Sanapati"}
    assert len(registry.search("a", limit=2)) == 2


def test_when_entry_value_is_not_canonical_then_registry_refuses_it() -> None:
    with pytest.raises(ValueError, match="numeric chat ids only"):
        SourceRegistry([SourceEntry(K.TELEGRAM_CHANNEL, "@dkijakarta", "Kanal")])


# P12: only the registered numeric id makes a forward official.
@pytest.mark.parametrize(
    ("origin", "status"),
    [
        # the official channel, by id
        (ForwardOrigin(OriginKind.CHANNEL, chat_id=OFFICIAL_CHANNEL), ProvenanceStatus.OFFICIAL),
        # the same title on another channel id
        (
            ForwardOrigin(OriginKind.CHANNEL, chat_id=OTHER_CHANNEL, title="Kanal Pemprov DKI"),
            ProvenanceStatus.UNREGISTERED,
        ),
        # the official username re-registered by another id
        (
            ForwardOrigin(OriginKind.CHANNEL, chat_id=OTHER_CHANNEL, username="dkijakarta"),
            ProvenanceStatus.UNREGISTERED,
        ),
        # a post forwarded from an unregistered group
        (
            ForwardOrigin(OriginKind.CHAT, chat_id=-1005555555555, title="Grup ASN"),
            ProvenanceStatus.UNREGISTERED,
        ),
        # a person is never an official source, even with the channel's name
        (
            ForwardOrigin(OriginKind.USER, user_id=12345, sender_name="Kanal Pemprov DKI"),
            ProvenanceStatus.UNREGISTERED,
        ),
        # a channel origin with no id
        (
            ForwardOrigin(OriginKind.CHANNEL, title="Kanal Pemprov DKI"),
            ProvenanceStatus.UNREGISTERED,
        ),
    ],
)
def test_when_forward_origin_is_checked_then_only_registered_ids_are_official(
    origin: ForwardOrigin, status: ProvenanceStatus
) -> None:
    provenance = _registry().provenance(origin)
    assert provenance.status == status
    assert provenance.origin == origin
    assert (provenance.source_name is not None) == (status == ProvenanceStatus.OFFICIAL)


def test_when_registered_group_id_forwards_then_it_is_official() -> None:
    registry = SourceRegistry([SourceEntry(K.TELEGRAM_CHANNEL, "-4012345678", "Grup resmi")])
    origin = ForwardOrigin(OriginKind.CHAT, chat_id=-4012345678)
    assert registry.provenance(origin).source_name == "Grup resmi"


# P13: hidden senders and copies are never official, whatever they are called.
@pytest.mark.parametrize(
    "origin",
    [
        ForwardOrigin(OriginKind.HIDDEN_USER, sender_name="Kanal Pemprov DKI"),
        ForwardOrigin(OriginKind.HIDDEN_USER, sender_name="dkijakarta"),
        ForwardOrigin(OriginKind.HIDDEN_USER, chat_id=OFFICIAL_CHANNEL),  # id never trusted
        None,  # a copied or typed message
    ],
)
def test_when_origin_is_hidden_or_missing_then_source_cannot_be_verified(
    origin: ForwardOrigin | None,
) -> None:
    provenance = _registry().provenance(origin)
    assert provenance.status == ProvenanceStatus.UNVERIFIABLE
    assert provenance.source_name is None
