"""A delegation may be ended early: who ended it, and when.

Revision ID: 4b8d2e6f1a37
Revises: 9e6b3f2c4a15
"""

import sqlalchemy as sa
from alembic import op

import procurement_common.db

revision = "4b8d2e6f1a37"
down_revision = "9e6b3f2c4a15"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delegations") as batch_op:
        batch_op.add_column(sa.Column("ended_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("ended_at", procurement_common.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("delegations") as batch_op:
        batch_op.drop_column("ended_at")
        batch_op.drop_column("ended_by")
