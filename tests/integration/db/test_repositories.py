"""Repositories against real migrated databases, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.models import AuditRow, SourceRow
from bot.db.repositories import (
    AuditRepository,
    DuplicateSourceError,
    HoaxRepository,
    SeedOutcome,
    SourceRepository,
    hoax_text_hash,
)

Sessions = async_sessionmaker[AsyncSession]
JAKARTA = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=JAKARTA)


def fixed_clock(at: datetime = T0) -> Callable[[], datetime]:
    return lambda: at


async def add_example(sessions: Sessions, repo: SourceRepository, **overrides: Any) -> SourceRow:
    fields = {
        "kind": "domain",
        "value": "jakarta.go.id",
        "name": "Portal Resmi Pemprov DKI Jakarta",
        "actor": "cli:root",
        "owner_unit": "Diskominfotik",
        "evidence_url": "https://jakarta.go.id/kontak",
        "checked_on": date(2026, 2, 20),
    } | overrides
    async with sessions.begin() as session:
        return await repo.add(session=session, **fields)


async def test_when_admin_adds_source_then_listed_and_audited_with_who_when_after(
    sessions: Sessions,
) -> None:
    repo = SourceRepository(clock=fixed_clock())
    await add_example(sessions, repo, actor="telegram:123456")

    async with sessions() as session:
        (row,) = await repo.list(session=session)
        (audit,) = await AuditRepository().list(session=session)
    assert (row.kind, row.value, row.seed, row.added_by) == (
        "domain",
        "jakarta.go.id",
        False,
        "telegram:123456",
    )
    assert row.checked_on == date(2026, 2, 20)
    assert (audit.actor, audit.action, audit.entity, audit.entity_key) == (
        "telegram:123456",
        "source.add",
        "source",
        "domain:jakarta.go.id",
    )
    assert audit.at == T0
    assert audit.before is None
    assert audit.after is not None
    assert audit.after["name"] == "Portal Resmi Pemprov DKI Jakarta"
    assert audit.after["checked_on"] == "2026-02-20"


async def test_when_source_removed_then_gone_and_audit_keeps_before(sessions: Sessions) -> None:
    repo = SourceRepository()
    await add_example(sessions, repo)

    async with sessions.begin() as session:
        removed = await repo.remove(
            session=session, kind="domain", value="jakarta.go.id", actor="cli:root"
        )
    async with sessions() as session:
        remaining = await repo.count(session=session)
        latest = (await AuditRepository().list(session=session, entity="source"))[0]
    assert removed is True
    assert remaining == 0
    assert (latest.action, latest.actor, latest.after) == ("source.remove", "cli:root", None)
    assert latest.before is not None
    assert latest.before["owner_unit"] == "Diskominfotik"


async def test_when_removing_unknown_source_then_false_and_no_audit(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        removed = await SourceRepository().remove(
            session=session, kind="domain", value="nowhere.go.id", actor="cli:root"
        )
        audits = await AuditRepository().list(session=session)
    assert removed is False
    assert audits == []


async def test_when_same_source_added_twice_then_duplicate_error_and_first_row_kept(
    sessions: Sessions,
) -> None:
    repo = SourceRepository()
    await add_example(sessions, repo, name="first")

    async with sessions.begin() as session:
        with pytest.raises(DuplicateSourceError):
            await repo.add(
                session=session, kind="domain", value="jakarta.go.id", name="second", actor="x"
            )
        # The transaction is still usable after the refusal.
        await repo.add(
            session=session, kind="domain", value="bpbd.jakarta.go.id", name="B", actor="x"
        )
    async with sessions() as session:
        rows = await repo.list(session=session)
    assert [(r.value, r.name) for r in rows] == [
        ("bpbd.jakarta.go.id", "B"),
        ("jakarta.go.id", "first"),
    ]


async def test_when_listing_by_kind_then_only_that_kind_in_stable_order(sessions: Sessions) -> None:
    repo = SourceRepository()
    for kind, value in [
        ("telegram_channel", "-1001234567890"),
        ("domain", "jakarta.go.id"),
        ("domain", "bpbd.jakarta.go.id"),
    ]:
        await add_example(sessions, repo, kind=kind, value=value)

    async with sessions() as session:
        domains = await repo.list(session=session, kind="domain")
        total = await repo.count(session=session)
    assert [r.value for r in domains] == ["bpbd.jakarta.go.id", "jakarta.go.id"]
    assert total == 3


async def test_when_many_sessions_add_same_source_at_once_then_exactly_one_wins(
    sessions: Sessions,
) -> None:
    repo = SourceRepository()

    async def attempt(n: int) -> str:
        try:
            await add_example(sessions, repo, actor=f"telegram:{n}")
        except DuplicateSourceError:
            return "duplicate"
        return "added"

    outcomes = await asyncio.gather(*(attempt(n) for n in range(8)))
    async with sessions() as session:
        total = await repo.count(session=session)
        audits = await AuditRepository().list(session=session)
    assert sorted(outcomes) == ["added"] + ["duplicate"] * 7
    assert total == 1
    assert len(audits) == 1


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
async def test_when_second_add_waits_on_uncommitted_first_then_duplicate_not_integrity_error(
    sessions: Sessions, engine: AsyncEngine
) -> None:
    repo = SourceRepository()
    async with sessions.begin() as first:
        await repo.add(session=first, kind="domain", value="jakarta.go.id", name="A", actor="a")
        second = asyncio.create_task(add_example(sessions, repo, actor="b"))
        await wait_for_lock_waiter(engine)
    with pytest.raises(DuplicateSourceError):
        await second


async def wait_for_lock_waiter(engine: AsyncEngine) -> None:
    """Block until some backend waits on a row lock, proving the two inserts overlapped."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    async with engine.connect() as probe:
        # Autocommit: pg_stat_activity is a snapshot frozen for the length of a transaction.
        await probe.execution_options(isolation_level="AUTOCOMMIT")
        for _ in range(200):
            if await probe.scalar(query):
                return
            await asyncio.sleep(0.025)
    raise AssertionError("the second insert never waited for the first")


