"""known approvers: when one left or stopped leading, so nobody chooses her as a delegate

Revision ID: e5f7a9b1c3d6
Revises: b2e4d6f8a0c3
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from procurement_common.db import UTCDateTime

revision: str = "e5f7a9b1c3d6"
down_revision: str | Sequence[str] | None = "b2e4d6f8a0c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("known_approvers") as batch:
        batch.add_column(sa.Column("left_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("account_changed_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("known_approvers") as batch:
        batch.drop_column("account_changed_at")
        batch.drop_column("left_at")
