"""Every message escalation sends: alerts, the PPK's evidence packet, notices, the digest.

Plain text (no parse mode), so nothing a user wrote can break the layout or pose as a button.
Each message fits one Telegram message (4096 UTF-16 units) however large the case, masks
NIK/NIP in everything that came from a user, and carries the case reference and the alert
number, so a duplicate after an interrupted send is recognisable (RELIABILITY P3). The unit
head's alert never quotes the message: the text goes only to the PPK and the review chat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from bot.checking.findings import Finding, ForwardOrigin, LinkReport, Severity
from bot.checking.guidance import WIB, format_clauses
from bot.checking.identifiers import mask_identifiers
from bot.escalation.policy import Trigger
from bot.telegram.details import clip_utf16, link_lines, utf16_len
from bot.texts import id as texts

TELEGRAM_TEXT_LIMIT = 4096
STATUS_LABELS: dict[str, str] = texts.CASE_STATUS_LABELS
ACTION_LABELS: dict[str, str] = texts.CASE_ACTION_LABELS

_ID_UNITS = 64  # a reference or an alert number
_NAME_UNITS = 200  # a unit, a person, a title, an actor
_LONG_UNITS = 300  # one reason, one piece of evidence, one URL
_LIST_UNITS = 500  # joined clauses, a decision
_MAX_EVIDENCE = 5
_MAX_BLOCKS = 200  # 4096 units hold fewer blocks than this; the rest is only counted
_TEXT_FIRST = 1500  # units of message text kept before findings and links take the rest
_QUOTE = "│ "  # marks the reporter's text so none of it can pose as a line of the packet


@dataclass(frozen=True, slots=True)
class CaseView:
    """What the messages show of a case; built from the database by the Escalator."""

    reference: str
    alert_number: str
    status: str
    severity: Severity
    findings: tuple[Finding, ...]
    reporter_count: int
    unit_name: str | None
    subject: str | None
    opened_at: datetime
    last_actor: str | None
    last_action_at: datetime | None
    decision: str | None
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class Evidence:
    """The unsealed evidence of a case, for the PPK packet and the review request only."""

    text: str
    forward_origin: ForwardOrigin | None
    links: tuple[LinkReport, ...]
    content_hash: str
    checked_at: datetime


def render_unit_head_alert(case: CaseView) -> str:
    """What is suspected and under which clauses, never the text; the buttons do the rest."""
    head = [
        texts.UNIT_HEAD_TITLE.format(alert_number=_field(case.alert_number, _ID_UNITS)),
        texts.UNIT_HEAD_INTRO,
        "",
        *_case_lines(case),
        "",
        texts.UNIT_HEAD_FINDINGS,
    ]
    tail = ["", texts.UNIT_HEAD_ACTIONS, "", *_status_lines(case)]
    sections = [(_counted(case.findings, _short_finding_lines), texts.CASE_FINDINGS_MORE)]
    return _assemble(head, sections, tail)


def render_ppk_packet(case: CaseView, evidence: Evidence) -> str:
    """The full evidence for the PPK: text (masked), origin, links, findings, hash, times."""
    title = texts.PPK_TITLE.format(alert_number=_field(case.alert_number, _ID_UNITS))
    return _evidence_message([title, texts.PPK_INTRO], case, evidence)


def render_review_request(case: CaseView, evidence: Evidence) -> str:
    """The same evidence for Diskominfotik, who confirm before any official is alerted."""
    title = texts.REVIEW_TITLE.format(alert_number=_field(case.alert_number, _ID_UNITS))
    return _evidence_message([title, texts.REVIEW_INTRO], case, evidence)


def render_status_line(case: CaseView) -> str:
    """ "Status: DITERUSKAN KE PPK oleh Kepala BKD, 21-11-2026 14:02 WIB"."""
    label = _status_label(case.status)
    if case.last_action_at is None:
        return texts.CASE_STATUS.format(label=label)
    when = _when(case.last_action_at)
    if case.last_actor:
        actor = _field(case.last_actor, _NAME_UNITS)
        return texts.CASE_STATUS_BY.format(label=label, actor=actor, time=when)
    return texts.CASE_STATUS_AT.format(label=label, time=when)


def render_reporter_notice(case: CaseView) -> str:
    """The outcome for the reporter, by reference.

    Names no official and no decision: the reporter learns that the report was handled and
    at which level, which is what they need, without exposing who acted or what a
    disciplinary decision says about another ASN.
    """
    other = texts.REPORTER_STATUS_OTHER.format(label=_status_label(case.status))
    reference = _field(case.reference, _ID_UNITS)
    numbers = texts.REPORTER_REFERENCE.format(
        reference=reference, alert_number=_field(case.alert_number, _ID_UNITS)
    )
    title = texts.REPORTER_TITLE.format(reference=reference)
    status = texts.REPORTER_STATUS.get(case.status, other)
    return _finish([title, "", status, "", texts.REPORTER_THANKS, "", numbers])


def render_digest(
    unit_name: str, cases: Sequence[CaseView], *, alert_number: str | None = None
) -> str:
    """A unit head's daily digest; cases that do not fit are counted ("… dan N kasus lain")."""
    unit = _field(unit_name, _NAME_UNITS)
    title = (
        texts.DIGEST_TITLE_NUMBERED.format(unit=unit, alert_number=_field(alert_number, _ID_UNITS))
        if alert_number
        else texts.DIGEST_TITLE.format(unit=unit)
    )
    if not cases:
        return _finish([title, "", texts.DIGEST_NONE])
    head = [title, texts.DIGEST_INTRO.format(count=len(cases)), ""]
    return _assemble(head, [(_counted(cases, _digest_lines), texts.DIGEST_MORE)], [])


