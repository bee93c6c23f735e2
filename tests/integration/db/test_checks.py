"""Checks, feedback, statistics, subject rights and retention against real databases."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.check_stats import check_stats
from bot.db.checks import CheckDraft, CheckRepository, DeletionReport
from bot.db.inbox import InboxRepository
from bot.db.models import AuditRow, CheckRow, FeedbackRow, InboxRow, StaffRow
from bot.db.repositories import AuditRepository
from bot.db.staff import RosterEntry, StaffRepository
from tests.support.clock import MovableClock

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 03:00 WIB on 2 March: still 1 March in UTC
USER_A, USER_B = 111_111, 222_222
NIP_A, NIP_B = "198503122010011001", "199002022015031003"
HASH_A, HASH_B = "a" * 64, "b" * 64


async def record(
    sessions: Sessions,
    repo: CheckRepository,
    *,
    update_id: int | None,
    user: int = USER_A,
    verdict: str = "violation",
    rules: tuple[str, ...] = ("gambling",),
    content_hash: str = HASH_A,
) -> tuple[CheckRow, bool]:
    async with sessions.begin() as session:
        return await repo.record(
            session=session, draft=draft(update_id, user, verdict, rules, content_hash)
        )


def draft(
    update_id: int | None,
    user: int = USER_A,
    verdict: str = "violation",
    rules: tuple[str, ...] = ("gambling",),
    content_hash: str = HASH_A,
) -> CheckDraft:
    return CheckDraft(update_id, user, user, content_hash, verdict, rules)


async def feedback(
    sessions: Sessions, repo: CheckRepository, check_id: int, user: int, rule: str | None
) -> bool:
    async with sessions.begin() as session:
        return await repo.add_feedback(
            session=session, check_id=check_id, telegram_user_id=user, rule=rule
        )


async def count(sessions: Sessions, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_when_same_update_recorded_twice_then_one_check_with_the_same_reference(
    sessions: Sessions,
) -> None:
    repo = CheckRepository(clock=MovableClock(T0))
    first, created = await record(sessions, repo, update_id=10)
    again, created_again = await record(sessions, repo, update_id=10, verdict="ok", rules=())
    assert (created, created_again) == (True, False)
    assert (again.id, again.reference, again.verdict) == (first.id, first.reference, "violation")
    assert re.fullmatch(r"CHK-[0-9A-HJKMNP-TV-Z]{8}", first.reference)
    assert (first.rule_ids, first.created_at) == (["gambling"], T0)
    assert await count(sessions, CheckRow) == 1


async def test_when_checks_have_no_update_id_then_each_is_its_own_row(sessions: Sessions) -> None:
    repo = CheckRepository()
    first, _ = await record(sessions, repo, update_id=None)
    second, created = await record(sessions, repo, update_id=None)
    assert created is True
    assert first.reference != second.reference


async def test_when_replicas_record_same_update_at_once_then_exactly_one_created(
    sessions: Sessions,
) -> None:
    repo = CheckRepository()
    results = await asyncio.gather(*(record(sessions, repo, update_id=77) for _ in range(6)))
    assert sorted(created for _, created in results) == [False] * 5 + [True]
    assert len({row.reference for row, _ in results}) == 1


async def test_when_checks_are_recorded_together_then_each_gets_its_own_row_or_its_old_one(
    sessions: Sessions,
) -> None:
    """Group commit: one INSERT for the batch; a redelivery in or before it keeps one row."""
    repo = CheckRepository()
    earlier, _ = await record(sessions, repo, update_id=5)
    batch = [draft(5), draft(6, verdict="ok", rules=()), draft(6), draft(None), draft(7)]
    async with sessions.begin() as session:
        results = await repo.record_many(session=session, drafts=batch)
    assert [created for _, created in results] == [False, True, False, True, True]
    assert results[0][0].reference == earlier.reference
    assert results[2][0].reference == results[1][0].reference
    assert results[2][0].verdict == "ok"  # the first copy of update 6 is the one kept
    assert len({row.reference for row, _ in results}) == 4
    assert await count(sessions, CheckRow) == 4
    async with sessions.begin() as session:
        await repo.set_reply_messages(
            session=session, replies=[(results[1][0].id, 61), (results[4][0].id, 71)]
        )
    async with sessions() as session:
        six = await repo.by_id(session=session, check_id=results[1][0].id)
        seven = await repo.by_id(session=session, check_id=results[4][0].id)
        five = await repo.by_id(session=session, check_id=earlier.id)
    assert (six and six.reply_message_id, seven and seven.reply_message_id) == (61, 71)
    assert five is not None and five.reply_message_id is None


async def test_when_reply_recorded_then_found_by_reference_any_case_and_by_id(
    sessions: Sessions,
) -> None:
    repo = CheckRepository()
    row, _ = await record(sessions, repo, update_id=1)
    async with sessions.begin() as session:
        await repo.set_reply_messages(session=session, replies=[(row.id, 555)])
    async with sessions() as session:
        by_reference = await repo.by_reference(session=session, reference=row.reference.lower())
        by_id = await repo.by_id(session=session, check_id=row.id)
        unknown = await repo.by_reference(session=session, reference="CHK-00000000")
    assert by_reference is not None and by_reference.reply_message_id == 555
    assert by_id is not None and by_id.reference == row.reference
    assert unknown is None


async def test_when_feedback_pressed_twice_then_counted_once_per_rule_and_person(
    sessions: Sessions,
) -> None:
    repo = CheckRepository()
    row, _ = await record(sessions, repo, update_id=1, rules=("gambling", "hoax"))
    presses = [
        await feedback(sessions, repo, row.id, USER_A, "gambling"),
        await feedback(sessions, repo, row.id, USER_A, "gambling"),  # double tap
        await feedback(sessions, repo, row.id, USER_A, "hoax"),  # another rule
        await feedback(sessions, repo, row.id, USER_A, None),  # the verdict as a whole
        await feedback(sessions, repo, row.id, USER_A, None),  # double tap
        await feedback(sessions, repo, row.id, USER_B, "gambling"),  # another person
    ]
    assert presses == [True, False, True, True, False, True]
    assert await count(sessions, FeedbackRow) == 4


async def test_when_stats_asked_then_utc_days_verdicts_top_five_rules_and_feedback(
    sessions: Sessions,
) -> None:
    clock = MovableClock(T0 - timedelta(days=40))
    repo = CheckRepository(clock=clock)
    await record(sessions, repo, update_id=1, rules=("old_rule",))  # before the window
    clock.at = T0
    first, _ = await record(sessions, repo, update_id=2, rules=("gambling", "hoax"))
    await record(sessions, repo, update_id=3, rules=("gambling",))
    await record(sessions, repo, update_id=4, verdict="ok", rules=())
    clock.advance(hours=5)  # 2 March UTC
    for n, rule in enumerate(("sara_hate", "partisanship", "confidential", "pornography")):
        await record(sessions, repo, update_id=10 + n, rules=(rule, "hoax"))
    await record(sessions, repo, update_id=20, verdict="unverified", rules=())
    await feedback(sessions, repo, first.id, USER_A, "gambling")
    await feedback(sessions, repo, first.id, USER_B, "gambling")
    await feedback(sessions, repo, first.id, USER_A, None)

    async with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Days stay UTC days whatever the server's time zone (rolled back with the session).
            await session.execute(text("SET TIME ZONE 'Asia/Jakarta'"))
        stats = await check_stats(session, T0 - timedelta(days=30))

    assert stats.total == 8
    assert stats.per_day == [(date(2026, 3, 1), 3), (date(2026, 3, 2), 5)]
    assert stats.verdicts == {"violation": 6, "ok": 1, "unverified": 1}
    assert stats.top_rules == [
        ("hoax", 5),
        ("gambling", 2),
        ("confidential", 1),
        ("partisanship", 1),
        ("pornography", 1),
    ]
    assert list(stats.feedback.items()) == [("gambling", 2), (None, 1)]


async def make_two_users(sessions: Sessions, clock: MovableClock) -> dict[str, CheckRow]:
    """User A and user B, each with checks, feedback, a roster entry and an audited link."""
    checks, staff = CheckRepository(clock=clock), StaffRepository(clock=clock)
    a1, _ = await record(sessions, checks, update_id=1, user=USER_A)
    a2, _ = await record(sessions, checks, update_id=2, user=USER_A, verdict="ok", rules=())
    b1, _ = await record(sessions, checks, update_id=3, user=USER_B, content_hash=HASH_B)
    await feedback(sessions, checks, a1.id, USER_A, "gambling")
    await feedback(sessions, checks, a1.id, USER_B, None)  # B comments on A's check
    await feedback(sessions, checks, b1.id, USER_B, "gambling")
    async with sessions.begin() as session:
        await staff.import_roster(
            session=session,
            rows=[
                RosterEntry(NIP_A, "Budi", "DKI", "Diskominfotik", "asn", None),
                RosterEntry(NIP_B, "Rina", "DKI", "Diskominfotik", "asn", None),
            ],
            actor="cli:root",
        )
        for nip, user in ((NIP_A, USER_A), (NIP_B, USER_B)):
            await staff.link_telegram(
                session=session, nip=nip, telegram_user_id=user, actor=f"telegram:{user}"
            )
    return {"a1": a1, "a2": a2, "b1": b1}


async def test_when_user_exports_data_then_all_of_theirs_and_nothing_of_anyone_else(
    sessions: Sessions,
) -> None:
    clock = MovableClock(T0)
    made = await make_two_users(sessions, clock)
    async with sessions() as session:
        export = await CheckRepository(clock=clock).export_user(
            session=session, telegram_user_id=USER_A
        )
    dumped = json.dumps(export)  # JSON-serialisable as it is

    assert [c["reference"] for c in export["checks"]] == [
        made["a1"].reference,
        made["a2"].reference,
    ]
    assert export["checks"][0] == {
        "reference": made["a1"].reference,
        "at": T0.isoformat(),
        "verdict": "violation",
        "rules": ["gambling"],
        "content_hash": HASH_A,
        "chat_id": USER_A,
    }
    assert export["feedback"] == [
        {"check": made["a1"].reference, "rule": "gambling", "at": T0.isoformat()}
    ]
    assert export["staff"]["nip"] == NIP_A and export["staff"]["telegram_user_id"] == USER_A
    assert [(a["action"], a["entity_key"]) for a in export["audit"]] == [("staff.link", NIP_A)]
    for foreign in (str(USER_B), NIP_B, HASH_B, made["b1"].reference, "Rina"):
        assert foreign not in dumped


async def test_when_user_asks_deletion_then_their_data_goes_roster_stays_and_counts_audited(
    sessions: Sessions,
) -> None:
    clock = MovableClock(T0)
    made = await make_two_users(sessions, clock)
    inbox = InboxRepository(clock=clock)
    async with sessions.begin() as session:
        for update_id, chat in ((1, USER_A), (2, USER_A), (3, USER_B)):
            await inbox.store(session=session, update_id=update_id, chat_id=chat, payload={})
        await inbox.claim(session=session, worker="w", limit=10, lease=timedelta(seconds=30))
        await inbox.complete(session=session, update_id=1, worker="w")
        await inbox.complete(session=session, update_id=3, worker="w")

    async with sessions.begin() as session:
        report = await CheckRepository(clock=clock).delete_user(
            session=session, telegram_user_id=USER_A, actor=f"telegram:{USER_A}"
        )
    async with sessions() as session:
        checks = list(await session.scalars(select(CheckRow.reference)))
        left_feedback = list(await session.scalars(select(FeedbackRow.telegram_user_id)))
        staff = {r.nip: r.telegram_user_id for r in await session.scalars(select(StaffRow))}
        inbox_left = sorted(await session.scalars(select(InboxRow.update_id)))
        (audit,) = await AuditRepository().list(session=session, entity="user")

    # A's two checks, A's own feedback and B's comment on A's check.
    assert (report.checks_deleted, report.feedback_deleted, report.unlinked) == (2, 2, True)
    assert report.inbox_deleted == 1
    assert any("roster" in item and "BKD" in item for item in report.retained)
    assert checks == [made["b1"].reference]
    assert left_feedback == [USER_B]
    assert staff == {NIP_A: None, NIP_B: USER_B}  # the employer's record stays, unlinked
    assert inbox_left == [2, 3]  # A's unfinished update stays to be answered
    assert (audit.action, audit.actor, audit.entity_key) == (
        "user.delete",
        f"telegram:{USER_A}",
        f"telegram:{USER_A}",
    )
    assert audit.after == {"checks": 2, "feedback": 2, "inbox": 1, "unlinked": True}


async def test_when_unknown_user_asks_deletion_then_zero_counts_and_still_audited(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        report = await CheckRepository().delete_user(
            session=session, telegram_user_id=USER_A, actor="telegram:1"
        )
    assert (report.checks_deleted, report.feedback_deleted, report.unlinked) == (0, 0, False)
    assert isinstance(report, DeletionReport)
    assert await count(sessions, AuditRow) == 1


async def test_when_retention_purges_then_old_checks_and_settled_updates_go_and_audited(
    sessions: Sessions,
) -> None:
    clock = MovableClock(T0)
    checks, inbox = CheckRepository(clock=clock), InboxRepository(clock=clock)
    old, _ = await record(sessions, checks, update_id=1)
    await feedback(sessions, checks, old.id, USER_B, None)
    async with sessions.begin() as session:
        for update_id in (1, 2):
            await inbox.store(session=session, update_id=update_id, chat_id=None, payload={})
        await inbox.claim(session=session, worker="w", limit=1, lease=timedelta(seconds=30))
        await inbox.complete(session=session, update_id=1, worker="w")
    clock.advance(days=31)
    recent, _ = await record(sessions, checks, update_id=3)
    cutoff = clock.at - timedelta(days=30)

    async with sessions.begin() as session:
        purged = await checks.purge(session=session, older_than=cutoff)
    async with sessions.begin() as session:
        nothing = await checks.purge(session=session, older_than=cutoff)
    async with sessions() as session:
        remaining = list(await session.scalars(select(CheckRow.reference)))
        inbox_left = list(await session.scalars(select(InboxRow.update_id)))
        audits = await AuditRepository().list(session=session, entity="retention")

    assert (purged, nothing) == (1, 0)
    assert remaining == [recent.reference]
    assert inbox_left == [2]  # pending: never purged
    assert await count(sessions, FeedbackRow) == 0
    # Newest first: the run that found nothing is still on record.
    assert [(a.action, a.actor) for a in audits] == [("retention.purge", "retention")] * 2
    assert [a.after for a in audits] == [
        {"older_than": cutoff.isoformat(), "checks": n, "feedback": n, "inbox": n} for n in (0, 1)
    ]
