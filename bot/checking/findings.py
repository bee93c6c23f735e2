"""Values that flow through the checking engine.

The engine takes a `MessageFacts` (what Telegram or the command line told us about a message)
and returns a `CheckResult`. Both are plain frozen dataclasses so the engine stays pure and the
Telegram handlers, the CLI and the tests can build and read them without any framework.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    """The three verdicts of DESIGN.md; the values are stable machine ids."""

    OK = "ok"
    UNVERIFIED = "unverified"
    VIOLATION = "violation"


class Severity(StrEnum):
    """Severity of a rule; ordered so escalation policy can compare them."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class OriginKind(StrEnum):
    """Kinds of Telegram `forward_origin` (MessageOrigin*), plus none for a copy."""

    CHANNEL = "channel"
    CHAT = "chat"
    USER = "user"
    HIDDEN_USER = "hidden_user"


class LinkStatus(StrEnum):
    """What the registry says about one link."""

    OFFICIAL = "official"
    LOOKALIKE = "lookalike"
    SHORTENED = "shortened"
    UNKNOWN = "unknown"


class ProvenanceStatus(StrEnum):
    """Whether the place a message was forwarded from is a registered official source."""

    OFFICIAL = "official"
    UNREGISTERED = "unregistered"
    UNVERIFIABLE = "unverifiable"


@dataclass(frozen=True, slots=True)
class Clause:
    """One point of one circular that a rule cites."""

    instrument: str
    point: str

    def __str__(self) -> str:
        return f"{self.instrument} angka {self.point}"


@dataclass(frozen=True, slots=True)
class ForwardOrigin:
    """Where Telegram says a forwarded message came from.

    Only `chat_id` (channels, groups) and `user_id` (users) identify anybody; `username`,
    `title` and `sender_name` are labels that anybody can copy.
    """

    kind: OriginKind
    chat_id: int | None = None
    user_id: int | None = None
    username: str | None = None
    title: str | None = None
    sender_name: str | None = None


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """Everything the engine may look at: the text and what Telegram says around it.

    Args:
        text: message text or media caption, as the user sent it.
        entity_urls: targets of Telegram `url` and `text_link` entities, in order.
        forward: the forward origin; None for a typed or copied message.
    """

    text: str
    entity_urls: tuple[str, ...] = ()
    forward: ForwardOrigin | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a finding fired, for admins and for the `--json` output.

    Args:
        detector: detector kind that produced the strongest hit (`phrases`, `pattern`, ...).
        matched: the normalized terms or pattern names that matched.
        score: score before context.
        context_word: word that lowered the score ("waspada", "hoaks"), if any.
        final_score: score after context, compared with the rule threshold.
        text: one line in English for logs.
    """

    detector: str
    matched: tuple[str, ...]
    score: float
    context_word: str | None
    final_score: float
    text: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that found a suspected violation; evidence is already masked for display."""

    rule: str
    title: str
    severity: Severity
    clauses: tuple[Clause, ...]
    evidence: tuple[str, ...]
    guidance: str
    explanation: Explanation
    reason: str = ""


@dataclass(frozen=True, slots=True)
class LinkReport:
    """The verdict on one link found in the message.

    `source_name` names the registry entry for an official link; `imitates` names the
    official domain a lookalike copies; `display_target` differs from `url` for `text_link`.
    """

    url: str
    host: str
    status: LinkStatus
    source_name: str | None = None
    imitates: str | None = None
    from_text_link: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Provenance:
    """The verdict on the forward origin."""

    status: ProvenanceStatus
    origin: ForwardOrigin | None
    source_name: str | None = None


@dataclass(frozen=True, slots=True)
class HoaxMatch:
    """A near-duplicate of a claim in the hoax database."""

    hoax_id: int
    claim: str
    clarification_url: str | None
    similarity: float
    added_on: str | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The engine's answer for one message."""

    verdict: Verdict
    findings: tuple[Finding, ...]
    links: tuple[LinkReport, ...]
    provenance: Provenance
    hoax_match: HoaxMatch | None
    escalate: bool
    content_hash: str
    reply: str = ""
    official_backing: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(f.rule for f in self.findings)
