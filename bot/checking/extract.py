"""Pull links, e-mail addresses, phone numbers, identifiers and mentions out of a message.

A bare word with a dot is only a link when it ends in a real public suffix, checked against
tldextract's bundled Public Suffix List snapshot (https://github.com/john-kurkowski/tldextract;
never fetched): "file.pdf", "v1.2", "Rp1.500.000" and "13.00" are not links, "bit.ly/x" is.
Links are returned as written (homoglyphs included) because judging them is the link checker's
job; only the suffix test looks at the folded host.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import tldextract

from bot.checking.identifiers import NumberSpan, find_numbers, identifiers_in
from bot.checking.normalize import clean, fold_confusables

_SCHEMED = r"(?:https?|ftp)://[^\s<>\"'`]+"
_BARE = (
    r"(?<![\w@.\-/:])(?:www\.)?(?:[^\W_][\w\-]*\.)+(?:[^\W\d_]{2,}|xn--[a-z0-9\-]+)"
    r"(?![\w\-@])(?::[0-9]{1,5})?(?:[/?#][^\s<>\"'`]*)?"
)
_LINK = re.compile(rf"(?P<schemed>{_SCHEMED})|(?P<bare>{_BARE})", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@(?:[^\W_][\w\-]*\.)+[^\W\d_]{2,}(?![\w\-])")
_MENTION = re.compile(r"@(?<![\w@./]@)[A-Za-z0-9_]{5,32}(?![\w@]|\.[^\W_])")
_DOTTED = re.compile(r"\S*(?:\.|://)\S*")  # links are whitespace-free words with a dot
_TRAILING = ".,;:!?'\"»›…)]}>"
_HOST_END = re.compile(r"[:/?#]")
# Suffixes that are far more often file extensions; a bare "laporan.zip" is a file name.
_FILE_LIKE_SUFFIXES = frozenset({"zip", "mov", "py", "md", "sh", "rs", "ps"})


@dataclass(frozen=True, slots=True)
class Extracted:
    """Things found in one message, each deduplicated in order of appearance.

    `phones` are "+62..." strings; `niks`/`nips` are the bare digits (mask before showing);
    `mentions` keep their "@".
    """

    links: tuple[str, ...]
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    niks: tuple[str, ...]
    nips: tuple[str, ...]
    mentions: tuple[str, ...]


@functools.cache
def _suffixes() -> tldextract.TLDExtract:
    """The bundled PSL snapshot, built on first use: no network, no disk cache."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def extract(text: str, entity_urls: Sequence[str] = ()) -> Extracted:
    """Find everything a rule or the link checker needs in `text`.

    Args:
        text: message text (cleaned here again; cheap when already clean).
        entity_urls: targets of Telegram `url`/`text_link` entities; added after text links.
    """
    text = clean(text)
    numbers = find_numbers(text, min_digits=10)  # shortest mobile number: 0 + 9 digits
    identifiers = identifiers_in(numbers)
    links = [*_links(text), *(url.strip() for url in entity_urls if url.strip())]
    has_at = "@" in text
    return Extracted(
        links=_unique(links),
        emails=_unique(m.group() for m in _EMAIL.finditer(text)) if has_at else (),
        phones=_unique(_phones(numbers)),
        niks=_unique(m.digits for m in identifiers if m.kind == "nik"),
        nips=_unique(m.digits for m in identifiers if m.kind == "nip"),
        mentions=_unique(m.group() for m in _MENTION.finditer(text)) if has_at else (),
    )


def _links(text: str) -> list[str]:
    found: list[str] = []
    for word in _DOTTED.findall(text):
        for match in _LINK.finditer(word):
            link = _strip_trailing(match.group())
            if match.group("schemed") or _is_bare_link(link):
                found.append(link)
    return found


def _strip_trailing(link: str) -> str:
    """Drop sentence punctuation after a link; keep a ")" that closes one inside it."""
    while link and link[-1] in _TRAILING:
        if link[-1] == ")" and link.count("(") >= link.count(")"):
            break
        link = link[:-1]
    return link


def _is_bare_link(link: str) -> bool:
    """A dotted word is a link when its host ends in a public suffix and reads like a host."""
    host = _HOST_END.split(link, maxsplit=1)[0]
    parts = _suffixes()(fold_confusables(host))
    if not parts.suffix or not parts.domain:
        return False
    has_more = len(host) < len(link) or host.lower().startswith("www.")
    if has_more:
        return True
    if parts.suffix in _FILE_LIKE_SUFFIXES:
        return False
    # "acara.Info" is a missing space after a full stop, not a domain.
    labels = host.split(".")
    return not (labels[-1].istitle() and len(labels[-1]) > 1 and labels[-2].islower())


def _phones(numbers: list[NumberSpan]) -> list[str]:
    """Indonesian mobile numbers (08.., 628.., +628..) as "+62...".

    A mobile number has 9 to 12 digits after the country code, starting with 8 and a non-zero
    digit; longer runs (NIK, NIP, invoices) are whole numbers of another length and never match.
    """
    phones: list[str] = []
    for number in numbers:
        digits = number.digits
        if digits.startswith("62"):
            national = digits[2:]
        elif digits.startswith("0"):
            national = digits[1:]
        else:
            continue
        if national[:1] == "8" and national[1:2] != "0" and 9 <= len(national) <= 12:
            phones.append("+62" + national)
    return phones


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
