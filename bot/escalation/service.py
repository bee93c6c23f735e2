"""The Escalator: from a check result (or an ASN's report) to a case, its alerts and decisions.

One transaction does each step: rate limits, the case (opened or merged by content hash), the
sealed evidence, the timeline and the outbox rows of every alert; a button press consumes its
single-use token, moves the case, and queues the edits of every alert and the reporters'
notices. So a message exists exactly when its cause does; the dispatcher delivers it later,
across restarts (RELIABILITY P3). Asking the bot never makes the asker a suspect: the asker is
the *reporter*; the subject is only a person named by `forward_origin`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checking.findings import CheckResult, MessageFacts, OriginKind, Severity
from bot.checking.identifiers import mask_identifiers
from bot.checking.loader import RuleSet
from bot.db.case_models import CaseRow
from bot.db.cases import CaseRepository
from bot.db.contacts import ContactRepository
from bot.db.outbox import OutboxRepository
from bot.db.staff import StaffRepository
from bot.escalation import alerts
from bot.escalation.policy import AlertPlan, EscalationPolicy, Trigger
from bot.escalation.sealing import EvidenceSealer
from bot.escalation.views import alert_number, case_view, evidence_view
from bot.identities import NOT_PEOPLE
from bot.registry.officials import OfficialStatus, officials_status
from bot.telegram.callbacks import CallbackCodec
from bot.texts import id as texts

LOGGER = logging.getLogger(__name__)
REASON_TTL = timedelta(minutes=15)
TERMINAL = frozenset({"dismissed", "decided"})
# Alert button -> the status it leads to.
ACTION_STATUS = {
    "ack": "acknowledged",
    "fwd": "forwarded",
    "nov": "dismissed",
    "dec": "decided",
    "cfm": "open",
}
NEEDS_REASON = frozenset({"nov", "dec"})
# Which buttons an alert shows, by who receives it and where the case stands.
BUTTONS: dict[str, dict[str, tuple[str, ...]]] = {
    "alert_unit_head": {"open": ("ack", "fwd", "nov"), "acknowledged": ("fwd", "nov")},
    "alert_ppk": {s: ("dec", "nov") for s in ("open", "acknowledged", "forwarded")},
    "alert_review": {"review": ("cfm", "nov")},
}


class ReportOutcome(StrEnum):
    OPENED = "opened"
    MERGED = "merged"
    ALREADY_REPORTED = "already_reported"
    RATE_LIMITED = "rate_limited"
    NOT_REPORTABLE = "not_reportable"


class ActOutcome(StrEnum):
    DONE = "done"
    ASK_REASON = "ask_reason"
    EXPIRED = "expired"  # used, expired, forged: nothing changes
    REFUSED = "refused"  # not this person's case to act on
    NOT_ALLOWED = "not_allowed"  # the case has moved on


@dataclass(frozen=True, slots=True)
class Report:
    outcome: ReportOutcome
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Act:
    outcome: ActOutcome
    reference: str | None = None
    case_id: int | None = None


@dataclass
class Escalator:
    """Opens and merges cases, queues their alerts, and carries out officials' decisions."""

    sessions: async_sessionmaker[AsyncSession]
    policy: EscalationPolicy
    sealer: EvidenceSealer
    codec: CallbackCodec
    rules: Callable[[], RuleSet]
    ppk_chat_id: int | None = None
    admin_ids: frozenset[int] = frozenset()
    queued: Callable[[], None] = lambda: None
    cases: CaseRepository = field(default_factory=CaseRepository)
    outbox: OutboxRepository = field(default_factory=OutboxRepository)
    staff: StaffRepository = field(default_factory=StaffRepository)
    contacts: ContactRepository = field(default_factory=ContactRepository)

    # --- reports -------------------------------------------------------------------------

    async def after_check(
        self, result: CheckResult, facts: MessageFacts, *, reporter_id: int, check_id: int
    ) -> Report | None:
        """Open (or join) a case on its own for what the policy escalates automatically."""
        if not self.policy.opens_automatically(result):
            return None
        return await self.report(
            result, facts, reporter_id=reporter_id, check_id=check_id, trigger=Trigger.AUTO
        )

    async def report(
        self,
        result: CheckResult,
        facts: MessageFacts,
        *,
        reporter_id: int,
        check_id: int | None,
        trigger: Trigger,
    ) -> Report:
        """Record a report about this content and queue what a new or grown case needs."""
        allowed = {
            Trigger.AUTO: self.policy.opens_automatically,
            Trigger.REPORT: self.policy.can_report,
            Trigger.SHARE_ANYWAY: self.policy.can_share_anyway,
        }[trigger](result)
        if not allowed:
            return Report(ReportOutcome.NOT_REPORTABLE)
        now = datetime.now(UTC)
        async with self.sessions.begin() as session:
            if trigger is not Trigger.AUTO and await self._over_limit(session, reporter_id, now):
                return Report(ReportOutcome.RATE_LIMITED)
            outcome = await self._open_or_merge(
                session, result, facts, reporter_id, check_id, trigger, now
            )
        self.queued()
        reference = outcome.case.reference
        if outcome.created:
            return Report(ReportOutcome.OPENED, reference)
        if outcome.new_reporter:
            return Report(ReportOutcome.MERGED, reference)
        return Report(ReportOutcome.ALREADY_REPORTED, reference)

    async def _open_or_merge(
        self,
        session: AsyncSession,
        result: CheckResult,
        facts: MessageFacts,
        reporter_id: int,
        check_id: int | None,
        trigger: Trigger,
        now: datetime,
    ) -> Any:
        reporter = await self.staff.by_telegram_id(session=session, telegram_user_id=reporter_id)
        severity = self.policy.case_severity(result)
        plan = self.policy.alert_plan(severity, trigger)
        subject_id, subject_name = _subject(facts)
        document = evidence_document(result, facts, now)
        outcome = await self.cases.open_or_merge(
            session=session,
            content_hash=result.content_hash,
            severity=severity.value,
            rule_ids=list(result.rule_ids),
            trigger=trigger.value,
            reporter_id=reporter_id,
            reporter_unit=reporter.unit_code if reporter else None,
            check_id=check_id,
            subject_user_id=subject_id,
            subject_name=subject_name,
            merge_window=self.policy.merge_window,
            evidence_sealed=self.sealer.seal(document),
            evidence_destroy_after=now + self.policy.evidence_retention,
            status="review" if plan.review_first else "open",
            dry_run=plan.dry_run,
            digest=plan.unit_head == "digest" and plan.ppk != "immediate",
        )
        if plan.dry_run:
            return outcome
        if outcome.created:
            await self._first_alerts(session, outcome.case, plan, document)
        elif outcome.new_reporter:
            await self._refresh_alerts(session, outcome.case)
        return outcome

    async def _over_limit(self, session: AsyncSession, reporter_id: int, now: datetime) -> bool:
        hour = await self.cases.reports_since(
            session=session, reporter_id=reporter_id, since=now - timedelta(hours=1)
        )
        day = await self.cases.reports_since(
            session=session, reporter_id=reporter_id, since=now - timedelta(days=1)
        )
        return hour >= self.policy.report_limit_per_hour or day >= self.policy.report_limit_per_day

    async def _first_alerts(
        self, session: AsyncSession, case: CaseRow, plan: AlertPlan, document: dict[str, Any]
    ) -> None:
        if plan.review_first:
            await self._alert(session, case, self.policy.review_chat_id, "alert_review", document)
            return
        if plan.unit_head == "immediate":
            for chat_id in await self._unit_head_chats(session, case.unit_code):
                await self._alert(session, case, chat_id, "alert_unit_head", document)
        if plan.ppk == "immediate":
            await self._alert(session, case, self.ppk_chat_id, "alert_ppk", document)

    def _recipient(self, case: CaseRow, purpose: str) -> str:
        """Who an alert is for, named in the fallback copy if Telegram refuses it."""
        if purpose == "alert_unit_head":
            return texts.RECIPIENT_UNIT_HEAD.format(unit=case.unit_code or "-")
        if purpose == "alert_ppk":
            return texts.RECIPIENT_PPK
        return texts.RECIPIENT_REVIEW

    async def _unit_head_chats(self, session: AsyncSession, unit_code: str | None) -> list[int]:
        """Unit heads who can be written to; the fallback stands in for the others."""
        fallback = self.policy.fallback_for(self.ppk_chat_id)
        if unit_code is None:
            return [fallback] if fallback is not None else []
        chats: list[int] = []
        for head in await self.staff.unit_heads(session=session, unit_code=unit_code):
            user_id = head.telegram_user_id
            if user_id is not None and await self.contacts.is_reachable(
                session=session, chat_id=user_id
            ):
                chats.append(user_id)
            elif fallback is not None:
                chats.append(fallback)
        return list(dict.fromkeys(chats))

    async def _alert(
        self,
        session: AsyncSession,
        case: CaseRow,
        chat_id: int | None,
        purpose: str,
        document: dict[str, Any],
    ) -> None:
        if chat_id is None:
            LOGGER.warning("case %s: nobody to send %s to", case.reference, purpose)
            return
        text = self._render(case, purpose, document)
        markup = await self._buttons(session, case, purpose)
        await self.outbox.enqueue(
            session=session,
            chat_id=chat_id,
            method="sendMessage",
            payload={
                "text": text,
                "reply_markup": markup,
                "recipient": self._recipient(case, purpose),
            },
            purpose=purpose,
            case_id=case.id,
            alert_number=alert_number(case),
        )

    def _render(
        self, case: CaseRow, purpose: str, document: dict[str, Any], last_event: Any = None
    ) -> str:
        view = case_view(case, self.rules(), last_event=last_event, evidence=document)
        if purpose in ("alert_unit_head", "alert_fallback"):
            # A fallback copy stands in for an official; its edits show no message text.
            return alerts.render_unit_head_alert(view)
        if purpose == "alert_review":
            return alerts.render_review_request(view, evidence_view(document))
        return alerts.render_ppk_packet(view, evidence_view(document))

    async def _buttons(self, session: AsyncSession, case: CaseRow, purpose: str) -> dict[str, Any]:
        rows = []
        for action in BUTTONS.get(purpose, {}).get(case.status, ()):
            token = await self.cases.issue_token(
                session=session, case_id=case.id, action=action, ttl=self.policy.button_ttl
            )
            label = alerts.ACTION_LABELS[action]
            rows.append([{"text": label, "callback_data": self.codec.encode(action, token)}])
        return {"inline_keyboard": rows}

    async def _refresh_alerts(self, session: AsyncSession, case: CaseRow) -> None:
        """Edit every alert of the case to its current status, count and buttons."""
        document = await self._document(session, case)
        events = await self.cases.timeline(session=session, case_id=case.id)
        last = events[-1] if events else None
        for alert in await self.outbox.alerts(session=session, case_id=case.id):
            payload: dict[str, Any] = {
                "text": self._render(case, alert.purpose, document, last),
                "edit_of": alert.id,
            }
            markup = await self._buttons(session, case, alert.purpose)
            if markup["inline_keyboard"]:
                payload["reply_markup"] = markup
            await self.outbox.enqueue(
                session=session,
                chat_id=alert.chat_id,
                method="editMessageText",
                payload=payload,
                purpose="edit",
                case_id=case.id,
                alert_number=alert_number(case),
            )

    async def _document(self, session: AsyncSession, case: CaseRow) -> dict[str, Any]:
        sealed = await self.cases.evidence(session=session, case_id=case.id)
        if sealed is None:  # destroyed by retention: alerts keep what the record holds
            return {
                "text": "",
                "content_hash": case.content_hash,
                "checked_at": case.opened_at.isoformat(),
            }
        return self.sealer.open(sealed)

    # --- decisions -----------------------------------------------------------------------

    async def act(self, action: str, token_id: int, user_id: int, reason: str | None = None) -> Act:
        """Carry out one press of an alert button, after checking who pressed it."""
        async with self.sessions.begin() as session:
            token = await self.cases.peek_token(session=session, token_id=token_id)
            if token is None or token.action != action:
                return Act(ActOutcome.EXPIRED)
            case = await self.cases.get(session=session, case_id=token.case_id)
            if case is None:
                return Act(ActOutcome.EXPIRED)
            if not await self.may_act(session, user_id, case, action):
                return Act(ActOutcome.REFUSED, case.reference, case.id)
            if action in NEEDS_REASON and not reason:
                await self.cases.expect_input(
                    session=session,
                    user_id=user_id,
                    case_id=case.id,
                    action=action,
                    token_id=token_id,
                    ttl=REASON_TTL,
                )
                return Act(ActOutcome.ASK_REASON, case.reference, case.id)
            if (
                await self.cases.consume_token(session=session, token_id=token_id, user_id=user_id)
                is None
            ):
                return Act(ActOutcome.EXPIRED)
            moved = await self.cases.transition(
                session=session,
                case_id=case.id,
                to_status=ACTION_STATUS[action],
                actor=f"telegram:{user_id}",
                reason=reason,
            )
            if moved is None:
                return Act(ActOutcome.NOT_ALLOWED, case.reference, case.id)
            await self._after_move(session, moved, action)
        self.queued()
        return Act(ActOutcome.DONE, moved.reference, moved.id)

    async def _after_move(self, session: AsyncSession, case: CaseRow, action: str) -> None:
        document = await self._document(session, case)
        await self._refresh_alerts(session, case)
        queued = {row.purpose for row in await self.outbox.alerts(session=session, case_id=case.id)}
        if action == "cfm":  # review passed: now alert as if the review had not been there
            plan = self.policy.alert_plan(Severity(case.severity), Trigger(case.trigger))
            await self._first_alerts(session, case, _without_review(plan), document)
        elif action == "fwd" and "alert_ppk" not in queued:
            await self._alert(session, case, self.ppk_chat_id, "alert_ppk", document)
        await self._notify_reporters(session, case)

    async def _notify_reporters(self, session: AsyncSession, case: CaseRow) -> None:
        view = case_view(case, self.rules())
        text = alerts.render_reporter_notice(view)
        for reporter in await self.cases.reporters(session=session, case_id=case.id):
            await self.outbox.enqueue(
                session=session,
                chat_id=reporter.telegram_user_id,
                method="sendMessage",
                payload={"text": text},
                purpose="notify_reporter",
                case_id=case.id,
                alert_number=alert_number(case),
            )

    async def may_act(
        self, session: AsyncSession, user_id: int, case: CaseRow, action: str
    ) -> bool:
        """Admins always; the PPK; the unit head of the case's unit; review only by admins."""
        if user_id in NOT_PEOPLE:
            return False
        staff = await self.staff.by_telegram_id(session=session, telegram_user_id=user_id)
        role = staff.role if staff else None
        if user_id in self.admin_ids or role == "admin":
            return True
        if case.status == "review" or action == "cfm":
            return False
        if role == "ppk":
            return True
        return role == "unit_head" and staff is not None and staff.unit_code == case.unit_code

    # --- lists and digests ---------------------------------------------------------------

    async def visible_cases(self, user_id: int) -> list[CaseRow] | None:
        """Open cases the person may see (None: not an official)."""
        async with self.sessions() as session:
            staff = await self.staff.by_telegram_id(session=session, telegram_user_id=user_id)
            role = staff.role if staff else None
            if user_id in self.admin_ids or role in ("admin", "ppk"):
                return await self.cases.open_cases(session=session)
            if role == "unit_head" and staff is not None:
                return await self.cases.open_cases(session=session, unit_code=staff.unit_code)
        return None

    async def unenrolled_officials(self) -> list[OfficialStatus]:
        """Officials who cannot be alerted directly, and why (P9)."""
        async with self.sessions() as session:
            return [s for s in await officials_status(session) if s.problem is not None]

    async def queue_digests(self, now: datetime | None = None) -> int:
        """Queue today's digest to every unit head with digest cases; once per unit per day."""
        now = now or datetime.now(UTC)
        since = now - timedelta(days=1)
        queued = 0
        async with self.sessions.begin() as session:
            for unit in await self.staff.units(session=session):
                cases = await self.cases.digest_cases(
                    session=session, unit_code=unit.code, since=since
                )
                if not cases:
                    continue
                number = f"DIG-{unit.code}-{now:%Y%m%d}"
                if await self.outbox.exists(session=session, alert_number=number):
                    continue
                views = [case_view(c, self.rules()) for c in cases]
                text = alerts.render_digest(unit.name, views, alert_number=number)
                for chat_id in await self._unit_head_chats(session, unit.code):
                    await self.outbox.enqueue(
                        session=session,
                        chat_id=chat_id,
                        method="sendMessage",
                        payload={"text": text},
                        purpose="digest",
                        alert_number=number,
                    )
                    queued += 1
        if queued:
            self.queued()
        return queued