# --- building blocks --------------------------------------------------------------------------

T = TypeVar("T")
Block = list[str]
Section = tuple[list[Block | None], str]  # blocks (None = not rendered, only counted), "more"


def _counted(items: Sequence[T], render: Callable[[int, T], Block]) -> list[Block | None]:
    """Render at most `_MAX_BLOCKS` items; a huge case costs no more than a large one."""
    shown = [render(n, item) for n, item in enumerate(items[:_MAX_BLOCKS], start=1)]
    return [*shown, *([None] * max(len(items) - _MAX_BLOCKS, 0))]


def _case_lines(case: CaseView) -> list[str]:
    lines = [
        texts.CASE_REFERENCE.format(
            reference=_field(case.reference, _ID_UNITS),
            alert_number=_field(case.alert_number, _ID_UNITS),
        ),
        texts.CASE_SEVERITY.format(severity=_severity(case.severity)),
        texts.CASE_TRIGGER.format(trigger=texts.CASE_TRIGGER_LABELS[case.trigger.value]),
    ]
    if case.unit_name:
        lines.append(texts.CASE_UNIT.format(unit=_field(case.unit_name, _NAME_UNITS)))
    lines.append(texts.CASE_REPORTERS.format(count=case.reporter_count))
    lines.append(texts.CASE_OPENED.format(time=_when(case.opened_at)))
    return lines


def _status_lines(case: CaseView) -> list[str]:
    lines = [render_status_line(case)]
    if case.decision:
        lines.append(texts.CASE_DECISION.format(decision=_field(case.decision, _LIST_UNITS)))
    return lines


def _short_finding_lines(_: int, finding: Finding) -> Block:
    reason = _field(finding.reason or finding.title, _LONG_UNITS)
    clauses = _field(format_clauses(finding.clauses), _LIST_UNITS) or "-"
    return [
        texts.CASE_FINDING.format(reason=reason),
        texts.CASE_FINDING_CLAUSES.format(clauses=clauses),
    ]


