"""Render a `CheckResult` as the one reply an ASN reads on a phone.

Order follows DESIGN.md: verdict, origin, links, at most three findings with evidence and
clauses, a known-hoax match, then what to do instead. Plain text, no parse mode, so nothing a
user wrote can break the formatting, and the whole reply always fits in one Telegram message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from bot.checking.findings import (
    CheckResult,
    Clause,
    Finding,
    LinkReport,
    LinkStatus,
    OriginKind,
    Provenance,
    ProvenanceStatus,
    Verdict,
)
from bot.checking.identifiers import mask_identifiers
from bot.texts import id as texts

TELEGRAM_TEXT_LIMIT = 4096
# The bot appends a footer and, when a case opens on its own, a note (together < 300).
ROOM_FOR_BOT_LINES = 400
MAX_FINDINGS_SHOWN = 3
MAX_LINKS_SHOWN = 5
WIB = timezone(timedelta(hours=7), "WIB")


def render_reply(result: CheckResult) -> str:
    """Build the reply body (without footer); always shorter than Telegram's limit."""
    lines = [texts.VERDICT_LABELS[result.verdict.value], "", _origin_line(result.provenance)]
    lines += _link_lines(result.links)
    if result.findings:
        lines += ["", texts.FINDINGS_HEADER]
        for finding in result.findings[:MAX_FINDINGS_SHOWN]:
            lines += _finding_lines(finding)
        hidden = len(result.findings) - MAX_FINDINGS_SHOWN
        if hidden > 0:
            lines.append(texts.FINDINGS_MORE.format(count=hidden))
    lines += _hoax_lines(result)
    lines += ["", *_action_lines(result)]
    return _fit(mask_identifiers("\n".join(lines)))


def render_footer(reference: str, at: datetime) -> str:
    """The footer line with the check's reference and the time in Jakarta."""
    local = at.astimezone(WIB)
    return texts.FOOTER.format(reference=reference, time=local.strftime("%d-%m-%Y %H:%M"))


def _origin_line(provenance: Provenance) -> str:
    origin = provenance.origin
    if provenance.status is ProvenanceStatus.OFFICIAL:
        return texts.ORIGIN_OFFICIAL.format(name=provenance.source_name)
    if provenance.status is ProvenanceStatus.UNVERIFIABLE or origin is None:
        return texts.ORIGIN_UNVERIFIABLE
    label = origin.title or (f"@{origin.username}" if origin.username else None)
    if origin.kind is OriginKind.USER:
        return texts.ORIGIN_USER.format(label=label or origin.sender_name or "tanpa nama")
    return texts.ORIGIN_UNREGISTERED_CHANNEL.format(label=label or f"ID {origin.chat_id}")


def _link_lines(links: tuple[LinkReport, ...]) -> list[str]:
    lines: list[str] = []
    for link in links[:MAX_LINKS_SHOWN]:
        if link.status is LinkStatus.OFFICIAL:
            lines.append(texts.LINK_OFFICIAL.format(host=link.host, name=link.source_name))
        elif link.status is LinkStatus.LOOKALIKE:
            lines.append(texts.LINK_LOOKALIKE.format(host=link.host, imitates=link.imitates))
        elif link.status is LinkStatus.SHORTENED:
            lines.append(texts.LINK_SHORTENED.format(host=link.host))
        else:
            lines.append(texts.LINK_UNKNOWN.format(host=link.host or link.url[:80]))
        if link.from_text_link:
            lines.append(texts.LINK_TEXT_LINK.format(url=link.url[:200]))
    if len(links) > MAX_LINKS_SHOWN:
        lines.append(texts.LINKS_MORE.format(count=len(links) - MAX_LINKS_SHOWN))
    return lines


def _finding_lines(finding: Finding) -> list[str]:
    lines = [f"• {finding.reason or finding.title}"]
    if finding.evidence:
        quoted = "; ".join(f"“{e}”" for e in finding.evidence)
        lines.append(texts.FINDING_EVIDENCE.format(evidence=quoted))
    lines.append(texts.FINDING_CLAUSES.format(clauses=format_clauses(finding.clauses)))
    return lines


def format_clauses(clauses: Sequence[Clause]) -> str:
    """Name each circular once: "SE MenPANRB 137/2018 angka 6, 7; SE Sekda ... angka 2.g"."""
    points: dict[str, list[str]] = {}
    for clause in clauses:
        points.setdefault(clause.instrument, []).append(clause.point)
    return "; ".join(f"{instrument} angka {', '.join(p)}" for instrument, p in points.items())


def _hoax_lines(result: CheckResult) -> list[str]:
    match = result.hoax_match
    if match is None:
        return []
    lines = ["", texts.HOAX_MATCH.format(similarity=f"{match.similarity:.0%}")]
    if match.clarification_url:
        lines.append(texts.HOAX_CLARIFICATION.format(url=match.clarification_url))
    if match.added_on:
        lines.append(texts.HOAX_DATE.format(date=match.added_on))
    return lines


def _action_lines(result: CheckResult) -> list[str]:
    if result.verdict is Verdict.OK:
        return [texts.ACTION_OK.format(sources=", ".join(result.official_backing))]
    if result.verdict is Verdict.UNVERIFIED:
        return [texts.ACTION_UNVERIFIED]
    guidance = list(dict.fromkeys(f.guidance for f in result.findings[:MAX_FINDINGS_SHOWN]))
    # Rule guidance already says what to do; add where to ask only if none of it does.
    ask = [] if any("jalahoaks" in g for g in guidance) else [texts.ACTION_ASK]
    return [*guidance, *ask, "", texts.THANKS_VIOLATION]


def _fit(text: str, limit: int = TELEGRAM_TEXT_LIMIT - ROOM_FOR_BOT_LINES) -> str:
    """Leave room for the bot's own lines; cut on a line boundary when an edge case runs long."""
    if utf16_len(text) <= limit:
        return text
    cut = _utf16_prefix(text, limit - 2)
    return cut[: cut.rfind("\n")] + "\n…" if "\n" in cut else cut + "…"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf16_prefix(text: str, units: int) -> str:
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text