async def test_when_seeding_then_missing_inserted_and_existing_never_overwritten(
    sessions: Sessions,
) -> None:
    repo = SourceRepository()
    await add_example(sessions, repo, name="Nama dari admin", actor="telegram:42")

    async with sessions.begin() as session:
        outcomes = [
            # an admin's row with the same key: left alone
            await repo.upsert_seed(
                session=session, kind="domain", value="jakarta.go.id", name="Nama dari berkas"
            ),
            # new entry: inserted as a seed
            await repo.upsert_seed(
                session=session, kind="email_domain", value="jakarta.go.id", name="Surel"
            ),
            # the same seed again (second start of the bot): present, unchanged
            await repo.upsert_seed(
                session=session, kind="email_domain", value="jakarta.go.id", name="Berubah"
            ),
        ]
    async with sessions() as session:
        rows = {(r.kind, r.value): r for r in await repo.list(session=session)}
        actions = [a.action for a in await AuditRepository().list(session=session)]
    assert outcomes == [SeedOutcome.PRESENT, SeedOutcome.INSERTED, SeedOutcome.PRESENT]
    admin_row = rows[("domain", "jakarta.go.id")]
    assert (admin_row.name, admin_row.seed, admin_row.added_by) == (
        "Nama dari admin",
        False,
        "telegram:42",
    )
    seeded = rows[("email_domain", "jakarta.go.id")]
    assert (seeded.name, seeded.seed, seeded.added_by) == ("Surel", True, "seed")
    assert sorted(actions) == ["source.add", "source.seed"]


async def test_when_replicas_seed_the_same_entry_at_once_then_one_inserts_no_errors(
    sessions: Sessions,
) -> None:
    repo = SourceRepository()

    async def seed() -> SeedOutcome:
        # Reads the audit log, then writes: the pattern SQLite's deferred BEGIN fails on.
        async with sessions.begin() as session:
            return await repo.upsert_seed(
                session=session, kind="domain", value="jakarta.go.id", name="Portal"
            )

    outcomes = await asyncio.gather(*(seed() for _ in range(8)))
    assert sorted(outcomes) == [SeedOutcome.INSERTED] + [SeedOutcome.PRESENT] * 7


async def test_when_admin_removed_a_seeded_source_then_seeding_does_not_bring_it_back(
    sessions: Sessions,
) -> None:
    repo = SourceRepository()
    key = {"kind": "telegram_channel", "value": "-1001234567890"}
    async with sessions.begin() as session:
        await repo.upsert_seed(session=session, name="Kanal lama", **key)
        await repo.remove(session=session, actor="telegram:42", **key)
    async with sessions.begin() as session:
        outcome = await repo.upsert_seed(session=session, name="Kanal lama", **key)
        total = await repo.count(session=session)
    assert outcome is SeedOutcome.REMOVED
    assert total == 0


