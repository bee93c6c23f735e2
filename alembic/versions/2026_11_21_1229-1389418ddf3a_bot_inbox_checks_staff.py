"""bot: durable update inbox, checks with feedback, staff roster

Revision ID: 1389418ddf3a
Revises: 1e3fc948acf7
Create Date: 2026-11-21 12:29:38.515970+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "1389418ddf3a"
down_revision: str | None = "1e3fc948acf7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when bot/db/models.py does.
# bot.db.models.UTCDateTime stores exactly this type.
AWARE_DATETIME = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
# BIGSERIAL on PostgreSQL; SQLite only auto-assigns ids to a column declared exactly INTEGER.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "checks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("rule_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", AWARE_DATETIME, nullable=False),
        sa.Column("reply_message_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
        sa.UniqueConstraint("reference", name=op.f("uq_checks_reference")),
        sa.UniqueConstraint("update_id", name=op.f("uq_checks_update_id")),
    )
    op.create_index(op.f("ix_checks_content_hash"), "checks", ["content_hash"])
    op.create_index(op.f("ix_checks_created_at"), "checks", ["created_at"])
    op.create_index(op.f("ix_checks_telegram_user_id"), "checks", ["telegram_user_id"])
    op.create_table(
        "inbox_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", JSON_DOCUMENT, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("received_at", AWARE_DATETIME, nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", AWARE_DATETIME, nullable=True),
        sa.Column("done_at", AWARE_DATETIME, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'done', 'failed')",
            name=op.f("ck_inbox_updates_status"),
        ),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox_updates")),
    )
    op.create_index(
        op.f("ix_inbox_updates_status_chat_id_update_id"),
        "inbox_updates",
        ["status", "chat_id", "update_id"],
    )
    op.create_table(
        "units",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_units")),
    )
    op.create_table(
        "feedback",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("check_id", BIG_ID, nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=40), server_default="", nullable=False),
        sa.Column("created_at", AWARE_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_feedback_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint(
            "check_id",
            "telegram_user_id",
            "rule",
            name=op.f("uq_feedback_check_id_telegram_user_id_rule"),
        ),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("linked_at", AWARE_DATETIME, nullable=True),
        sa.Column("updated_at", AWARE_DATETIME, nullable=False),
        sa.CheckConstraint(
            "role IN ('asn', 'unit_head', 'ppk', 'admin')", name=op.f("ck_staff_role")
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_staff_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("nip", name=op.f("uq_staff_nip")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_staff_telegram_user_id")),
    )


def downgrade() -> None:
    op.drop_table("staff")
    op.drop_table("feedback")
    op.drop_table("units")
    op.drop_index(op.f("ix_inbox_updates_status_chat_id_update_id"), table_name="inbox_updates")
    op.drop_table("inbox_updates")
    op.drop_index(op.f("ix_checks_telegram_user_id"), table_name="checks")
    op.drop_index(op.f("ix_checks_created_at"), table_name="checks")
    op.drop_index(op.f("ix_checks_content_hash"), table_name="checks")
    op.drop_table("checks")
