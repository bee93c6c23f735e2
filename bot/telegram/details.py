"""The "Detail" view: everything the engine found about one check, for the curious ASN or admin.

The short reply shows at most three reasons; this view shows every finding with its score and
matched terms, every link and the origin's ids. It is plain text (no parse mode), personal
identifiers masked, and always one Telegram message: Telegram counts length in UTF-16 code
units, so an emoji counts twice.
"""

from __future__ import annotations

import unicodedata

from bot.checking.findings import (
    CheckResult,
    Explanation,
    Finding,
    HoaxMatch,
    LinkReport,
    LinkStatus,
    Provenance,
    ProvenanceStatus,
)
from bot.checking.guidance import utf16_len
from bot.checking.identifiers import mask_identifiers
from bot.texts import id as reply_texts
from bot.texts import id as texts

TELEGRAM_TEXT_LIMIT = 4096
_NAME_UNITS = 200  # titles, names, claims
_LONG_UNITS = 300  # one piece of evidence, one URL, one reason, one claim
_LIST_UNITS = 500  # joined clauses, matched terms, sources
_MAX_EVIDENCE = 5
_MAX_TERMS = 12
_HASH_CHARS = 12
_MAX_LISTED = 200  # blocks rendered at all: 4096 units hold fewer than 140 of the shortest
_ZWJ = "\u200d"


def render_details(result: CheckResult, reference: str) -> str:
    """The full findings of one check, always within one message (≤ 4096 UTF-16 units).

    Whole blocks (a finding, a link) are dropped from the end when the text runs long, and a
    line says how many; the content hash and the reference are always kept.
    """
    head = [
        texts.DETAILS_TITLE,
        texts.DETAILS_VERDICT.format(label=reply_texts.VERDICT_LABELS[result.verdict.value]),
        "",
        *_origin_lines(result.provenance),
    ]
    tail = [
        "",
        texts.DETAILS_HASH.format(hash=result.content_hash[:_HASH_CHARS] or "-"),
        texts.DETAILS_REFERENCE.format(reference=_field(reference, _NAME_UNITS)),
    ]
    text = _fit_blocks(head, _body_blocks(result), tail)
    return clip_utf16(mask_identifiers(text), TELEGRAM_TEXT_LIMIT)


# A block is shown whole or not at all; its kind says what the omission line counts it as.
_FINDING, _LINK, _OTHER, _LAYOUT = "finding", "link", "other", ""
Block = tuple[str, list[str]]


def _body_blocks(result: CheckResult) -> list[Block]:
    blocks: list[Block] = [(_LAYOUT, [""])]
    if result.findings:
        blocks.append((_LAYOUT, [texts.DETAILS_FINDINGS_HEADER.format(count=len(result.findings))]))
        shown = enumerate(result.findings[:_MAX_LISTED], start=1)
        blocks += [(_FINDING, _finding_lines(number, finding)) for number, finding in shown]
        blocks += [(_FINDING, [])] * (len(result.findings) - _MAX_LISTED)
    else:
        blocks.append((_LAYOUT, [texts.DETAILS_NO_FINDINGS]))
    blocks.append((_LAYOUT, [""]))
    if result.links:
        blocks.append((_LAYOUT, [texts.DETAILS_LINKS_HEADER.format(count=len(result.links))]))
        blocks += [(_LINK, link_lines(link)) for link in result.links[:_MAX_LISTED]]
        blocks += [(_LINK, [])] * (len(result.links) - _MAX_LISTED)
    else:
        blocks.append((_LAYOUT, [texts.DETAILS_NO_LINKS]))
    if result.hoax_match is not None:
        blocks.append((_OTHER, _hoax_lines(result.hoax_match)))
    if result.official_backing:
        sources = _field(", ".join(result.official_backing), _LIST_UNITS)
        blocks.append((_OTHER, ["", texts.DETAILS_BACKING.format(sources=sources)]))
    return blocks


def _hoax_lines(match: HoaxMatch) -> list[str]:
    claim = _field(match.claim, _LONG_UNITS)
    similarity = f"{match.similarity:.0%}"
    lines = ["", texts.DETAILS_HOAX.format(id=match.hoax_id, similarity=similarity, claim=claim)]
    if match.clarification_url:
        url = _field(match.clarification_url, _LONG_UNITS)
        lines.append(texts.DETAILS_HOAX_CLARIFICATION.format(url=url))
    if match.added_on:
        lines.append(texts.DETAILS_HOAX_DATE.format(date=_field(match.added_on, _NAME_UNITS)))
    return lines