def _full_finding_lines(number: int, finding: Finding) -> Block:
    lines = [
        texts.DETAILS_FINDING.format(
            number=number,
            rule=_field(finding.rule, _NAME_UNITS),
            title=_field(finding.title, _NAME_UNITS),
        ),
        texts.DETAILS_SEVERITY.format(severity=_severity(finding.severity)),
    ]
    if finding.reason:
        lines.append(texts.DETAILS_REASON.format(reason=_field(finding.reason, _LONG_UNITS)))
    clauses = _field(format_clauses(finding.clauses), _LIST_UNITS)
    lines.append(texts.DETAILS_CLAUSES.format(clauses=clauses or "-"))
    if finding.evidence:
        quoted = "; ".join(f"“{_field(e, _LONG_UNITS)}”" for e in finding.evidence[:_MAX_EVIDENCE])
        if len(finding.evidence) > _MAX_EVIDENCE:
            quoted += f"; … (+{len(finding.evidence) - _MAX_EVIDENCE})"
        lines.append(texts.DETAILS_EVIDENCE.format(evidence=quoted))
    return lines


def _link_lines(_: int, link: LinkReport) -> Block:
    return link_lines(link)


def _digest_lines(_: int, case: CaseView) -> Block:
    reasons = "; ".join(dict.fromkeys(f.reason or f.title for f in case.findings[:_MAX_EVIDENCE]))
    line = texts.DIGEST_CASE.format(
        reference=_field(case.reference, _ID_UNITS),
        alert_number=_field(case.alert_number, _ID_UNITS),
        severity=_severity(case.severity),
        count=case.reporter_count,
    )
    what = texts.DIGEST_CASE_WHAT.format(reasons=_field(reasons, _LONG_UNITS))
    return [line, what, texts.DIGEST_CASE_STATUS.format(status=render_status_line(case))]


def _origin_lines(origin: ForwardOrigin | None) -> list[str]:
    if origin is None:
        return [texts.DETAILS_ORIGIN_HEADER, texts.DETAILS_ORIGIN_NONE]
    lines = [
        texts.DETAILS_ORIGIN_HEADER,
        texts.DETAILS_ORIGIN_KIND.format(kind=texts.DETAILS_ORIGIN_KINDS[origin.kind.value]),
    ]
    if name := origin.title or origin.sender_name:
        lines.append(texts.DETAILS_ORIGIN_NAME.format(name=_field(name, _NAME_UNITS)))
    if origin.username:
        username = _field(origin.username, _NAME_UNITS)
        lines.append(texts.DETAILS_ORIGIN_USERNAME.format(username=username))
    if origin.chat_id is not None:
        lines.append(texts.DETAILS_ORIGIN_CHAT_ID.format(id=origin.chat_id))
    if origin.user_id is not None:
        lines.append(texts.DETAILS_ORIGIN_USER_ID.format(id=origin.user_id))
    return lines


def _evidence_message(intro: list[str], case: CaseView, evidence: Evidence) -> str:
    """Packet layout: case facts, origin, findings, links, the text, then hash and status.

    The text first gets up to `_TEXT_FIRST` units, findings and links fill what remains,
    and the text then takes whatever they left: both matter to whoever decides.
    """
    head = [*intro, "", *_case_lines(case)]
    if case.subject:
        head.append(texts.CASE_SUBJECT.format(subject=_field(case.subject, _NAME_UNITS)))
    head += [texts.CASE_CHECKED.format(time=_when(evidence.checked_at)), ""]
    head += _origin_lines(evidence.forward_origin)
    findings = ["", texts.EVIDENCE_FINDINGS.format(count=len(case.findings))]
    links = ["", texts.DETAILS_LINKS_HEADER.format(count=len(evidence.links))]
    if not evidence.links:
        links = ["", texts.DETAILS_NO_LINKS]
    hash_line = texts.CASE_HASH.format(hash=evidence.content_hash[:_ID_UNITS] or "-")
    tail = ["", hash_line, *_status_lines(case)]
    first_text = _text_lines(evidence.text, _TEXT_FIRST)
    sections = [
        ([findings, *_counted(case.findings, _full_finding_lines)], texts.CASE_FINDINGS_MORE),
        ([links, *_counted(evidence.links, _link_lines)], texts.CASE_LINKS_MORE),
    ]
    body = _fit(head, sections, ["", *first_text, *tail])
    room = TELEGRAM_TEXT_LIMIT - utf16_len("\n".join([*body, "", *tail])) - 1
    return _finish([*body, "", *_text_lines(evidence.text, room), *tail], raw=(hash_line,))


