"""The machine-readable form of a `CheckResult`, as DESIGN.md's `saring check --json` gives it.

Other tools read this output, so the keys of DESIGN.md (`verdict`, `findings`, `sources`,
`escalate`, `reply`) are a contract; extra keys are only ever added, never renamed.
"""

from __future__ import annotations

from typing import Any

from bot.checking.findings import CheckResult, Finding, LinkReport, Provenance


def result_to_dict(result: CheckResult, *, reply: str | None = None) -> dict[str, Any]:
    """A JSON-ready dict; `reply` overrides the body (e.g. with a footer appended)."""
    return {
        "verdict": result.verdict.value,
        "findings": [_finding(f) for f in result.findings],
        "sources": [_origin(result.provenance), *(_link(link) for link in result.links)],
        "escalate": result.escalate,
        "reply": result.reply if reply is None else reply,
        "known_hoax": _hoax(result),
        "official_backing": list(result.official_backing),
        "content_hash": result.content_hash,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    explanation = finding.explanation
    return {
        "rule": finding.rule,
        "title": finding.title,
        "severity": finding.severity.value,
        "clauses": [str(c) for c in finding.clauses],
        "evidence": list(finding.evidence),
        "reason": finding.reason,
        "explanation": {
            "detector": explanation.detector,
            "matched": list(explanation.matched),
            "score": explanation.score,
            "context_word": explanation.context_word,
            "final_score": explanation.final_score,
        },
    }


def _origin(provenance: Provenance) -> dict[str, Any]:
    origin = provenance.origin
    return {
        "type": "forward_origin",
        "status": provenance.status.value,
        "kind": origin.kind.value if origin else None,
        "chat_id": origin.chat_id if origin else None,
        "username": origin.username if origin else None,
        "name": provenance.source_name,
    }


def _link(link: LinkReport) -> dict[str, Any]:
    return {
        "type": "link",
        "status": link.status.value,
        "url": link.url,
        "host": link.host,
        "name": link.source_name,
        "imitates": link.imitates,
        "text_link": link.from_text_link,
    }


def _hoax(result: CheckResult) -> dict[str, Any] | None:
    match = result.hoax_match
    if match is None:
        return None
    return {
        "id": match.hoax_id,
        "similarity": round(match.similarity, 3),
        "clarification_url": match.clarification_url,
        "added_on": match.added_on,
    }
