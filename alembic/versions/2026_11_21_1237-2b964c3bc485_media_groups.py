"""media groups: one answer per album across replicas

Revision ID: 2b964c3bc485
Revises: 1389418ddf3a
Create Date: 2026-11-21 12:37:46.981522+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "2b964c3bc485"
down_revision: str | None = "1389418ddf3a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of bot.db.models.UTCDateTime's stored type.
AWARE_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "media_groups",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("media_group_id", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", AWARE_DATETIME, nullable=False),
        sa.Column("answered_at", AWARE_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("chat_id", "media_group_id", name=op.f("pk_media_groups")),
    )
    with op.batch_alter_table("media_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_media_groups_first_seen_at"), ["first_seen_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("media_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_groups_first_seen_at"))
    op.drop_table("media_groups")
