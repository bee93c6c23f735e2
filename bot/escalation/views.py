"""From stored rows to what alerts show: a case's findings come back from its rule ids.

The text of a message is never stored outside the sealed evidence, so a case's findings are
rebuilt from its rule ids and the rule set (title, reason, clauses); the evidence packet
comes from the sealed document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.checking.findings import (
    Explanation,
    Finding,
    ForwardOrigin,
    LinkReport,
    LinkStatus,
    OriginKind,
    Severity,
)
from bot.checking.loader import RuleSet
from bot.db.case_models import CaseEventRow, CaseRow
from bot.escalation.alerts import CaseView, Evidence
from bot.escalation.policy import Trigger

_FROM_RECORD = Explanation("case", (), 1.0, None, 1.0, "rebuilt from the case record")


def case_view(
    case: CaseRow,
    rules: RuleSet,
    *,
    unit_name: str | None = None,
    last_event: CaseEventRow | None = None,
    evidence: dict[str, Any] | None = None,
) -> CaseView:
    """What every alert of `case` shows now; findings carry evidence only from the seal."""
    quoted = {f["rule"]: tuple(f.get("evidence", ())) for f in (evidence or {}).get("findings", [])}
    findings = tuple(_finding(rules, rule_id, quoted.get(rule_id, ())) for rule_id in case.rule_ids)
    acted = last_event is not None and last_event.action not in ("opened", "reporter_added")
    return CaseView(
        reference=case.reference or f"#{case.id}",
        alert_number=alert_number(case),
        status=case.status,
        severity=Severity(case.severity),
        findings=findings,
        reporter_count=case.reporter_count,
        unit_name=unit_name,
        subject=case.subject_name,
        opened_at=case.opened_at,
        last_actor=last_event.actor if acted and last_event else None,
        last_action_at=last_event.at if acted and last_event else None,
        decision=case.decision,
        trigger=Trigger(case.trigger),
    )


def alert_number(case: CaseRow) -> str:
    """The number printed on every alert of a case: a duplicate shows the same one."""
    return f"ESK-{case.reference or case.id}"


def evidence_view(document: dict[str, Any]) -> Evidence:
    """The sealed evidence document as the PPK packet shows it."""
    origin = document.get("forward_origin")
    return Evidence(
        text=str(document.get("text", "")),
        forward_origin=None if not origin else _origin(origin),
        links=tuple(
            LinkReport(url=link["url"], host=link["host"], status=LinkStatus(link["status"]))
            for link in document.get("links", [])
        ),
        content_hash=str(document.get("content_hash", "")),
        checked_at=datetime.fromisoformat(document["checked_at"]),
    )


def _origin(data: dict[str, Any]) -> ForwardOrigin:
    return ForwardOrigin(
        kind=OriginKind(data["kind"]),
        chat_id=data.get("chat_id"),
        user_id=data.get("user_id"),
        username=data.get("username"),
        title=data.get("title"),
        sender_name=data.get("sender_name"),
    )


def _finding(rules: RuleSet, rule_id: str, evidence: tuple[str, ...]) -> Finding:
    rule = rules.rule(rule_id)
    if rule is None:  # a rule removed since the case opened
        return Finding(rule_id, rule_id, Severity.MEDIUM, (), evidence, "", _FROM_RECORD, rule_id)
    return Finding(
        rule=rule.id,
        title=rule.title,
        severity=rule.severity,
        clauses=rule.clauses,
        evidence=evidence,
        guidance=rule.guidance,
        explanation=_FROM_RECORD,
        reason=rule.reason,
    )
