"""Link verdicts: official, shortened, lookalike (P14 domain part) and unknown."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.checking.findings import LinkStatus
from bot.checking.links import LinkAnalyzer
from bot.checking.seed import load_source_seed
from bot.checking.sources import (
    SourceEntry,
    SourceKind,
    SourceRegistry,
    is_public_suffix,
    public_suffix_list,
    to_ascii_host,
)

SEED = Path(__file__).parents[3] / "config" / "sources.yaml"
K = SourceKind
EXTRA = [  # example entries beside the seed, to cover subdomain entries and other names
    SourceEntry(K.DOMAIN, "ppid.jakarta.go.id", "PPID Provinsi DKI Jakarta"),
    SourceEntry(K.DOMAIN, "kominfo.go.id", "Kementerian Kominfo"),
    SourceEntry(K.TELEGRAM_CHANNEL, "-1001234567890", "Kanal Pemprov DKI"),
]
REGISTRY = SourceRegistry([*load_source_seed(SEED), *EXTRA])
ANALYZER = LinkAnalyzer(REGISTRY)
PROTECTED = sorted(
    e.value for e in REGISTRY.entries() if e.kind == K.DOMAIN and not is_public_suffix(e.value)
)


@pytest.mark.parametrize(
    ("url", "host", "source"),
    [
        ("jakarta.go.id/abc", "jakarta.go.id", "Portal Pemerintah Provinsi DKI Jakarta"),
        ("https://Jakarta.go.id./a", "jakarta.go.id", "Portal Pemerintah Provinsi DKI Jakarta"),
        ("http://bkd.jakarta.go.id:8080/x", "bkd.jakarta.go.id", "Portal Pemerintah"),  # port
        ("http:jakarta.go.id", "jakarta.go.id", "Portal Pemerintah"),  # browsers accept this
        ("https://ｊａｋａｒｔａ.go.id", "jakarta.go.id", "Portal Pemerintah"),  # fullwidth = same
        ("ppid.jakarta.go.id/info", "ppid.jakarta.go.id", "PPID"),  # the most specific entry
        ("jalahoaks.jakarta.go.id", "jalahoaks.jakarta.go.id", "Jala Hoaks"),
        ("bps.go.id", "bps.go.id", "Domain pemerintah"),  # every ASCII name under go.id
        ("jakarta.bps.go.id", "jakarta.bps.go.id", "Domain pemerintah"),
        ("kemenpan.go.id/berita", "kemenpan.go.id", "Domain pemerintah"),
        ("iakarta.go.id", "iakarta.go.id", "Domain pemerintah"),  # only registrars of go.id
        ("https://www.sanapati.net/", "www.sanapati.net", "Sanapati"),
        ("beritajakarta.id/read/1", "beritajakarta.id", "Berita Jakarta"),
        ("https://www.instagram.com/dkijakarta/", "www.instagram.com", "Instagram Pemprov"),
        ("https://x.com/DKIJakarta/status/1", "x.com", "X (Twitter) Pemprov"),
        ("twitter.com/dkijakarta", "twitter.com", "X (Twitter) Pemprov"),  # same account
        ("https://www.youtube.com/@PemprovDKIJakarta", "www.youtube.com", "YouTube Pemprov"),
        ("https://www.tiktok.com/@dkijakarta/video/1", "www.tiktok.com", "TikTok Pemprov"),
        ("https://t.me/c/1234567890/55", "t.me", "Kanal Pemprov DKI"),  # private link has the id
    ],
)
def test_when_link_is_under_an_official_source_then_it_is_official_and_named(
    url: str, host: str, source: str
) -> None:
    report = ANALYZER.analyze(url)
    assert report.status == LinkStatus.OFFICIAL
    assert report.host == host
    assert report.source_name is not None and report.source_name.startswith(source)
    assert report.imitates is None


@pytest.mark.parametrize(
    "url",
    ["bit.ly/abc", "https://s.id/bansos", "tinyurl.com/x", "https://www.bit.ly/x", "t.co/1"],
)
def test_when_link_is_shortened_then_it_says_it_cannot_be_verified_offline(url: str) -> None:
    report = ANALYZER.analyze(url)
    assert report.status == LinkStatus.SHORTENED
    assert report.reason is not None and "offline" in report.reason


def test_when_custom_shorteners_are_given_then_only_they_count() -> None:
    analyzer = LinkAnalyzer(REGISTRY, shorteners=frozenset({"pendek.id"}))
    assert analyzer.analyze("pendek.id/x").status == LinkStatus.SHORTENED
    assert analyzer.analyze("bit.ly/x").status == LinkStatus.UNKNOWN


@pytest.mark.parametrize(
    ("url", "imitates"),
    [
        ("jakarta-go-id.com", "jakarta.go.id"),  # dots turned into hyphens
        ("https://jakartagoid.com/login", "jakarta.go.id"),  # dots removed
        ("jakarta.go.id.bansos-2026.xyz", "jakarta.go.id"),  # official name as a subdomain
        ("bkd-jakarta.go-id.info", "jakarta.go.id"),
        ("jakarta-go.id", "jakarta.go.id"),  # under .id, not under go.id
        ("jakarta.go.id-bansos.com", "jakarta.go.id"),
        ("jakartta.go.id.xyz", "jakarta.go.id"),  # one letter more, then appended
        ("jakarta.g0.id", "jakarta.go.id"),  # leet digit outside go.id
        ("jakarta.co.id", "jakarta.go.id"),  # one letter off
        ("http://jаkarta.go.id", "jakarta.go.id"),  # Cyrillic а: IDN under go.id
        ("http://xn--jkarta-3nf.go.id", "jakarta.go.id"),  # the same, as punycode
        ("https://jakarta.go.id@jakarta-go-id.xyz/", "jakarta.go.id"),  # userinfo trick
        ("https://ppid-jakarta.go.id.login.info", "ppid.jakarta.go.id"),
        ("beritajakarta.com", "beritajakarta.id"),  # the same name, other TLD
        ("berita-jakarta.co", "beritajakarta.id"),
        ("sanapati-mail.com", "sanapati.net"),
        ("bansos.go.id.info", "go.id"),  # the government suffix used elsewhere
        ("kemensos-go-id.com", "go.id"),
        ("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.jakartta.go.id.xyz", "jakarta.go.id"),  # long host
    ],
)
def test_when_link_imitates_an_official_domain_then_it_is_a_lookalike(
    url: str, imitates: str
) -> None:
    report = ANALYZER.analyze(url)
    assert report.status == LinkStatus.LOOKALIKE
    assert report.imitates == imitates
    assert report.reason


def test_when_host_is_internationalized_then_report_shows_unicode_and_names_punycode() -> None:
    report = ANALYZER.analyze("http://xn--jkarta-3nf.go.id/bansos")
    assert report.host == "jаkarta.go.id"
    assert report.reason is not None and "punycode xn--jkarta-3nf.go.id" in report.reason


@pytest.mark.parametrize(
    "url",
    [
        "kompas.com",
        "https://www.detik.com/news/1",
        "google.com",
        "https://youtube.com/watch?v=1",
        "instagram.com",
        "https://wa.me/628123",
        "t.me",
        "jakarta.com",  # a real site that is not the government: a city name is not enough
        "tempo.co",
        "https://www.cnnindonesia.com/nasional",
        "https://www.thejakartapost.com/",
        "jakartapost.com",
        "linktr.ee/dkijakarta",  # a page, not a redirect
        "mongoid.org",  # "goid" inside a word is not go.id
        "google.co.id",
    ],
)
def test_when_domain_is_unrelated_then_it_is_not_flagged(url: str) -> None:
    report = ANALYZER.analyze(url)
    assert report.status == LinkStatus.UNKNOWN
    assert report.imitates is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://1.2.3.4/login", "IP address"),
        ("http://[2001:db8::1]/", "IP address"),
        ("http://2130706433/", "numeric address"),
        ("mailto:admin@jakarta.go.id", "not a web link"),
        ("javascript:alert(1)", "not a web link"),
        ("http://", "no valid host"),
        ("http://exa mple..com", "no valid host"),
        ("intranet", "not a public domain"),
        ("t.me/dkijakarta", "usernames are labels"),  # a username proves nothing
        ("t.me/c/1111111111/2", "not registered"),  # an unregistered channel id
        ("instagram.com/dkijakarta_asli", "not in the registry"),
    ],
)
def test_when_link_cannot_be_judged_then_it_is_unknown_with_a_reason(url: str, reason: str) -> None:
    report = ANALYZER.analyze(url)
    assert report.status == LinkStatus.UNKNOWN
    assert report.reason is not None and reason in report.reason


def test_when_link_was_a_text_link_then_the_report_keeps_that() -> None:
    report = ANALYZER.analyze("https://jakarta-go-id.com", from_text_link=True)
    assert report.from_text_link is True
    assert report.url == "https://jakarta-go-id.com"


def test_when_backslash_hides_the_real_host_then_the_browser_host_is_used() -> None:
    # Browsers read "\" as "/", so the link opens evil.xyz, not jakarta.go.id.
    report = ANALYZER.analyze("https://evil.xyz\\@jakarta.go.id/")
    assert report.host == "evil.xyz"
    assert report.status != LinkStatus.OFFICIAL


def test_when_suffix_list_is_built_then_no_network_or_disk_cache_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    public_suffix_list.cache_clear()
    try:
        extractor = public_suffix_list()
        assert extractor("ppid.jakarta.go.id").suffix == "go.id"
        assert extractor.suffix_list_urls == ()
        assert extractor._cache.enabled is False
    finally:
        public_suffix_list.cache_clear()


# --- P14, domain part: generated variants of every registry domain ---------------------------

_HOMOGLYPHS = {"a": "аα", "c": "сϲ", "e": "еε", "i": "іι", "j": "ј", "o": "оο", "p": "рρ",
               "s": "ѕ", "x": "хχ", "y": "у", "k": "кκ", "h": "һ", "n": "ո", "d": "ԁ"}  # fmt: skip
_LEET = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7", "l": "1"}


def _homoglyph_variants(domain: str) -> set[str]:
    variants = set()
    for i, ch in enumerate(domain):
        for glyph in _HOMOGLYPHS.get(ch, ""):
            unicode_host = domain[:i] + glyph + domain[i + 1 :]
            variants |= {unicode_host, "http://" + unicode_host.encode("idna").decode()}
    return variants


def _skeleton_variants(domain: str) -> set[str]:
    variants = {domain.replace(".", "-") + ".com", domain.replace(".", "") + ".com"}
    for i, ch in enumerate(domain):
        if ch == ".":
            variants.add(domain[:i] + "-" + domain[i + 1 :])
            variants.add(domain[:i] + domain[i + 1 :])
        if ch in _LEET:
            variants.add(domain[:i] + _LEET[ch] + domain[i + 1 :])
    tails = (".xyz", ".id.xyz", "-login.com", ".bansos-2026.info")
    variants |= {domain + tail for tail in tails}
    variants |= {f"secure-{domain}.info", f"www.{domain}.evil.net"}
    return variants


def _edit_variants(domain: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz0123456789-."
    edits = {domain[:i] + domain[i + 1 :] for i in range(len(domain))}
    edits |= {
        domain[:i] + domain[i + 1] + domain[i] + domain[i + 2 :] for i in range(len(domain) - 1)
    }
    for i in range(len(domain) + 1):
        edits |= {domain[:i] + c + domain[i:] for c in letters}
        edits |= {domain[:i] + c + domain[i + 1 :] for c in letters if i < len(domain)}
    return edits - {domain}


def _must_be_flagged(host_or_url: str) -> bool:
    """A variant that still lands under an official domain is that domain, not an imitation
    (ASCII names under go.id, any name under jakarta.go.id)."""
    try:
        ascii_host = to_ascii_host(host_or_url.removeprefix("http://"))
    except ValueError:
        return False
    return REGISTRY.official_domain(ascii_host) is None


@pytest.mark.parametrize("make", [_homoglyph_variants, _skeleton_variants, _edit_variants])
def test_when_registry_domain_is_disguised_then_every_variant_is_flagged(
    make: Callable[[str], set[str]],
) -> None:
    variants = {v for domain in PROTECTED for v in make(domain) if _must_be_flagged(v)}
    assert len(variants) > 20
    missed = sorted(v for v in variants if ANALYZER.analyze(v).status != LinkStatus.LOOKALIKE)
    assert missed == []


def test_when_variants_are_flagged_then_they_name_an_official_domain() -> None:
    known = {e.value for e in REGISTRY.entries() if e.kind == K.DOMAIN}
    for domain in PROTECTED:
        for variant in _homoglyph_variants(domain) | _skeleton_variants(domain):
            report = ANALYZER.analyze(variant)
            if report.status == LinkStatus.LOOKALIKE:
                assert report.imitates in known, variant


def test_when_official_domains_are_checked_then_none_is_flagged() -> None:
    hosts = [e.value for e in REGISTRY.entries() if e.kind == K.DOMAIN]
    hosts += [f"www.{h}" for h in hosts] + [f"https://{h}/path?q=1" for h in hosts]
    reports = [ANALYZER.analyze(h) for h in hosts]
    assert [r.url for r in reports if r.status != LinkStatus.OFFICIAL] == []


# --- never raises ------------------------------------------------------------------------------

_URLISH = st.builds(
    lambda scheme, host, rest: scheme + host + rest,
    st.sampled_from(["", "http://", "https://", "//", "HTTP://", "ftp://", "http:", "x:"]),
    st.text(alphabet=st.sampled_from(list("jakarta.go-id@:[]%0аοѕ\\/?#。ｊ \u200b")), max_size=40),
    st.text(max_size=20),
)


@given(st.one_of(st.text(max_size=200), _URLISH))
def test_when_text_is_arbitrary_then_analyze_never_raises(text: str) -> None:
    report = ANALYZER.analyze(text)
    assert report.url == text
    assert report.status in set(LinkStatus)