def _fit_blocks(head: list[str], blocks: list[Block], tail: list[str]) -> str:
    """Keep blocks in order while they fit; once one does not, drop it and all after it.

    Blocks without lines stand for findings or links never rendered (beyond `_MAX_LISTED`):
    they can never fit, but the omission line counts them.
    """
    lines = list(head)
    reserve = utf16_len("\n".join(tail)) + utf16_len(_omission_line(10**6, 10**6, 10**6)) + 2
    used = utf16_len("\n".join(lines))
    for index, (_, block) in enumerate(blocks):
        size = utf16_len("\n".join(block)) + 1
        if not block or used + size + reserve > TELEGRAM_TEXT_LIMIT:
            dropped = [kind for kind, _ in blocks[index:]]
            counts = (dropped.count(_FINDING), dropped.count(_LINK), dropped.count(_OTHER))
            if any(counts):
                lines += ["", _omission_line(*counts)]
            break
        lines += block
        used += size
    return "\n".join(lines + tail)


def _omission_line(findings: int, links: int, others: int) -> str:
    parts = [
        template.format(count=count)
        for template, count in (
            (texts.DETAILS_OMITTED_FINDINGS, findings),
            (texts.DETAILS_OMITTED_LINKS, links),
            (texts.DETAILS_OMITTED_OTHER, others),
        )
        if count
    ]
    return texts.DETAILS_OMITTED.format(parts=", ".join(parts))


def _origin_lines(provenance: Provenance) -> list[str]:
    lines = [texts.DETAILS_ORIGIN_HEADER]
    origin = provenance.origin
    if origin is None:
        return [*lines, texts.DETAILS_ORIGIN_NONE]
    lines.append(texts.DETAILS_ORIGIN_KIND.format(kind=texts.DETAILS_ORIGIN_KINDS[origin.kind]))
    name = origin.title or origin.sender_name
    if name:
        lines.append(texts.DETAILS_ORIGIN_NAME.format(name=_field(name, _NAME_UNITS)))
    if origin.username:
        username = _field(origin.username, _NAME_UNITS)
        lines.append(texts.DETAILS_ORIGIN_USERNAME.format(username=username))
    if origin.chat_id is not None:
        lines.append(texts.DETAILS_ORIGIN_CHAT_ID.format(id=origin.chat_id))
    if origin.user_id is not None:
        lines.append(texts.DETAILS_ORIGIN_USER_ID.format(id=origin.user_id))
    status = texts.DETAILS_PROVENANCE[provenance.status.value]
    if provenance.status is ProvenanceStatus.OFFICIAL:
        status = status.format(name=_field(provenance.source_name or "-", _NAME_UNITS))
    return [*lines, status]


def _finding_lines(number: int, finding: Finding) -> list[str]:
    lines = [
        texts.DETAILS_FINDING.format(
            number=number,
            rule=_field(finding.rule, _NAME_UNITS),
            title=_field(finding.title, _NAME_UNITS),
        ),
        texts.DETAILS_SEVERITY.format(
            severity=texts.SEVERITY_LABELS.get(finding.severity.value, finding.severity.value)
        ),
    ]
    if finding.reason:
        lines.append(texts.DETAILS_REASON.format(reason=_field(finding.reason, _LONG_UNITS)))
    if finding.clauses:
        clauses = _field("; ".join(str(c) for c in finding.clauses), _LIST_UNITS)
        lines.append(texts.DETAILS_CLAUSES.format(clauses=clauses))
    if finding.evidence:
        shown = finding.evidence[:_MAX_EVIDENCE]
        quoted = "; ".join(f"“{_field(e, _LONG_UNITS)}”" for e in shown)
        if len(finding.evidence) > _MAX_EVIDENCE:
            quoted += f"; … (+{len(finding.evidence) - _MAX_EVIDENCE})"
        lines.append(texts.DETAILS_EVIDENCE.format(evidence=quoted))
    lines.append(texts.DETAILS_EXPLANATION.format(explanation=explain(finding.explanation)))
    return lines


def explain(explanation: Explanation) -> str:
    """Why a finding fired, in plain Indonesian: terms, score, the context that lowered it."""
    parts: list[str] = []
    if explanation.matched:
        terms = ", ".join(explanation.matched[:_MAX_TERMS])
        if len(explanation.matched) > _MAX_TERMS:
            terms += f", … (+{len(explanation.matched) - _MAX_TERMS})"
        parts.append(texts.DETAILS_MATCHED.format(terms=_field(terms, _LIST_UNITS)))
    parts.append(texts.DETAILS_SCORE.format(score=_decimal(explanation.score)))
    if explanation.context_word:
        word = _field(explanation.context_word, _NAME_UNITS)
        final = _decimal(explanation.final_score)
        parts.append(texts.DETAILS_CONTEXT.format(word=word, score=final))
    elif round(explanation.final_score, 2) != round(explanation.score, 2):
        parts.append(texts.DETAILS_FINAL_SCORE.format(score=_decimal(explanation.final_score)))
    if explanation.detector:
        detector = _field(explanation.detector, _NAME_UNITS)
        parts.append(texts.DETAILS_DETECTOR.format(detector=detector))
    return "; ".join(parts)


