"""known approvers: their names, so that pages say "Li Na" rather than "li.na"

Revision ID: a4c6e8f0b2d4
Revises: e5f7a9b1c3d6
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4c6e8f0b2d4"
down_revision: str | Sequence[str] | None = "e5f7a9b1c3d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("known_approvers") as batch:
        batch.add_column(sa.Column("name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("known_approvers") as batch:
        batch.drop_column("name")