def evidence_document(result: CheckResult, facts: MessageFacts, now: datetime) -> dict[str, Any]:
    """The evidence packet sealed with a case: the text (NIK/NIP masked), origin, links."""
    origin = facts.forward
    return {
        "text": mask_identifiers(facts.text),
        "forward_origin": None
        if origin is None
        else {
            "kind": origin.kind.value,
            "chat_id": origin.chat_id,
            "user_id": origin.user_id,
            "username": origin.username,
            "title": origin.title,
            "sender_name": origin.sender_name,
        },
        "links": [
            {"url": link.url, "host": link.host, "status": link.status.value}
            for link in result.links
        ],
        "findings": [{"rule": f.rule, "evidence": list(f.evidence)} for f in result.findings],
        "content_hash": result.content_hash,
        "checked_at": now.isoformat(),
    }


def _subject(facts: MessageFacts) -> tuple[int | None, str | None]:
    """The author named by forward_origin, when that is a person; never the asker."""
    origin = facts.forward
    if origin is None or origin.kind is not OriginKind.USER:
        return None, None
    return origin.user_id, origin.sender_name or origin.username


def _without_review(plan: AlertPlan) -> AlertPlan:
    return AlertPlan(plan.unit_head, plan.ppk, review_first=False, dry_run=plan.dry_run)


__all__: Sequence[str] = ("Act", "ActOutcome", "Escalator", "Report", "ReportOutcome")
