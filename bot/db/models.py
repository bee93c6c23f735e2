"""ORM tables for the official-source registry, its audit log and the known-hoax database.

Table names are plural nouns that leave room for later tables (`cases`, `outbox`, `inbox`,
`checks`). Row classes end in `Row` so they are never confused with the pure domain objects of
`bot.checking`. Mapping style: https://docs.sqlalchemy.org/en/20/orm/declarative_tables.html
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.db.base import Base


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime that comes back aware on every dialect.

    SQLite has no timezone type and would hand back naive values; storing UTC and re-attaching
    UTC on read makes both dialects behave like PostgreSQL's `timestamptz`. Naive input is
    refused because its meaning depends on the host's clock settings.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: pass an aware one")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL so later queries can index into the payload; plain JSON text elsewhere.
# Python None is stored as SQL NULL (not JSON 'null') so "before IS NULL" finds creations.
JSONDocument = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class SourceRow(Base):
    """One official channel, site or sender; `(kind, value)` identifies it."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    owner_unit: Mapped[str | None] = mapped_column(String(200))
    seed: Mapped[bool] = mapped_column(default=False, server_default=false())
    evidence_url: Mapped[str | None] = mapped_column(String(500))
    checked_on: Mapped[date | None] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready copy for the audit log, so a removed row can be reconstructed."""
        return {
            "kind": self.kind,
            "value": self.value,
            "name": self.name,
            "owner_unit": self.owner_unit,
            "seed": self.seed,
            "evidence_url": self.evidence_url,
            "checked_on": self.checked_on.isoformat() if self.checked_on else None,
            "added_by": self.added_by,
            "added_at": self.added_at.isoformat(),
        }


class AuditRow(Base):
    """Who changed what and when; `before`/`after` hold JSON snapshots of the entity."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "entity", "entity_key"),
        Index(None, "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_key: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


class HoaxRow(Base):
    """A known hoax claim; `text_hash` makes re-importing the same list harmless."""

    __tablename__ = "hoaxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), unique=True)
    clarification_url: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str | None] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready copy for the audit log."""
        return {
            "text": self.text,
            "text_hash": self.text_hash,
            "clarification_url": self.clarification_url,
            "source": self.source,
            "added_by": self.added_by,
            "added_at": self.added_at.isoformat(),
        }


# BIGSERIAL on PostgreSQL; SQLite only auto-assigns ids to a column declared exactly INTEGER.
BigId = BigInteger().with_variant(Integer, "sqlite")

# Inbox row states; see bot/db/inbox.py for the life cycle.
INBOX_STATUSES = ("pending", "processing", "done", "failed")
# Staff roles: an ordinary civil servant, the head of a unit, the PPK office, a Saring admin.
STAFF_ROLES = ("asn", "unit_head", "ppk", "admin")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


UNFINISHED = "status IN ('pending', 'processing')"


class InboxRow(Base):
    """One Telegram update, committed before Telegram gets its 200 (RELIABILITY P1).

    `payload` holds the raw update, message text included, only until it is processed.
    `claimed_until` is the lease end while processing and the not-before time of a retry
    while pending.
    """

    __tablename__ = "inbox_updates"
    __table_args__ = (
        CheckConstraint(_one_of("status", INBOX_STATUSES), name="status"),
        Index(None, "status", "chat_id", "update_id"),
        # The unfinished updates in arrival order, without the done ones that pile up
        # behind them until retention: what every claim reads (bot/db/inbox_turns.py).
        Index(
            "ix_inbox_updates_unfinished",
            "update_id",
            postgresql_where=text(UNFINISHED),
            sqlite_where=text(UNFINISHED),
        ),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))


class CheckRow(Base):
    """One check of one message: a hash, the verdict and the rule ids, never the text."""

    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    update_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    rule_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reply_message_id: Mapped[int | None] = mapped_column(BigInteger)


class FeedbackRow(Base):
    """A "deteksi keliru" press on a check's reply.

    `rule` is "" (not NULL) for feedback on the verdict as a whole: NULLs never collide in a
    unique constraint, and pressing the same button twice must count once.
    """

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("check_id", "telegram_user_id", "rule"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UnitRow(Base):
    """A work unit (perangkat daerah / unit kerja) from the BKD roster."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class StaffRow(Base):
    """A roster entry, the employer's record; the Telegram link is the person's own act."""

    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(_one_of("role", STAFF_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    role: Mapped[str] = mapped_column(String(16))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready copy for the audit log and the subject's data export."""
        return {
            "nip": self.nip,
            "name": self.name,
            "unit_code": self.unit_code,
            "role": self.role,
            "telegram_user_id": self.telegram_user_id,
            "linked_at": self.linked_at.isoformat() if self.linked_at else None,
            "updated_at": self.updated_at.isoformat(),
        }


class AlbumRow(Base):
    """One album (Telegram media group) and whether it has been answered.

    Album parts arrive as separate updates, possibly on different replicas; this row is how
    they agree that the album gets one answer, not one per photo.
    """

    __tablename__ = "media_groups"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    media_group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
