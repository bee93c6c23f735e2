"""The escalation policy: the shipped file does what the issue says; broken files fail precisely."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.checking import LoadError
from bot.checking.findings import (
    CheckResult,
    Clause,
    Explanation,
    Finding,
    Provenance,
    ProvenanceStatus,
    Severity,
    Verdict,
)
from bot.escalation import ESCALATION_FILE, AlertPlan, Trigger, load_policy
from bot.escalation.policy import EscalationPolicy

DATA = Path(__file__).parents[2] / "data"
CONFIG = Path(__file__).parents[3] / "config"
SHIPPED = CONFIG / ESCALATION_FILE

RULE_OF = {
    Severity.LOW: "hoax",
    Severity.MEDIUM: "gambling",
    Severity.HIGH: "provocation",
    Severity.CRITICAL: "confidential",
}


def finding(severity: Severity, rule: str | None = None) -> Finding:
    return Finding(
        rule=rule or RULE_OF[severity],
        title="judul",
        severity=severity,
        clauses=(Clause("SE MenPANRB 137/2018", "6"),),
        evidence=(),
        guidance="",
        explanation=Explanation("phrases", ("x",), 0.9, None, 0.9, "matched"),
    )


def result(*findings: Finding) -> CheckResult:
    return CheckResult(
        verdict=Verdict.VIOLATION if findings else Verdict.UNVERIFIED,
        findings=findings,
        links=(),
        provenance=Provenance(ProvenanceStatus.UNVERIFIABLE, None),
        hoax_match=None,
        escalate=False,
        content_hash="0" * 64,
    )


@pytest.fixture(scope="module")
def shipped() -> EscalationPolicy:
    return load_policy(SHIPPED)


def edited(tmp_path: Path, *replacements: tuple[str, str]) -> EscalationPolicy:
    """The shipped file with a few lines changed, as an admin would edit it."""
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / ESCALATION_FILE
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


# --- the shipped file ---------------------------------------------------------------------------


def test_when_loading_the_shipped_policy_then_the_defaults_of_the_issue_hold(shipped) -> None:
    assert (shipped.review_first, shipped.dry_run) == (False, False)
    assert shipped.review_chat_id is None and shipped.fallback_chat_id is None
    assert shipped.merge_window == timedelta(hours=72)
    assert shipped.digest_hour_wib == 16
    assert 1 <= shipped.report_limit_per_hour <= shipped.report_limit_per_day
    assert shipped.button_ttl >= timedelta(days=1)
    assert shipped.evidence_retention >= timedelta(days=30)


@pytest.mark.parametrize(
    ("severities", "auto", "reportable"),
    [
        ((Severity.CRITICAL,), True, True),  # critical: opens by itself, and may be reported
        ((Severity.HIGH,), False, True),  # high: only by the report button (or share anyway)
        ((Severity.MEDIUM,), False, False),  # medium: guidance only
        ((Severity.LOW,), False, False),  # low: guidance only
        ((Severity.MEDIUM, Severity.CRITICAL), True, True),  # the worst finding counts
        ((), False, False),  # nothing found, nothing to escalate
    ],
)
def test_when_a_check_has_findings_then_the_shipped_triggers_follow_severity(
    shipped, severities, auto, reportable
) -> None:
    checked = result(*(finding(s) for s in severities))
    assert shipped.opens_automatically(checked) is auto
    assert shipped.can_report(checked) is reportable


@pytest.mark.parametrize(
    ("severity", "unit_head", "ppk"),
    [
        (Severity.CRITICAL, "immediate", "immediate"),  # both alerted at once
        (Severity.HIGH, "digest", "none"),  # the unit head's daily digest
        (Severity.MEDIUM, "digest", "none"),  # a confirmed "share anyway" of a medium finding
        (Severity.LOW, "digest", "none"),
    ],
)
@pytest.mark.parametrize("trigger", list(Trigger))
def test_when_a_case_opens_then_the_shipped_plan_alerts_by_severity(
    shipped, severity, unit_head, ppk, trigger
) -> None:
    assert shipped.alert_plan(severity, trigger) == AlertPlan(unit_head, ppk, False, False)


@pytest.mark.parametrize(
    ("verdict_findings", "allowed"),
    [
        ((Severity.MEDIUM,), True),  # any 🔴 answer may be shared anyway, once warned
        ((Severity.CRITICAL,), True),
        ((), False),  # 🟡 or 🟢: nothing to confirm
    ],
)
def test_when_an_asn_wants_to_share_anyway_then_only_a_violation_asks(
    shipped, verdict_findings, allowed
) -> None:
    assert shipped.can_share_anyway(result(*(finding(s) for s in verdict_findings))) is allowed


def test_when_findings_differ_then_the_case_takes_the_worst_severity(shipped) -> None:
    checked = result(finding(Severity.LOW), finding(Severity.HIGH), finding(Severity.MEDIUM))
    assert shipped.case_severity(checked) is Severity.HIGH


def test_when_nothing_was_found_then_no_case_severity_exists(shipped) -> None:
    with pytest.raises(ValueError, match="at least one finding"):
        shipped.case_severity(result())


def test_when_no_fallback_or_review_chat_is_set_then_alerts_fall_back_to_the_ppk(shipped) -> None:
    assert shipped.fallback_for(-1009) == -1009
    assert shipped.fallback_for(None) is None


# --- an admin's edits ---------------------------------------------------------------------------


def test_when_review_first_and_dry_run_are_on_then_every_plan_says_so(tmp_path) -> None:
    policy = edited(
        tmp_path,
        ("review_first: false", "review_first: true"),
        ("dry_run: false", "dry_run: true"),
        ("review_chat_id: null", "review_chat_id: -1001234567890"),
    )
    for severity in Severity:
        for trigger in Trigger:
            plan = policy.alert_plan(severity, trigger)
            assert (plan.review_first, plan.dry_run) == (True, True)
    assert policy.review_chat_id == -1001234567890
    assert policy.fallback_for(-1009) == -1001234567890  # review chat before the PPK chat


def test_when_a_fallback_chat_is_set_then_it_is_preferred(tmp_path) -> None:
    policy = edited(tmp_path, ("fallback_chat_id: null", "fallback_chat_id: -100777"))
    assert policy.fallback_for(-1009) == -100777


@pytest.mark.parametrize(
    ("rule", "severity", "auto"),
    [
        ("gambling", Severity.MEDIUM, True),  # listed: opens although only medium
        ("hoax", Severity.MEDIUM, False),  # not listed, medium: guidance only
        ("confidential", Severity.CRITICAL, True),  # severity still opens as before
    ],
)
def test_when_a_rule_is_listed_for_auto_then_it_opens_whatever_its_severity(
    tmp_path, rule, severity, auto
) -> None:
    policy = edited(tmp_path, ("    rules: []\n", "    rules: [gambling]\n"))
    assert policy.opens_automatically(result(finding(severity, rule))) is auto


def test_when_a_rule_is_listed_for_report_then_its_button_is_offered(tmp_path) -> None:
    text_before = "  report:\n    severities: [high, critical]\n    rules: []\n"
    text_after = "  report:\n    severities: [high, critical]\n    rules: [hoax]\n"
    policy = edited(tmp_path, (text_before, text_after))
    assert policy.can_report(result(finding(Severity.MEDIUM, "hoax")))
    assert not policy.can_report(result(finding(Severity.MEDIUM, "gambling")))


def test_when_a_trigger_override_is_given_then_only_that_trigger_changes(tmp_path) -> None:
    policy = edited(
        tmp_path,
        (
            "  high:\n    unit_head: digest\n    ppk: none\n",
            "  high:\n    unit_head: digest\n    ppk: none\n"
            "    by_trigger:\n      share_anyway: {unit_head: immediate, ppk: digest}\n",
        ),
    )
    assert policy.alert_plan(Severity.HIGH, Trigger.SHARE_ANYWAY).unit_head == "immediate"
    assert policy.alert_plan(Severity.HIGH, Trigger.SHARE_ANYWAY).ppk == "digest"
    assert policy.alert_plan(Severity.HIGH, Trigger.REPORT).unit_head == "digest"


def test_when_share_anyway_is_disabled_then_no_violation_asks(tmp_path) -> None:
    policy = edited(tmp_path, ("    enabled: true", "    enabled: false"))
    assert not policy.can_share_anyway(result(finding(Severity.CRITICAL)))


def test_when_optional_numbers_are_left_out_then_the_documented_defaults_apply(tmp_path) -> None:
    policy = edited(
        tmp_path,
        ("merge_window_hours: 72\n", ""),
        ("digest_hour_wib: 16\n", ""),
    )
    assert policy.merge_window == timedelta(hours=72)
    assert policy.digest_hour_wib == 16


# --- broken files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # a typo next to the real key is named, not ignored
        ("unknown-key.yaml", ":mode.dry_rnu: unknown key"),
        # review-first mode needs the Diskominfotik chat
        ("review-first-without-chat.yaml", ":mode: review_chat_id is required"),
        ("unknown-severity.yaml", ":triggers.auto.severities.0: Input should be 'low'"),
        ("unknown-rule-id.yaml", ":triggers.auto.rules: unknown rule id 'judi'"),
        ("bad-delivery.yaml", ":alerts.critical.ppk: Input should be 'immediate'"),
        # every severity needs a plan: a 🔴 "share anyway" can carry any of them
        ("missing-severity.yaml", ":alerts: no entry for severity low"),
        ("digest-hour-out-of-range.yaml", ":digest_hour_wib: Input should be less than or equal"),
        ("limits-inverted.yaml", ":report_limits: per_day must be at least per_hour"),
        ("wrong-version.yaml", ":version: Input should be 1"),
        ("zero-chat-id.yaml", ":fallback_chat_id: a Telegram chat id is never 0"),
        # "no" in quotes is a word, not false: refused rather than guessed
        ("quoted-boolean.yaml", ":mode.dry_run: Input should be a valid boolean"),
        ("unknown-trigger-override.yaml", ":alerts.high.by_trigger.manual: Input should be"),
        ("missing-section.yaml", ":report_limits: Field required"),
        ("not-yaml.yaml", ":4: not valid YAML"),
    ],
)
def test_when_a_policy_file_is_broken_then_the_error_names_file_entry_and_problem(
    name, expected
) -> None:
    path = DATA / "bad_escalation" / name
    with pytest.raises(LoadError) as caught:
        load_policy(path)
    problems = caught.value.problems
    assert len(problems) == 1, problems  # each file is broken exactly one way
    assert problems[0].startswith(str(path))
    assert expected in problems[0]


def test_when_every_bad_file_is_listed_then_none_is_forgotten() -> None:
    # A new file in bad_escalation/ without a case above would test nothing.
    names = {p.name for p in (DATA / "bad_escalation").glob("*.yaml")}
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{name}"' in source for name in names)


def test_when_the_file_is_missing_then_load_error_not_traceback(tmp_path) -> None:
    with pytest.raises(LoadError, match="cannot read"):
        load_policy(tmp_path / ESCALATION_FILE)


def test_when_the_file_is_not_a_mapping_then_load_error(tmp_path) -> None:
    path = tmp_path / ESCALATION_FILE
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(LoadError, match="expected a mapping"):
        load_policy(path)


def test_when_several_entries_are_broken_then_every_problem_is_listed(tmp_path) -> None:
    with pytest.raises(LoadError) as caught:
        edited(
            tmp_path,
            ("digest_hour_wib: 16", "digest_hour_wib: 25"),
            ("button_ttl_days: 14", "button_ttl_days: 0"),
        )
    problems = caught.value.problems
    assert any(":digest_hour_wib:" in p for p in problems)
    assert any(":button_ttl_days:" in p for p in problems)
