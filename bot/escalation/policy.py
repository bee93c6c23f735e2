"""The escalation policy: `config/escalation.yaml` validated, and the decisions it implies.

An alert to a unit head carries legal weight (PP 94/2021), so who is alerted, when, and what
opens a case at all is data an admin can read and change, checked at load like the rules: a
typo is refused with "file:entry: problem", never silently ignored. Everything here is pure;
the Escalator does the database and Telegram work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.checking.errors import LoadError, read_yaml_mapping
from bot.checking.findings import CheckResult, Severity, Verdict
from bot.checking.schema import RULE_IDS


class Trigger(StrEnum):
    """What opened a case; the values are the `cases.trigger` column's."""

    AUTO = "auto"
    REPORT = "report"
    SHARE_ANYWAY = "share_anyway"


Delivery = Literal["immediate", "digest", "none"]


@dataclass(frozen=True, slots=True)
class AlertPlan:
    """Who hears of a new case and how; `review_first` and `dry_run` hold everything back."""

    unit_head: Delivery
    ppk: Delivery
    review_first: bool
    dry_run: bool


# --- the file's schema ------------------------------------------------------------------------


def _chat_id(value: int) -> int:
    if value == 0:
        raise ValueError("a Telegram chat id is never 0")
    return value


def _rule_ids(value: list[str]) -> list[str]:
    unknown = [rule for rule in value if rule not in RULE_IDS]
    if unknown:
        raise ValueError(f"unknown rule id {', '.join(map(repr, unknown))}")
    return value