async def test_when_same_hoax_added_with_other_case_and_spacing_then_one_row_one_audit(
    sessions: Sessions,
) -> None:
    repo = HoaxRepository()
    async with sessions.begin() as session:
        first, created_first = await repo.add(
            session=session,
            text="Vaksin mengandung chip pelacak",
            clarification_url="https://example.org/klarifikasi/1",
            actor="cli:root",
            source="turnbackhoax",
        )
    async with sessions.begin() as session:
        again, created_again = await repo.add(
            session=session,
            text="  VAKSIN mengandung\n chip   pelacak ",
            clarification_url=None,
            actor="cli:other",
        )
        total = await repo.count(session=session)
        audits = await AuditRepository().list(session=session, entity="hoax")
    assert (created_first, created_again) == (True, False)
    assert again.id == first.id
    assert again.clarification_url == "https://example.org/klarifikasi/1"
    assert total == 1
    assert [(a.action, a.actor) for a in audits] == [("hoax.add", "cli:root")]


async def test_when_hoaxes_listed_with_limit_then_oldest_first(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        for n in range(3):
            clock = fixed_clock(T0 + timedelta(minutes=n))
            await HoaxRepository(clock=clock).add(
                session=session, text=f"klaim {n}", clarification_url=None, actor="cli:root"
            )
        listed = await HoaxRepository().list(session=session, limit=2)
    assert [h.text for h in listed] == ["klaim 0", "klaim 1"]


@given(
    # Latin letters and digits: what Indonesian claims are written in. (Case mapping is not
    # reversible for every script, e.g. Turkish dotless i, so the property is stated on ASCII.)
    words=st.lists(st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1)),
    gaps=st.lists(st.sampled_from([" ", "  ", "\n", "\t", " \u3000", "\r\n"]), min_size=1),
    upper=st.booleans(),
)
def test_when_text_differs_only_in_case_and_whitespace_then_hash_is_equal(
    words: list[str], gaps: list[str], upper: bool
) -> None:
    plain = " ".join(words)
    spaced = gaps[0] + "".join(w + gaps[i % len(gaps)] for i, w in enumerate(words))
    assert hoax_text_hash(spaced.upper() if upper else spaced) == hoax_text_hash(plain.lower())


def test_when_texts_differ_in_a_word_then_hashes_differ() -> None:
    assert hoax_text_hash("vaksin mengandung chip") != hoax_text_hash("vaksin mengandung cip")


@pytest.mark.parametrize(
    "written",
    [
        T0,  # +07:00 Jakarta time
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # end of year, microseconds
        datetime(2026, 6, 1, 0, 0, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    ],
)
async def test_when_aware_datetime_stored_then_same_instant_comes_back_aware(
    sessions: Sessions, written: datetime
) -> None:
    await add_example(sessions, SourceRepository(clock=fixed_clock(written)))

    async with sessions() as session:
        read = await session.scalar(select(SourceRow.added_at))
    assert read == written
    assert read is not None and read.utcoffset() == timedelta(0)


async def test_when_naive_datetime_stored_then_refused(sessions: Sessions) -> None:
    naive = SourceRepository(clock=fixed_clock(datetime(2026, 3, 1, 9, 30)))
    with pytest.raises(Exception, match="naive datetime"):
        await add_example(sessions, naive)


async def test_when_json_document_audited_then_it_round_trips(sessions: Sessions) -> None:
    document = {
        "nama": "Kanal Resmi — Pemprov DKI ✓",
        "angka": [1, 2.5, None, True],
        "nested": {"kosong": {}, "daftar": []},
    }
    async with sessions.begin() as session:
        await AuditRepository().record(
            session=session,
            actor="seed",
            action="source.update",
            entity="source",
            entity_key="domain:jakarta.go.id",
            before=None,
            after=document,
        )
    async with sessions() as session:
        stored = await session.scalar(select(AuditRow.after))
        sql_nulls = await session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.before.is_(None))
        )
        found = await session.scalar(
            select(AuditRow.id).where(AuditRow.after["nested"]["kosong"].isnot(None))
        )
    assert stored == document
    assert sql_nulls == 1  # None is SQL NULL, not the JSON text 'null'
    assert found is not None


async def test_when_audit_listed_then_newest_first_filtered_and_limited(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        for n, entity in enumerate(["source", "hoax", "source", "source"]):
            await AuditRepository(clock=fixed_clock(T0 + timedelta(seconds=n))).record(
                session=session,
                actor="seed",
                action=f"{entity}.add",
                entity=entity,
                entity_key=f"k{n}",
                before=None,
                after={"n": n},
            )
        listed = await AuditRepository().list(session=session, entity="source", limit=2)
    assert [a.entity_key for a in listed] == ["k3", "k2"]


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
async def test_when_sqlite_connection_opens_then_foreign_keys_and_wal_are_on(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
        journal_mode = await connection.scalar(text("PRAGMA journal_mode"))
    assert (foreign_keys, journal_mode) == (1, "wal")
