"""Changes to the official-source registry: validated, stored and audited in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checking.seed import load_seed_specs
from bot.checking.sources import SourceEntry, SourceKind, normalize_source_value
from bot.db.models import SourceRow
from bot.db.repositories import DuplicateSourceError, SeedOutcome, SourceRepository
from bot.registry.files import ImportFileError, read_rows, write_csv

CSV_COLUMNS = ("kind", "value", "name")


class SourceInputError(ValueError):
    """A kind or value an admin typed is not acceptable; the message says why."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did, for the one-line summary the CLI prints."""

    added: int
    already_present: int


def parse_kind(kind: str) -> SourceKind:
    """Raises SourceInputError naming the kinds DESIGN.md knows."""
    try:
        return SourceKind(kind.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in SourceKind)
        raise SourceInputError(f"unknown kind {kind!r}; use one of: {kinds}") from None


def canonical(kind: str, value: str) -> tuple[SourceKind, str]:
    """Validate a kind and value the way every entry point must.

    Raises:
        SourceInputError: unknown kind or a value that does not fit the kind.
    """
    source_kind = parse_kind(kind)
    try:
        return source_kind, normalize_source_value(source_kind, value)
    except ValueError as exc:
        raise SourceInputError(f"{kind} {value!r}: {exc}") from None


def to_entry(row: SourceRow) -> SourceEntry:
    """The engine's view of a stored row."""
    return SourceEntry(SourceKind(row.kind), row.value, row.name, row.owner_unit, row.seed)


class SourceCatalog:
    """The registry as admins change it: add, remove, list, import, export, seed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._repo = SourceRepository()

    async def add(
        self, kind: str, value: str, *, name: str | None, actor: str, owner_unit: str | None = None
    ) -> SourceRow:
        """Raises SourceInputError for bad input and DuplicateSourceError if present."""
        source_kind, canonical_value = canonical(kind, value)
        async with self._sessions.begin() as session:
            return await self._repo.add(
                session=session,
                kind=source_kind.value,
                value=canonical_value,
                name=(name or canonical_value).strip(),
                actor=actor,
                owner_unit=owner_unit,
            )

    async def remove(self, kind: str, value: str, *, actor: str) -> bool:
        source_kind, canonical_value = canonical(kind, value)
        async with self._sessions.begin() as session:
            return await self._repo.remove(
                session=session, kind=source_kind.value, value=canonical_value, actor=actor
            )

    async def list(self, kind: str | None = None) -> list[SourceRow]:
        wanted = parse_kind(kind).value if kind else None
        async with self._sessions() as session:
            return await self._repo.list(session=session, kind=wanted)

    async def entries(self) -> list[SourceEntry]:
        return [to_entry(row) for row in await self.list()]

    async def import_csv(self, path: Path, *, actor: str) -> ImportReport:
        """All rows are validated first; one bad row means nothing is written.

        Raises:
            ImportFileError: every bad line, with its line number.
        """
        rows = read_rows(path, CSV_COLUMNS)
        parsed: list[tuple[SourceKind, str, str]] = []
        problems: list[str] = []
        for row in rows:
            try:
                kind, value = canonical(row.fields["kind"], row.fields["value"])
            except SourceInputError as exc:
                problems.append(f"{path}:{row.line}: {exc}")
                continue
            parsed.append((kind, value, row.fields.get("name") or value))
        if problems:
            raise ImportFileError(problems)
        added = 0
        async with self._sessions.begin() as session:
            for kind, value, name in dict.fromkeys(parsed):
                try:
                    await self._repo.add(
                        session=session, kind=kind.value, value=value, name=name, actor=actor
                    )
                    added += 1
                except DuplicateSourceError:
                    continue
        return ImportReport(added=added, already_present=len(parsed) - added)

    async def export_csv(self) -> str:
        rows = await self.list()
        return write_csv(CSV_COLUMNS, [(r.kind, r.value, r.name) for r in rows])

    async def seed(self, path: Path) -> dict[SeedOutcome, int]:
        """Insert the entries of config/sources.yaml the registry has never seen."""
        counts = dict.fromkeys(SeedOutcome, 0)
        async with self._sessions.begin() as session:
            for spec in load_seed_specs(path):
                outcome = await self._repo.upsert_seed(
                    session=session,
                    kind=spec.kind.value,
                    value=spec.value,
                    name=spec.name,
                    owner_unit=spec.owner_unit,
                    evidence_url=spec.evidence_url,
                    checked_on=spec.checked_on,
                )
                counts[outcome] += 1
        return counts
