"""Migrations: the stairway on both dialects, and models == migrations.

Every revision must upgrade, downgrade and upgrade again, because a broken downgrade is only
discovered on the day a release has to be rolled back.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.db.base import Base
from bot.db.migrate import (
    REPOSITORY_ROOT,
    alembic_config,
    downgrade,
    ensure_database,
    head_revision,
    upgrade,
    upgrade_to_head,
)
from bot.db.session import create_engine

EXPECTED_TABLES = {table.name for table in Base.metadata.sorted_tables}


def revisions_oldest_first() -> list[Script]:
    script = ScriptDirectory.from_config(alembic_config())
    return list(reversed(list(script.walk_revisions("base", "heads"))))


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
    finally:
        await engine.dispose()


async def test_when_upgraded_downgraded_and_upgraded_then_schema_is_whole_again(
    empty_db_url: str,
) -> None:
    await upgrade_to_head(empty_db_url)
    assert await table_names(empty_db_url) == EXPECTED_TABLES

    await downgrade(empty_db_url, "base")
    assert await table_names(empty_db_url) == set()

    await upgrade_to_head(empty_db_url)
    assert await table_names(empty_db_url) == EXPECTED_TABLES
    assert await current_revision(empty_db_url) == head_revision()


@pytest.mark.parametrize("revision", revisions_oldest_first(), ids=lambda r: r.revision)
async def test_when_each_revision_is_applied_reverted_and_reapplied_then_no_error(
    empty_db_url: str, revision: Script
) -> None:
    before = revision.down_revision or "base"
    assert isinstance(before, str), "merge revisions need their own stairway step"
    await upgrade(empty_db_url, revision.revision)
    await downgrade(empty_db_url, before)
    assert await current_revision(empty_db_url) == (None if before == "base" else before)
    await upgrade(empty_db_url, revision.revision)
    assert await current_revision(empty_db_url) == revision.revision


async def test_when_two_processes_migrate_at_once_then_both_succeed(empty_db_url: str) -> None:
    # Two replicas starting together on a fresh database.
    await asyncio.gather(upgrade_to_head(empty_db_url), upgrade_to_head(empty_db_url))
    assert await current_revision(empty_db_url) == head_revision()


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_when_database_at_head_then_autogenerate_finds_no_difference(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


async def test_when_ensure_database_on_fresh_path_then_file_created_migrated_and_idempotent(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "nested" / "saring.db"
    url = f"sqlite+aiosqlite:///{path}"

    await ensure_database(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO hoaxes (text, text_hash, added_by, added_at) "
                    "VALUES ('klaim', 'h', 'cli:root', '2026-03-01 00:00:00')"
                )
            )
        await ensure_database(url)  # second start: nothing to do, nothing lost
        async with engine.connect() as connection:
            kept = await connection.scalar(text("SELECT count(*) FROM hoaxes"))
    finally:
        await engine.dispose()
    assert path.is_file()
    assert kept == 1
    assert await current_revision(url) == head_revision()


async def test_when_run_from_another_directory_then_scripts_are_still_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}"
    await upgrade_to_head(url)
    assert await table_names(url) == EXPECTED_TABLES


def test_when_alembic_cli_upgrades_with_env_url_then_database_is_at_head(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    environment = os.environ | {"SARING_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    for arguments in (["upgrade", "head"], ["check"]):
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "alembic",
                "-c",
                str(REPOSITORY_ROOT / "alembic.ini"),
                *arguments,
            ],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
    assert path.is_file()
