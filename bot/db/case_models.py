"""ORM tables of escalation: cases, their reporters and timeline, the outbox, buttons, contacts.

A case is a report about *content* (by normalized hash), not about the person who asked; the
outbox is written in the same transaction as the case, so an alert exists exactly when its
case does and is delivered by a worker that survives restarts (RELIABILITY P3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.models import BigId, JSONDocument, UTCDateTime, _one_of

CASE_STATUSES = (
    "review",  # review-first: waiting for Diskominfotik to confirm before anyone is alerted
    "open",  # alerts out, nobody acted yet
    "acknowledged",  # the unit head took note
    "forwarded",  # sent on to the PPK
    "dismissed",  # not a violation (with a reason)
    "decided",  # the PPK (or an admin) recorded a decision
)
CASE_TRIGGERS = ("auto", "report", "share_anyway")
OUTBOX_STATUSES = ("pending", "sending", "sent", "unreachable", "failed")
OUTBOX_METHODS = ("sendMessage", "editMessageText")


class CaseRow(Base):
    """One suspected violation: the content, its findings, where it stands."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_one_of("status", CASE_STATUSES), name="status"),
        CheckConstraint(_one_of("trigger", CASE_TRIGGERS), name="trigger"),
        Index(None, "content_hash", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    rule_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    unit_code: Mapped[str | None] = mapped_column(String(32), index=True)
    subject_user_id: Mapped[int | None] = mapped_column(BigInteger)
    subject_name: Mapped[str | None] = mapped_column(String(200))
    reporter_count: Mapped[int] = mapped_column(default=1, server_default="1")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    decision: Mapped[str | None] = mapped_column(String(1000))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseEvidenceRow(Base):
    """The evidence packet of a case, sealed (encrypted); the only place a message text stays.

    Kept apart from `cases` so retention can destroy evidence while the case record (counts,
    decisions) stays, and so no other table ever holds the text.
    """

    __tablename__ = "case_evidence"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    destroy_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CaseReporterRow(Base):
    """One person who reported (or asked about) the content of a case."""

    __tablename__ = "case_reporters"
    __table_args__ = (UniqueConstraint("case_id", "telegram_user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    unit_code: Mapped[str | None] = mapped_column(String(32))
    check_id: Mapped[int | None] = mapped_column(BigInteger)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CaseEventRow(Base):
    """The case's timeline: every action, who took it and when (PP 94/2021 makes it matter)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


class OutboxRow(Base):
    """One message to send or edit, written in the same transaction as what caused it.

    `alert_number` (ESK-...) is printed in the message, so a duplicate after an interrupted
    send is recognisable. `sent_message_id` lets later edits find the alert.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_one_of("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint(_one_of("method", OUTBOX_METHODS), name="method"),
        Index(None, "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    alert_number: Mapped[str | None] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    method: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(500))


class ButtonTokenRow(Base):
    """The opaque id behind one alert button: single use, bound to a case and an action."""

    __tablename__ = "button_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[int | None] = mapped_column(BigInteger)


class PendingInputRow(Base):
    """A question the bot asked and waits for in the next message ("alasan?")."""

    __tablename__ = "pending_inputs"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    token_id: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactRow(Base):
    """Whether the bot can write to a chat: /start pressed, or a 403 seen (RELIABILITY P9)."""

    __tablename__ = "contacts"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unreachable_reason: Mapped[str | None] = mapped_column(String(200))