ChatId = Annotated[StrictInt, AfterValidator(_chat_id)]
RuleIds = Annotated[list[str], AfterValidator(_rule_ids)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModeSpec(_Spec):
    review_first: StrictBool = False
    dry_run: StrictBool = False
    review_chat_id: ChatId | None = None

    @model_validator(mode="after")
    def _review_needs_a_chat(self) -> ModeSpec:
        if self.review_first and self.review_chat_id is None:
            raise ValueError("review_chat_id is required when review_first is true")
        return self


class OpensSpec(_Spec):
    """Severities and, optionally, rule ids that open a case (or offer the report button)."""

    severities: list[Severity] = Field(default_factory=list)
    rules: RuleIds = Field(default_factory=list)


class ShareAnywaySpec(_Spec):
    enabled: StrictBool = True


class TriggersSpec(_Spec):
    auto: OpensSpec
    report: OpensSpec
    share_anyway: ShareAnywaySpec = ShareAnywaySpec()


class RecipientsSpec(_Spec):
    unit_head: Delivery
    ppk: Delivery


class SeverityAlertsSpec(RecipientsSpec):
    """Who is alerted for one severity; `by_trigger` may differ for one way of opening."""

    by_trigger: dict[Trigger, RecipientsSpec] = Field(default_factory=dict)


class ReportLimitsSpec(_Spec):
    per_hour: StrictInt = Field(ge=1, le=1000)
    per_day: StrictInt = Field(ge=1, le=10000)

    @model_validator(mode="after")
    def _day_covers_hour(self) -> ReportLimitsSpec:
        if self.per_day < self.per_hour:
            raise ValueError("per_day must be at least per_hour")
        return self


class PolicySpec(_Spec):
    version: Literal[1]
    mode: ModeSpec
    triggers: TriggersSpec
    alerts: dict[Severity, SeverityAlertsSpec]
    fallback_chat_id: ChatId | None = None
    merge_window_hours: StrictInt = Field(72, ge=1, le=24 * 90)
    report_limits: ReportLimitsSpec
    digest_hour_wib: StrictInt = Field(16, ge=0, le=23)
    button_ttl_days: StrictInt = Field(14, ge=1, le=365)
    evidence_retention_days: StrictInt = Field(180, ge=1, le=3650)

    @field_validator("alerts")
    @classmethod
    def _every_severity_alerted(
        cls, value: dict[Severity, SeverityAlertsSpec]
    ) -> dict[Severity, SeverityAlertsSpec]:
        # A 🔴 confirmed "share anyway" can carry any severity, so every one needs a plan.
        missing = [s.value for s in Severity if s not in value]
        if missing:
            raise ValueError(f"no entry for severity {', '.join(missing)}")
        return value


# --- the policy the bot uses ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """The loaded policy; immutable, so a reload builds a new one."""

    review_first: bool
    dry_run: bool
    review_chat_id: int | None
    auto_severities: frozenset[Severity]
    auto_rules: frozenset[str]
    report_severities: frozenset[Severity]
    report_rules: frozenset[str]
    share_anyway_enabled: bool
    recipients: Mapping[tuple[Severity, Trigger], tuple[Delivery, Delivery]]
    fallback_chat_id: int | None
    merge_window: timedelta
    report_limit_per_hour: int
    report_limit_per_day: int
    digest_hour_wib: int
    button_ttl: timedelta
    evidence_retention: timedelta

    def opens_automatically(self, result: CheckResult) -> bool:
        """A critical finding is a report about the content, whoever happened to ask."""
        return any(
            f.severity in self.auto_severities or f.rule in self.auto_rules for f in result.findings
        )

    def can_report(self, result: CheckResult) -> bool:
        """Whether the "Laporkan ke pimpinan" button is offered under this answer."""
        return any(
            f.severity in self.report_severities or f.rule in self.report_rules
            for f in result.findings
        )

    def can_share_anyway(self, result: CheckResult) -> bool:
        return self.share_anyway_enabled and result.verdict is Verdict.VIOLATION

    def case_severity(self, result: CheckResult) -> Severity:
        """The case is as serious as its most serious finding.

        Raises:
            ValueError: the result has no finding, so there is nothing to escalate.
        """
        if not result.findings:
            raise ValueError("a case needs at least one finding")
        return max((f.severity for f in result.findings), key=lambda s: s.rank)

    def alert_plan(self, severity: Severity, trigger: Trigger) -> AlertPlan:
        unit_head, ppk = self.recipients[(severity, trigger)]
        return AlertPlan(unit_head, ppk, self.review_first, self.dry_run)

    def fallback_for(self, ppk_chat_id: int | None) -> int | None:
        """Where alerts for unreachable officials go: the policy's chat, review chat, PPK chat."""
        if self.fallback_chat_id is not None:
            return self.fallback_chat_id
        return self.review_chat_id if self.review_chat_id is not None else ppk_chat_id


def policy_from_spec(spec: PolicySpec) -> EscalationPolicy:
    recipients: dict[tuple[Severity, Trigger], tuple[Delivery, Delivery]] = {}
    for severity, entry in spec.alerts.items():
        for trigger in Trigger:
            chosen: RecipientsSpec = entry.by_trigger.get(trigger, entry)
            recipients[(severity, trigger)] = (chosen.unit_head, chosen.ppk)
    triggers = spec.triggers
    return EscalationPolicy(
        review_first=spec.mode.review_first,
        dry_run=spec.mode.dry_run,
        review_chat_id=spec.mode.review_chat_id,
        auto_severities=frozenset(triggers.auto.severities),
        auto_rules=frozenset(triggers.auto.rules),
        report_severities=frozenset(triggers.report.severities),
        report_rules=frozenset(triggers.report.rules),
        share_anyway_enabled=triggers.share_anyway.enabled,
        recipients=recipients,
        fallback_chat_id=spec.fallback_chat_id,
        merge_window=timedelta(hours=spec.merge_window_hours),
        report_limit_per_hour=spec.report_limits.per_hour,
        report_limit_per_day=spec.report_limits.per_day,
        digest_hour_wib=spec.digest_hour_wib,
        button_ttl=timedelta(days=spec.button_ttl_days),
        evidence_retention=timedelta(days=spec.evidence_retention_days),
    )


def load_policy(path: Path) -> EscalationPolicy:
    """Read and validate the escalation policy file.

    Raises:
        LoadError: the file is missing, not YAML, or breaks the schema; every problem is listed.
    """
    raw = read_yaml_mapping(path, "'version', 'mode', 'triggers', ...")
    try:
        spec = PolicySpec.model_validate(raw)
    except ValidationError as exc:
        raise LoadError([_describe(path, err) for err in exc.errors()]) from None
    return policy_from_spec(spec)


def _describe(path: Path, err: Any) -> str:
    """`file:mode.review_chat_id: problem` — the dotted path is what an admin finds in YAML."""
    loc = [str(part) for part in err["loc"] if str(part) != "[key]"]
    entry = ".".join(loc) or "file"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key (typo?)"
    return f"{path}:{entry}: {message}"
