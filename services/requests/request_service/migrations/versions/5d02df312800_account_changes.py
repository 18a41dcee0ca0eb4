"""account changes: the history of what administrators change about people and departments

Revision ID: 5d02df312800
Revises: df2e18118b1f
Create Date: 2026-11-28 04:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from procurement_common.db import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "5d02df312800"
down_revision: str | Sequence[str] | None = "df2e18118b1f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_changes")),
    )
    op.create_index("ix_account_changes_subject", "account_changes", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_account_changes_subject", table_name="account_changes")
    op.drop_table("account_changes")