def _text_lines(text: str, units: int) -> list[str]:
    """The reporter's text, masked, quoted line by line, within `units` with its notice."""
    if not text.strip():
        return [texts.CASE_TEXT_HEADER, _QUOTE + texts.CASE_TEXT_EMPTY]
    notice = texts.CASE_TEXT_CLIPPED.format(count=len(text))
    budget = units - utf16_len(texts.CASE_TEXT_HEADER) - utf16_len(notice) - 2
    masked = mask_identifiers(text[: max(budget, 0) + 64])
    shown = clip_utf16(masked, max(budget, 0), ellipsis=False)
    shown = clip_utf16(
        shown, max(budget - len(_QUOTE) * (shown.count("\n") + 1), 0), ellipsis=False
    )
    lines = [texts.CASE_TEXT_HEADER, *(_QUOTE + line for line in shown.split("\n"))]
    if len(shown) < len(text):
        lines.append(texts.CASE_TEXT_CLIPPED.format(count=len(text) - len(shown)))
    return lines


def _assemble(head: list[str], sections: list[Section], tail: list[str]) -> str:
    return _finish(_fit(head, sections, tail) + tail)


def _fit(head: list[str], sections: list[Section], tail: list[str]) -> list[str]:
    """Whole blocks in order while they fit beside `tail`; the rest of a section is counted."""
    mores = [more.format(count=10**6) for _, more in sections]
    reserve = utf16_len("\n".join([*tail, *mores])) + 1
    lines = list(head)
    used = utf16_len("\n".join(lines))
    for blocks, more in sections:
        for index, block in enumerate(blocks):
            size = utf16_len("\n".join(block or [])) + 1
            if block is None or used + size + reserve > TELEGRAM_TEXT_LIMIT:
                lines.append(more.format(count=len(blocks) - index))
                used += utf16_len(lines[-1]) + 1
                break
            lines += block
            used += size
    return lines


def _finish(lines: list[str], raw: tuple[str, ...] = ()) -> str:
    """Mask every line once more (fields joined could form a number) except `raw` ones."""
    masked = [line if line in raw else mask_identifiers(line) for line in lines]
    return clip_utf16("\n".join(masked), TELEGRAM_TEXT_LIMIT)


def _status_label(status: str) -> str:
    return STATUS_LABELS.get(status) or _field(status, _NAME_UNITS).upper()


def _severity(severity: Severity) -> str:
    return texts.SEVERITY_LABELS.get(severity.value, severity.value)


def _when(at: datetime) -> str:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(WIB).strftime("%d-%m-%Y %H:%M")


def _field(text: str | None, units: int) -> str:
    """One line of shown data, masked before it is cut, so no cut leaves a number's digits.

    Masking looks 64 code points past what can be shown: an identifier (≤ 35 characters with
    separators) that starts inside the shown part is masked exactly as in the whole text.
    Whitespace is flattened after that cut, so it can only ever shorten what is shown.
    """
    text = text or ""
    flat = " ".join(mask_identifiers(text[: units + 64])[:units].split())
    if len(text) <= units:
        return clip_utf16(flat, units)
    return clip_utf16(flat, units - 1, ellipsis=False) + "…"
