"""inbox: partial index of the unfinished updates, which every claim reads in order

Revision ID: 5d1f0e7a9c21
Revises: cf6d0a02866b
Create Date: 2026-11-21 16:05:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5d1f0e7a9c21"
down_revision: str | None = "cf6d0a02866b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = "status IN ('pending', 'processing')"


def upgrade() -> None:
    with op.batch_alter_table("inbox_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbox_updates_unfinished",
            ["update_id"],
            unique=False,
            postgresql_where=sa.text(UNFINISHED),
            sqlite_where=sa.text(UNFINISHED),
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_updates_unfinished")
