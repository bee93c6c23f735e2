"""The case store against real migrated databases, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.case_models import CaseRow
from bot.db.cases import CaseOutcome, CaseRepository
from tests.support.clock import MovableClock

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
WINDOW = timedelta(hours=24)
HASH_A, HASH_B = "a" * 64, "b" * 64
ASN_1, ASN_2, ASN_3 = 501, 502, 503
STATUSES = ("review", "open", "acknowledged", "forwarded", "dismissed", "decided")
# The transitions the escalation plan allows, written out independently of the code's table.
ALLOWED = {
    ("review", "open"),
    ("review", "dismissed"),
    ("open", "acknowledged"),
    ("open", "forwarded"),
    ("open", "dismissed"),
    ("open", "decided"),
    ("acknowledged", "forwarded"),
    ("acknowledged", "dismissed"),
    ("acknowledged", "decided"),
    ("forwarded", "decided"),
    ("forwarded", "dismissed"),
}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
def repo(clock: MovableClock) -> CaseRepository:
    return CaseRepository(clock=clock)


async def report(
    sessions: Sessions, repo: CaseRepository, reporter_id: int = ASN_1, **overrides: object
) -> CaseOutcome:
    fields: dict[str, object] = {
        "content_hash": HASH_A,
        "severity": "critical",
        "rule_ids": ["classified_document"],
        "trigger": "auto",
        "reporter_id": reporter_id,
        "reporter_unit": "DISKOMINFOTIK",
        "check_id": None,
        "subject_user_id": None,
        "subject_name": None,
        "merge_window": WINDOW,
        "evidence_sealed": b"sealed-evidence-1",
        "evidence_destroy_after": T0 + timedelta(days=365),
        "status": "open",
        "dry_run": False,
        "digest": False,
    } | overrides
    async with sessions.begin() as session:
        return await repo.open_or_merge(session=session, **fields)  # type: ignore[arg-type]


async def move(
    sessions: Sessions, repo: CaseRepository, case_id: int, to: str, actor: str = "telegram:9"
) -> CaseRow | None:
    async with sessions.begin() as session:
        return await repo.transition(
            session=session, case_id=case_id, to_status=to, actor=actor, reason=f"alasan {to}"
        )


async def fetch(sessions: Sessions, repo: CaseRepository, case_id: int) -> CaseRow:
    async with sessions() as session:
        case = await repo.get(session=session, case_id=case_id)
    assert case is not None
    return case


async def actions(sessions: Sessions, repo: CaseRepository, case_id: int) -> list[tuple[str, str]]:
    async with sessions() as session:
        events = await repo.timeline(session=session, case_id=case_id)
    return [(event.action, event.actor) for event in events]


async def test_when_content_is_first_reported_then_a_case_opens_with_reference_and_evidence(
    sessions: Sessions, repo: CaseRepository
) -> None:
    outcome = await report(sessions, repo, check_id=77, subject_user_id=42, subject_name="Siti")
    case = outcome.case
    assert (outcome.created, outcome.new_reporter) == (True, True)
    assert case.reference == f"SRG-2026-{case.id:06d}"
    assert (case.status, case.severity, case.rule_ids) == (
        "open",
        "critical",
        ["classified_document"],
    )
    assert (case.reporter_count, case.unit_code, case.subject_user_id) == (1, "DISKOMINFOTIK", 42)
    async with sessions() as session:
        assert await repo.evidence(session=session, case_id=case.id) == b"sealed-evidence-1"
        reporters = await repo.reporters(session=session, case_id=case.id)
        assert (await repo.by_reference(session=session, reference=" srg-2026-000001 ")) is not None
    assert [(r.telegram_user_id, r.check_id) for r in reporters] == [(ASN_1, 77)]
    assert await actions(sessions, repo, case.id) == [("opened", "saring")]


@pytest.mark.parametrize(
    ("opened_at", "year"),
    [
        (datetime(2026, 12, 31, 16, 59, tzinfo=UTC), 2026),  # 23:59 WIB on new year's eve
        (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), 2027),  # already 1 January in Jakarta
    ],
)
async def test_when_a_case_opens_around_new_year_then_the_reference_uses_the_jakarta_year(
    sessions: Sessions, opened_at: datetime, year: int
) -> None:
    outcome = await report(sessions, CaseRepository(clock=lambda: opened_at))
    assert outcome.case.reference == f"SRG-{year}-000001"


async def test_when_many_cases_open_then_every_reference_is_distinct_and_well_formed(
    sessions: Sessions, repo: CaseRepository
) -> None:
    outcomes = [await report(sessions, repo, content_hash=f"{n:064x}") for n in range(12)]
    references = [outcome.case.reference or "" for outcome in outcomes]
    assert len(set(references)) == 12
    assert all(re.fullmatch(r"SRG-2026-\d{6}", reference) for reference in references)


async def test_when_others_report_within_the_window_then_the_case_merges_and_counts_them(
    sessions: Sessions, repo: CaseRepository, clock: MovableClock
) -> None:
    first = await report(sessions, repo, severity="high", rule_ids=["sara_hate"], trigger="report")
    clock.advance(hours=23)
    second = await report(
        sessions, repo, ASN_2, severity="critical", rule_ids=["classified_document"]
    )
    third = await report(sessions, repo, ASN_3, severity="medium", rule_ids=["sara_hate"])
    assert (second.created, second.new_reporter, third.created) == (False, True, False)
    assert third.case.id == first.case.id
    assert third.case.reporter_count == 3
    assert third.case.severity == "critical"  # the highest report wins, a later lower one not
    assert third.case.rule_ids == ["classified_document", "sara_hate"]
    assert third.case.trigger == "report"
    assert await actions(sessions, repo, first.case.id) == [
        ("opened", "telegram:501"),
        ("reporter_added", "saring"),
        ("reporter_added", "saring"),
    ]


async def test_when_the_same_person_reports_twice_then_the_count_stays_one(
    sessions: Sessions, repo: CaseRepository
) -> None:
    await report(sessions, repo)
    again = await report(sessions, repo)
    assert (again.created, again.new_reporter, again.case.reporter_count) == (False, False, 1)
    assert await actions(sessions, repo, again.case.id) == [("opened", "saring")]


async def test_when_the_window_has_passed_then_a_new_case_opens(
    sessions: Sessions, repo: CaseRepository, clock: MovableClock
) -> None:
    first = await report(sessions, repo)
    clock.advance(hours=24, seconds=1)
    later = await report(sessions, repo, ASN_2)
    assert later.created
    assert later.case.id != first.case.id
    assert later.case.reporter_count == 1


@pytest.mark.parametrize("closed", ["dismissed", "decided"])
async def test_when_the_case_was_closed_then_a_new_report_opens_a_new_case(
    sessions: Sessions, repo: CaseRepository, closed: str
) -> None:
    first = await report(sessions, repo)
    assert await move(sessions, repo, first.case.id, closed) is not None
    later = await report(sessions, repo, ASN_2)
    assert later.created
    assert later.case.id != first.case.id


async def test_when_other_content_is_reported_then_it_gets_its_own_case(
    sessions: Sessions, repo: CaseRepository
) -> None:
    first = await report(sessions, repo)
    other = await report(sessions, repo, ASN_2, content_hash=HASH_B)
    assert other.created
    assert other.case.id != first.case.id


async def test_when_a_merge_brings_evidence_then_the_first_evidence_is_kept(
    sessions: Sessions, repo: CaseRepository
) -> None:
    first = await report(sessions, repo, evidence_sealed=None)
    await report(sessions, repo, ASN_2, evidence_sealed=b"second")
    await report(sessions, repo, ASN_3, evidence_sealed=b"third")
    async with sessions() as session:
        assert await repo.evidence(session=session, case_id=first.case.id) == b"second"


async def test_when_five_people_report_the_same_content_at_once_then_one_case_counts_five(
    sessions: Sessions, repo: CaseRepository
) -> None:
    for round_number in range(3):
        content_hash = f"{round_number:064x}"
        reporters = [1000 * round_number + n for n in range(5)]
        outcomes = await asyncio.gather(
            *(report(sessions, repo, r, content_hash=content_hash) for r in reporters)
        )
        assert sum(outcome.created for outcome in outcomes) == 1
        assert len({outcome.case.id for outcome in outcomes}) == 1
        case = await fetch(sessions, repo, outcomes[0].case.id)
        assert case.reporter_count == 5
    async with sessions() as session:
        assert len((await session.scalars(select(CaseRow))).all()) == 3


async def test_when_counting_recent_reports_then_only_that_person_since_then_counts(
    sessions: Sessions, repo: CaseRepository, clock: MovableClock
) -> None:
    await report(sessions, repo, content_hash=HASH_A)
    clock.advance(hours=2)
    await report(sessions, repo, content_hash=HASH_B)
    await report(sessions, repo, ASN_2, content_hash=HASH_B)
    async with sessions() as session:
        since_start = await repo.reports_since(session=session, reporter_id=ASN_1, since=T0)
        recent = await repo.reports_since(
            session=session, reporter_id=ASN_1, since=T0 + timedelta(hours=1)
        )
    assert (since_start, recent) == (2, 1)


async def reach(sessions: Sessions, repo: CaseRepository, status: str, content_hash: str) -> int:
    """A fresh case standing in `status`, reached through allowed steps."""
    outcome = await report(
        sessions, repo, content_hash=content_hash, status="review" if status == "review" else "open"
    )
    if status not in ("review", "open"):
        assert await move(sessions, repo, outcome.case.id, status) is not None
    return outcome.case.id


@pytest.mark.parametrize("source", STATUSES)
async def test_when_a_status_change_is_asked_then_only_allowed_ones_happen(
    sessions: Sessions, repo: CaseRepository, source: str
) -> None:
    for number, target in enumerate(STATUSES):
        case_id = await reach(sessions, repo, source, f"{number:064x}")
        before = await actions(sessions, repo, case_id)
        moved = await move(sessions, repo, case_id, target, actor="telegram:7")
        case = await fetch(sessions, repo, case_id)
        if (source, target) in ALLOWED:
            assert moved is not None and case.status == target, (source, target)
            assert await actions(sessions, repo, case_id) == [*before, (target, "telegram:7")]
        else:
            assert moved is None and case.status == source, (source, target)
            assert await actions(sessions, repo, case_id) == before


async def test_when_a_case_is_closed_then_the_reason_and_time_are_kept(
    sessions: Sessions, repo: CaseRepository, clock: MovableClock
) -> None:
    case_id = (await report(sessions, repo, trigger="share_anyway")).case.id
    clock.advance(minutes=5)
    acknowledged = await move(sessions, repo, case_id, "acknowledged", actor="telegram:11")
    assert acknowledged is not None
    assert (acknowledged.decision, acknowledged.closed_at) == (None, None)
    clock.advance(minutes=5)
    decided = await move(sessions, repo, case_id, "decided", actor="telegram:22")
    assert decided is not None
    assert decided.decision == "alasan decided"
    assert decided.closed_at == T0 + timedelta(minutes=10)
    async with sessions() as session:
        events = await repo.timeline(session=session, case_id=case_id)
    assert [(e.action, e.actor, e.at - T0) for e in events] == [
        ("opened", "telegram:501", timedelta(0)),
        ("acknowledged", "telegram:11", timedelta(minutes=5)),
        ("decided", "telegram:22", timedelta(minutes=10)),
    ]
    assert events[2].detail == {"from": "acknowledged", "to": "decided", "reason": "alasan decided"}


async def test_when_an_unknown_case_is_moved_then_nothing_happens(
    sessions: Sessions, repo: CaseRepository
) -> None:
    assert await move(sessions, repo, 999, "acknowledged") is None


async def issue(sessions: Sessions, repo: CaseRepository, ttl: timedelta = WINDOW) -> int:
    case_id = (await report(sessions, repo)).case.id
    async with sessions.begin() as session:
        return await repo.issue_token(session=session, case_id=case_id, action="ack", ttl=ttl)


async def consume(sessions: Sessions, repo: CaseRepository, token_id: int, user_id: int):
    async with sessions.begin() as session:
        return await repo.consume_token(session=session, token_id=token_id, user_id=user_id)


async def peek(sessions: Sessions, repo: CaseRepository, token_id: int):
    async with sessions() as session:
        return await repo.peek_token(session=session, token_id=token_id)


async def test_when_a_button_is_pressed_twice_then_only_the_first_press_counts(
    sessions: Sessions, repo: CaseRepository
) -> None:
    token_id = await issue(sessions, repo)
    assert (await peek(sessions, repo, token_id)) is not None
    first = await consume(sessions, repo, token_id, 11)
    assert first is not None and (first.action, first.used_by, first.used_at) == ("ack", 11, T0)
    assert await consume(sessions, repo, token_id, 11) is None
    assert await consume(sessions, repo, token_id, 12) is None
    assert await peek(sessions, repo, token_id) is None


async def test_when_a_button_has_expired_or_never_existed_then_it_does_nothing(
    sessions: Sessions, repo: CaseRepository, clock: MovableClock
) -> None:
    token_id = await issue(sessions, repo, ttl=timedelta(hours=1))
    clock.advance(hours=1)
    assert await peek(sessions, repo, token_id) is None
    assert await consume(sessions, repo, token_id, 11) is None
    assert await consume(sessions, repo, token_id + 100, 11) is None


async def test_when_two_officials_press_one_button_at_once_then_exactly_one_wins(
    sessions: Sessions, repo: CaseRepository
) -> None:
    for _ in range(5):
        token_id = await issue(sessions, repo)
        results = await asyncio.gather(*(consume(sessions, repo, token_id, u) for u in (11, 12)))
        winners = [result for result in results if result is not None]
        assert len(winners) == 1
        assert await peek(sessions, repo, token_id) is None
        assert winners[0].used_by in (11, 12)


async def test_when_a_reason_is_awaited_then_the_next_message_takes_it_once(
    sessions: Sessions, repo: CaseRepository, clock: MovableClock
) -> None:
    token_id = await issue(sessions, repo)
    async with sessions.begin() as session:
        for action in ("dismiss", "decide"):  # the later question replaces the earlier one
            await repo.expect_input(
                session=session,
                user_id=11,
                case_id=1,
                action=action,
                token_id=token_id,
                ttl=timedelta(minutes=10),
            )
    async with sessions.begin() as session:
        taken = await repo.take_input(session=session, user_id=11)
        assert taken is not None and (taken.action, taken.token_id) == ("decide", token_id)
        assert await repo.take_input(session=session, user_id=11) is None
        assert await repo.take_input(session=session, user_id=12) is None


async def test_when_a_reason_comes_too_late_then_it_is_not_taken(
    sessions: Sessions, repo: CaseRepository, clock: MovableClock
) -> None:
    token_id = await issue(sessions, repo)
    async with sessions.begin() as session:
        await repo.expect_input(
            session=session,
            user_id=11,
            case_id=1,
            action="dismiss",
            token_id=token_id,
            ttl=timedelta(minutes=10),
        )
    clock.advance(minutes=10)
    async with sessions.begin() as session:
        assert await repo.take_input(session=session, user_id=11) is None


async def test_when_open_cases_are_listed_then_closed_and_other_units_are_left_out(
    sessions: Sessions, repo: CaseRepository, clock: MovableClock
) -> None:
    def hashed(n: int) -> str:
        return f"{n:064x}"

    live = (await report(sessions, repo, content_hash=hashed(1))).case.id
    clock.advance(minutes=1)
    other_unit = await report(sessions, repo, content_hash=hashed(2), reporter_unit="BKD")
    clock.advance(minutes=1)
    closed = (await report(sessions, repo, content_hash=hashed(3))).case.id
    await move(sessions, repo, closed, "dismissed")
    clock.advance(minutes=1)
    in_review = (await report(sessions, repo, content_hash=hashed(4), status="review")).case.id
    clock.advance(minutes=1)
    dry = (await report(sessions, repo, content_hash=hashed(5), dry_run=True)).case.id
    clock.advance(minutes=1)
    newest = (await report(sessions, repo, content_hash=hashed(6))).case.id
    async with sessions() as session:
        unit = await repo.open_cases(session=session, unit_code="DISKOMINFOTIK")
        everything = await repo.open_cases(session=session)
        limited = await repo.open_cases(session=session, limit=2)
        unit_all = await repo.open_cases(
            session=session, unit_code="DISKOMINFOTIK", include_unconfirmed=True
        )
    assert [c.id for c in unit] == [newest, live]  # newest first; review and dry-run hidden
    assert [c.id for c in everything] == [newest, dry, in_review, other_unit.case.id, live]
    assert [c.id for c in limited] == [newest, dry]
    assert [c.id for c in unit_all] == [newest, dry, in_review, live]


async def test_when_a_digest_is_built_then_it_lists_the_units_live_digest_cases_since(
    sessions: Sessions, repo: CaseRepository, clock: MovableClock
) -> None:
    def digest_case(n: int, **overrides: Any) -> Coroutine[Any, Any, CaseOutcome]:
        return report(sessions, repo, content_hash=f"{n:064x}", digest=True, **overrides)

    await digest_case(1)  # opened before the digest period
    clock.advance(hours=1)
    wanted = (await digest_case(2)).case.id
    await report(sessions, repo, content_hash=f"{3:064x}", digest=False)  # alerted at once
    await digest_case(4, reporter_unit="BKD")  # another unit
    await digest_case(5, dry_run=True)  # rollout: nothing goes out
    await digest_case(6, status="review")  # not confirmed yet
    dismissed = (await digest_case(7)).case.id
    await move(sessions, repo, dismissed, "dismissed")
    async with sessions() as session:
        cases = await repo.digest_cases(
            session=session, unit_code="DISKOMINFOTIK", since=T0 + timedelta(minutes=30)
        )
    assert [c.id for c in cases] == [wanted]


async def test_when_a_non_digest_report_merges_then_the_case_leaves_the_digest(
    sessions: Sessions, repo: CaseRepository
) -> None:
    await report(sessions, repo, digest=True, severity="high")
    merged = await report(sessions, repo, ASN_2, digest=False, severity="critical")
    assert (merged.case.digest, merged.case.severity) == (False, "critical")


async def test_when_evidence_passes_its_date_then_it_is_destroyed_and_the_case_stays(
    sessions: Sessions, repo: CaseRepository
) -> None:
    expiring = (await report(sessions, repo, evidence_destroy_after=T0 + timedelta(days=1))).case
    kept = (
        await report(
            sessions, repo, content_hash=HASH_B, evidence_destroy_after=T0 + timedelta(days=3)
        )
    ).case
    async with sessions.begin() as session:
        early = await repo.destroy_expired_evidence(session=session, now=T0 + timedelta(hours=23))
    async with sessions.begin() as session:
        due = await repo.destroy_expired_evidence(session=session, now=T0 + timedelta(days=2))
    async with sessions.begin() as session:
        again = await repo.destroy_expired_evidence(session=session, now=T0 + timedelta(days=2))
    assert (early, due, again) == (0, 1, 0)
    async with sessions() as session:
        assert await repo.evidence(session=session, case_id=expiring.id) is None
        assert await repo.evidence(session=session, case_id=kept.id) == b"sealed-evidence-1"
    assert (await fetch(sessions, repo, expiring.id)).reference == expiring.reference
    assert await actions(sessions, repo, expiring.id) == [
        ("opened", "saring"),
        ("evidence_destroyed", "saring:retention"),
    ]
    assert await actions(sessions, repo, kept.id) == [("opened", "saring")]


async def test_when_two_officials_close_a_case_at_once_then_exactly_one_decision_stands(
    sessions: Sessions, repo: CaseRepository
) -> None:
    for number in range(5):
        case_id = (await report(sessions, repo, content_hash=f"{number:064x}")).case.id
        results = await asyncio.gather(
            move(sessions, repo, case_id, "dismissed", actor="telegram:11"),
            move(sessions, repo, case_id, "decided", actor="telegram:22"),
        )
        winners = [result for result in results if result is not None]
        assert len(winners) == 1
        case = await fetch(sessions, repo, case_id)
        assert case.status == winners[0].status
        assert len(await actions(sessions, repo, case_id)) == 2  # opened + the one decision