def link_lines(link: LinkReport) -> list[str]:
    """A link and its verdict, masked and clipped (also used by the PPK evidence packet)."""
    status = texts.DETAILS_LINK_STATUS.get(link.status.value, texts.DETAILS_LINK_STATUS["unknown"])
    if link.status is LinkStatus.OFFICIAL:
        status = status.format(name=_field(link.source_name or "-", _NAME_UNITS))
    elif link.status is LinkStatus.LOOKALIKE:
        status = status.format(imitates=_field(link.imitates or "-", _NAME_UNITS))
    # `link.reason` is an English log line; the status line above says it in Indonesian.
    lines = [texts.DETAILS_LINK.format(url=_field(link.url, _LONG_UNITS)), status]
    if link.from_text_link:
        lines.append(texts.DETAILS_LINK_TEXT_LINK)
    return lines


def _decimal(value: float) -> str:
    """Indonesian decimal comma: 0,82."""
    return f"{value:.2f}".replace(".", ",")


def _field(text: str, units: int) -> str:
    """One line of shown data: identifiers masked before clipping, so no cut leaves digits.

    Masking only looks a little past `units` (code points ≤ UTF-16 units), to bound the work
    on huge inputs; a number broken by that first cut lies entirely beyond the final clip.
    """
    return clip_utf16(mask_identifiers(" ".join(text.split())[: units + 64]), units)


def clip_utf16(text: str, units: int, *, ellipsis: bool = True) -> str:
    """At most `units` UTF-16 units (Telegram's count); never cuts a pair or an emoji cluster."""
    if utf16_len(text) <= units:
        return text
    room = units - 1 if ellipsis else units
    return text[: _back_off_cluster(text, _prefix_within(text, room))] + ("…" if ellipsis else "")


def _prefix_within(text: str, units: int) -> int:
    """The longest prefix (in code points) of at most `units` UTF-16 units, pairs kept whole."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return _back_off_pair(text, index)
    return len(text)


def _back_off_pair(text: str, cut: int) -> int:
    # A pair can reach us as two code points (text decoded with "surrogatepass"); keep it whole.
    if 0 < cut < len(text) and _is_high(text[cut - 1]) and _is_low(text[cut]):
        return cut - 1
    return cut


def _is_high(char: str) -> bool:
    return "\ud800" <= char <= "\udbff"


def _is_low(char: str) -> bool:
    return "\udc00" <= char <= "\udfff"


def split_for_telegram(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Cut a long text into messages of at most `limit` UTF-16 units each.

    Prefers paragraph, then line, then word boundaries; whitespace at the cuts is dropped
    (Telegram rejects empty messages and trims anyway). Returns [] for a blank text.
    """
    if limit < 2:
        raise ValueError("limit must leave room for one astral character (2 UTF-16 units)")
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(rest) <= limit:
            parts.append(rest)
            break
        cut = _cut_point(rest, limit)
        head = rest[:cut].rstrip()
        if head:
            parts.append(head)
        rest = rest[cut:].lstrip()
    return parts


def _cut_point(text: str, limit: int) -> int:
    """Where to end the next part: a late paragraph/line/word break, else a hard cut."""
    end = _prefix_within(text, limit)
    for separator in ("\n\n", "\n", " "):
        position = text.rfind(separator, 0, end + 1)
        if position >= end // 2:
            return max(position, 1)
    position = max(text.rfind(char, 0, end + 1) for char in "\n \t")
    if position > 0:
        return position
    return _back_off_cluster(text, end)


def _back_off_cluster(text: str, cut: int) -> int:
    """Avoid cutting inside an emoji sequence (ZWJ, variation selector, skin tone) if cheap."""
    for candidate in range(cut, max(cut - 16, 0), -1):
        after, before = text[candidate], text[candidate - 1]
        if before == _ZWJ or after == _ZWJ or _is_modifier(after):
            continue
        if (kept := _back_off_pair(text, candidate)) > 0:
            return kept
    return cut


def _is_modifier(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me", "Sk") or "\U0001f3fb" <= char <= "\U0001f3ff"
