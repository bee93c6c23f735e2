"""Changes to the known-hoax database: claims with their clarification links, audited."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checking.hoaxes import HoaxClaim
from bot.db.models import HoaxRow
from bot.db.repositories import HoaxRepository
from bot.registry.files import ImportFileError, read_rows

MIN_CLAIM_CHARS = 20
MAX_CLAIM_CHARS = 10_000


class HoaxInputError(ValueError):
    """A claim or clarification link that cannot be stored; the message says why."""


@dataclass(frozen=True, slots=True)
class HoaxImportReport:
    added: int
    duplicates: int


def validate_claim(text: str, clarification_url: str | None) -> tuple[str, str | None]:
    """Refuse claims too short to match safely and links that are not http(s).

    A claim of a few words would match every message on the topic, which is exactly the
    crying wolf that gets a bot abandoned.
    """
    text = text.strip()
    if len(text) < MIN_CLAIM_CHARS:
        raise HoaxInputError(f"claim too short ({len(text)} < {MIN_CLAIM_CHARS} characters)")
    if len(text) > MAX_CLAIM_CHARS:
        raise HoaxInputError(f"claim too long ({len(text)} > {MAX_CLAIM_CHARS} characters)")
    url = (clarification_url or "").strip() or None
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise HoaxInputError(f"clarification link {url!r} is not an http(s) URL")
    return text, url


def to_claim(row: HoaxRow) -> HoaxClaim:
    added_on = row.added_at.date().isoformat() if row.added_at else None
    return HoaxClaim(row.id, row.text, row.clarification_url, added_on)


class HoaxCatalog:
    """The hoax database as admins change it."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._repo = HoaxRepository()

    async def add(
        self, text: str, clarification_url: str | None, *, actor: str, source: str | None = None
    ) -> tuple[HoaxRow, bool]:
        """Store a claim; returns (row, created), created False for a duplicate."""
        text, url = validate_claim(text, clarification_url)
        async with self._sessions.begin() as session:
            return await self._repo.add(
                session=session, text=text, clarification_url=url, actor=actor, source=source
            )

    async def list(self, limit: int | None = None) -> list[HoaxRow]:
        async with self._sessions() as session:
            return await self._repo.list(session=session, limit=limit)

    async def claims(self) -> list[HoaxClaim]:
        return [to_claim(row) for row in await self.list()]

    async def import_file(self, path: Path, *, actor: str) -> HoaxImportReport:
        """CSV or JSON Lines with `text` and optional `clarification_url`; all or nothing."""
        rows = read_rows(path, ("text",), ("clarification_url", "source"))
        checked: list[tuple[str, str | None, str | None]] = []
        problems: list[str] = []
        for row in rows:
            try:
                text, url = validate_claim(row.fields["text"], row.fields.get("clarification_url"))
            except HoaxInputError as exc:
                problems.append(f"{path}:{row.line}: {exc}")
                continue
            checked.append((text, url, row.fields.get("source")))
        if problems:
            raise ImportFileError(problems)
        added = 0
        async with self._sessions.begin() as session:
            for text, url, source in checked:
                _, created = await self._repo.add(
                    session=session, text=text, clarification_url=url, actor=actor, source=source
                )
                added += created
        return HoaxImportReport(added=added, duplicates=len(checked) - added)
