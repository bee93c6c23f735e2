"""Verdicts on links: official, lookalike of an official domain, shortened, or unknown.

Hosts are compared the way a reader sees them: after IDNA, accents dropped, Cyrillic/Greek
letters that look Latin folded to Latin, leet digits folded, dots and hyphens removed. That
"skeleton" of `jаkarta.go.id` (Cyrillic а) and of `jakarta-go-id.com` both read `jakartagoid`,
which is what a phishing link counts on.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlsplit

import ahocorasick
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.checking.findings import LinkReport, LinkStatus
from bot.checking.normalize import fold_confusables
from bot.checking.sources import (
    SourceKind,
    SourceRegistry,
    is_public_suffix,
    parent_domains,
    public_suffix_list,
    to_ascii_host,
    to_unicode_host,
)

SHORTENERS = frozenset({
    "bit.ly", "bitly.com", "bit.do", "s.id", "tinyurl.com", "t.co", "goo.gl", "cutt.ly",
    "cutt.us", "shorturl.at", "shorturl.asia", "rebrand.ly", "ow.ly", "is.gd", "v.gd", "rb.gy",
    "lnkd.in", "t.ly", "tiny.cc", "buff.ly", "shorte.st", "adf.ly", "bl.ink", "soo.gd",
    "qr.ae", "dlvr.it", "gg.gg", "clck.ru", "surl.li", "u.to", "forms.gle", "tiny.one",
    "shrtco.de", "urlz.fr",
})  # fmt: skip
"""Redirectors whose target is invisible offline. Link-in-bio pages (linktr.ee) and
youtu.be are left out: their page or video is what the reader gets, not a hidden redirect."""

_SOCIAL_HOSTS = {
    "instagram.com": "instagram",
    "x.com": "x",
    "twitter.com": "x",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "youtube.com": "youtube",
    "tiktok.com": "tiktok",
    "threads.net": "threads",
    "threads.com": "threads",
}
_TELEGRAM_HOSTS = ("t.me", "telegram.me")

_LOOKALIKE_CHARS = {
    "a": "аαɑạ",
    "b": "Ьƅ",
    "c": "сϲ",
    "d": "ԁɗ",
    "e": "еєε",
    "g": "ɡց",
    "h": "һհ",
    "j": "јϳ",
    "k": "кκ",
    "l": "1|іıιӏɩΙ",
    "m": "м",
    "n": "ոη",
    "o": "0оοօσ",
    "p": "рρ",
    "q": "ԛզ",
    "s": "5ѕ",
    "t": "7τт",
    "u": "υսμ",
    "v": "νѵ",
    "w": "ԝω",
    "x": "хχ",
    "y": "уγ",
}
_FOLD = {ord(ch): latin for latin, chars in _LOOKALIKE_CHARS.items() for ch in chars}
_FOLD.update({ord("i"): "l", ord("3"): "e", ord("4"): "a"})
_SEPARATORS = re.compile(r"[.\-_]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):(?!\d)")


def host_skeleton(host: str) -> str:
    """What a reader sees: accents dropped and look-alike letters and digits folded to Latin.

    The shared `fold_confusables` does the Unicode-wide work; the small table here adds what
    only hostnames need (leet digits, i/l/1 as one letter) and a few letters it leaves alone.
    """
    text = fold_confusables(host.lower().translate(_FOLD)).translate(_FOLD)
    return text.replace("rn", "m").replace("vv", "w")


def _max_distance(key_length: int) -> int:
    return 2 if key_length >= 8 else 1 if key_length >= 6 else 0


_WINDOW = 8


def _spans(tokens: list[str], min_length: int, max_length: int) -> list[str]:
    """Concatenations of neighbouring tokens: the places an official name can hide in a host.

    A host of many labels is read at its first and last eight tokens, where imitations sit,
    so a hostile host of a hundred labels cannot cost more than an ordinary one.
    """
    n = _WINDOW
    windows = [tokens] if len(tokens) <= 2 * n else [tokens[:n], tokens[-n:]]
    spans: dict[str, None] = {}
    for window in windows:
        for start in range(len(window)):
            joined = ""
            for token in window[start:]:
                joined += token
                if len(joined) > max_length:
                    break
                if len(joined) >= min_length:
                    spans[joined] = None
    return list(spans)


class _LookalikeIndex:
    """Precomputed skeleton keys of the official domains, so a link costs one Aho-Corasick
    pass plus a few length-bucketed rapidfuzz calls, not a loop over every domain."""

    def __init__(self, registry: SourceRegistry) -> None:
        domains = [e.value for e in registry.entries() if e.kind == SourceKind.DOMAIN]
        self._suffixes = frozenset(d for d in domains if is_public_suffix(d))
        self._suffix_tokens = {s: _SEPARATORS.split(host_skeleton(s)) for s in self._suffixes}
        self._contains = ahocorasick.Automaton()
        self._brands: dict[str, str] = {}
        self._buckets: dict[int, tuple[list[str], list[str]]] = {}
        for domain in domains:
            if domain not in self._suffixes:
                self._add(domain)
        lengths = [*self._buckets, *map(len, self._brands)]
        self._min_span = max(min(lengths, default=0) - 2, 1)
        self._max_span = max(lengths, default=0) + 2
        if len(self._contains):
            self._contains.make_automaton()

    def _add(self, domain: str) -> None:
        tokens = [t for t in _SEPARATORS.split(host_skeleton(to_unicode_host(domain))) if t]
        key = "".join(tokens)
        if len(key) >= 8 and key not in self._contains:
            self._contains.add_word(key, domain)
        keys, owners = self._buckets.setdefault(len(key), ([], []))
        keys.append(key)
        owners.append(domain)
        under_namespace = any(p in self._suffixes for p in parent_domains(domain)[1:])
        label = public_suffix_list()(domain).domain
        brand = "".join(_SEPARATORS.split(host_skeleton(to_unicode_host(label))))
        if not under_namespace and len(brand) >= 6:
            self._brands.setdefault(brand, domain)

    def match(self, display_host: str) -> tuple[str, str] | None:
        """(imitated official domain, why) for a host that is not itself official."""
        tokens = [t for t in _SEPARATORS.split(host_skeleton(display_host)) if t]
        collapsed = "".join(tokens)
        if len(self._contains):
            for _, domain in self._contains.iter(collapsed):
                return domain, f"contains the name of official domain {domain}"
        spans = _spans(tokens, self._min_span, self._max_span)
        for span in spans:
            if span in self._brands:
                domain = self._brands[span]
                return domain, f"uses the name of official domain {domain} under another domain"
        fuzzy = self._closest(spans)
        if fuzzy is not None:
            distance, domain = fuzzy
            how = f"{distance} character(s) differ" if distance else "same look-alike letters"
            return domain, f"looks like official domain {domain} ({how})"
        for suffix, parts in self._suffix_tokens.items():
            width = len(parts)
            runs = (tokens[i : i + width] for i in range(len(tokens)))
            if "".join(parts) in tokens or parts in runs:
                return suffix, f"imitates the government suffix {suffix} outside it"
        return None

    def _closest(self, spans: list[str]) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        for span in spans:
            for length in range(len(span) - 2, len(span) + 3):
                bucket = self._buckets.get(length)
                limit = _max_distance(length)
                if bucket is None or abs(length - len(span)) > limit:
                    continue
                hit = process.extractOne(
                    span, bucket[0], scorer=Levenshtein.distance, score_cutoff=limit
                )
                if hit is not None and (best is None or hit[1] < best[0]):
                    best = (int(hit[1]), bucket[1][hit[2]])
        return best


def _parse(url: str) -> tuple[str, str] | str:
    """(ASCII host, path) the way a browser would read the link, or a reason it has no host."""
    text = url.strip().replace("\\", "/")
    scheme = _SCHEME.match(text.lower())
    if scheme is None:
        text = "http://" + text.lstrip("/")
    elif scheme.group(1) in ("http", "https"):
        text = "http://" + text[scheme.end() :].lstrip("/")
    else:
        return "not a web link (http or https)"
    try:
        parts = urlsplit(text)
        raw_host = unquote(parts.hostname or "")
    except ValueError:
        return "the address could not be read"
    try:
        ipaddress.ip_address(raw_host.strip("[]"))
        return "the link points to an IP address, not a domain name"
    except ValueError:
        pass
    try:
        host = to_ascii_host(raw_host)
    except ValueError:
        return "the address has no valid host name"
    if re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)", host.rsplit(".", 1)[-1]):
        return "the link points to a numeric address, not a domain name"
    return host, parts.path


class LinkAnalyzer:
    """Classifies links against one registry snapshot; build a new one when the registry changes."""

    def __init__(self, registry: SourceRegistry, shorteners: frozenset[str] | None = None) -> None:
        self._registry = registry
        self._shorteners = frozenset(
            s.lower() for s in (SHORTENERS if shorteners is None else shorteners)
        )
        self._index = _LookalikeIndex(registry)

    def analyze(self, url: str, *, from_text_link: bool = False) -> LinkReport:
        parsed = _parse(url)
        if isinstance(parsed, str):
            return LinkReport(url, "", LinkStatus.UNKNOWN, None, None, from_text_link, parsed)
        host, path = parsed
        display = to_unicode_host(host)
        status, source, imitates, reason = self._classify(host, display, path)
        if "xn--" in host:
            idn = f"internationalized domain name, punycode {host}"
            reason = f"{reason}; {idn}" if reason else idn
        return LinkReport(url, display, status, source, imitates, from_text_link, reason)

    def _classify(
        self, host: str, display: str, path: str
    ) -> tuple[LinkStatus, str | None, str | None, str | None]:
        entry = self._registry.official_domain(host)
        if entry is not None:
            return LinkStatus.OFFICIAL, entry.name, None, None
        parents = parent_domains(host)
        if any(p in self._shorteners for p in parents):
            reason = "shortened link: its real target cannot be verified offline"
            return LinkStatus.SHORTENED, None, None, reason
        lookalike = self._index.match(display)
        if lookalike is not None:
            domain, reason = lookalike
            return LinkStatus.LOOKALIKE, None, to_unicode_host(domain), reason
        platform = self._platform(parents, path)
        if platform is not None:
            return platform
        if not public_suffix_list()(host).suffix:
            return LinkStatus.UNKNOWN, None, None, "not a public domain name"
        return LinkStatus.UNKNOWN, None, None, "domain is not in the official-source registry"

    def _platform(
        self, parents: list[str], path: str
    ) -> tuple[LinkStatus, str | None, str | None, str | None] | None:
        segments = [s for s in path.split("/") if s]
        if any(p in _TELEGRAM_HOSTS for p in parents):
            if len(segments) >= 2 and segments[0] == "c" and segments[1].isdigit():
                entry = self._registry.official_channel(int("-100" + segments[1]))
                if entry is not None:
                    return LinkStatus.OFFICIAL, entry.name, None, None
                return LinkStatus.UNKNOWN, None, None, "Telegram channel id is not registered"
            reason = "Telegram usernames are labels; only numeric channel ids are registered"
            return LinkStatus.UNKNOWN, None, None, reason
        platform = next((_SOCIAL_HOSTS[p] for p in parents if p in _SOCIAL_HOSTS), None)
        if platform is None or not segments:
            return None
        handle = segments[0]
        if platform == "youtube" and handle in ("c", "user") and len(segments) > 1:
            handle = segments[1]
        entry = self._registry.official_social(platform, handle)
        if entry is not None:
            return LinkStatus.OFFICIAL, entry.name, None, None
        return LinkStatus.UNKNOWN, None, None, f"{platform} account is not in the registry"
