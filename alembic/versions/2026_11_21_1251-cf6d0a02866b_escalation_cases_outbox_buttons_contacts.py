"""escalation: cases, evidence, reporters, timeline, outbox, button tokens, contacts

Revision ID: cf6d0a02866b
Revises: 2b964c3bc485
Create Date: 2026-11-21 12:51:49.802817+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of the column types: a migration must not change when the models do.
AWARE_DATETIME = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)

# revision identifiers, used by Alembic.
revision: str = "cf6d0a02866b"
down_revision: str | None = "2b964c3bc485"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column(
            "rule_ids",
            JSON_DOCUMENT,
            nullable=False,
        ),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("subject_user_id", sa.BigInteger(), nullable=True),
        sa.Column("subject_name", sa.String(length=200), nullable=True),
        sa.Column("reporter_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("dry_run", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("decision", sa.String(length=1000), nullable=True),
        sa.Column("opened_at", AWARE_DATETIME, nullable=False),
        sa.Column("updated_at", AWARE_DATETIME, nullable=False),
        sa.Column("closed_at", AWARE_DATETIME, nullable=True),
        sa.CheckConstraint(
            "status IN ('review', 'open', 'acknowledged', 'forwarded', 'dismissed', 'decided')",
            name=op.f("ck_cases_status"),
        ),
        sa.CheckConstraint(
            "trigger IN ('auto', 'report', 'share_anyway')", name=op.f("ck_cases_trigger")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cases_content_hash_opened_at"),
            ["content_hash", "opened_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_cases_opened_at"), ["opened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_unit_code"), ["unit_code"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("started_at", AWARE_DATETIME, nullable=True),
        sa.Column("unreachable_at", AWARE_DATETIME, nullable=True),
        sa.Column("unreachable_reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_contacts")),
    )
    op.create_table(
        "button_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("created_at", AWARE_DATETIME, nullable=False),
        sa.Column("expires_at", AWARE_DATETIME, nullable=False),
        sa.Column("used_at", AWARE_DATETIME, nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_button_tokens_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_button_tokens")),
    )
    with op.batch_alter_table("button_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_button_tokens_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", AWARE_DATETIME, nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column(
            "detail",
            JSON_DOCUMENT,
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_evidence",
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("destroy_after", AWARE_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_evidence_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_evidence")),
    )
    with op.batch_alter_table("case_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_evidence_destroy_after"), ["destroy_after"], unique=False
        )

    op.create_table(
        "case_reporters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("check_id", sa.BigInteger(), nullable=True),
        sa.Column("reported_at", AWARE_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_reporters_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reporters")),
        sa.UniqueConstraint(
            "case_id", "telegram_user_id", name=op.f("uq_case_reporters_case_id_telegram_user_id")
        ),
    )
    with op.batch_alter_table("case_reporters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_reporters_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_reporters_reported_at"), ["reported_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_reporters_telegram_user_id"), ["telegram_user_id"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("alert_number", sa.String(length=24), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=24), nullable=False),
        sa.Column(
            "payload",
            JSON_DOCUMENT,
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("not_before", AWARE_DATETIME, nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", AWARE_DATETIME, nullable=True),
        sa.Column("created_at", AWARE_DATETIME, nullable=False),
        sa.Column("sent_at", AWARE_DATETIME, nullable=True),
        sa.Column("sent_message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "method IN ('sendMessage', 'editMessageText')", name=op.f("ck_outbox_method")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'unreachable', 'failed')",
            name=op.f("ck_outbox_status"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_outbox_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_status_not_before"), ["status", "not_before"], unique=False
        )

    op.create_table(
        "pending_inputs",
        sa.Column("telegram_user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", AWARE_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_pending_inputs_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("telegram_user_id", name=op.f("pk_pending_inputs")),
    )


def downgrade() -> None:
    op.drop_table("pending_inputs")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_status_not_before"))
        batch_op.drop_index(batch_op.f("ix_outbox_chat_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_case_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("case_reporters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_reporters_telegram_user_id"))
        batch_op.drop_index(batch_op.f("ix_case_reporters_reported_at"))
        batch_op.drop_index(batch_op.f("ix_case_reporters_case_id"))

    op.drop_table("case_reporters")
    with op.batch_alter_table("case_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_evidence_destroy_after"))

    op.drop_table("case_evidence")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("button_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_button_tokens_case_id"))

    op.drop_table("button_tokens")
    op.drop_table("contacts")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_unit_code"))
        batch_op.drop_index(batch_op.f("ix_cases_opened_at"))
        batch_op.drop_index(batch_op.f("ix_cases_content_hash_opened_at"))

    op.drop_table("cases")
