"""announced available: what the catalog copy in requests last heard

Stock moves are announced by the worker's timed job, each item once a
second at most, instead of by every movement. Until now every movement was
announced at once, so what each item has available is what was announced.

Revision ID: a8c0e2f4b6d8
Revises: f7b9d1e3a5c6
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a8c0e2f4b6d8"
down_revision: str | Sequence[str] | None = "f7b9d1e3a5c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("items", sa.Column("announced_available", sa.Integer(), nullable=True))
    op.execute("UPDATE items SET announced_available = on_hand - reserved")


def downgrade() -> None:
    with op.batch_alter_table("items") as batch_op:
        batch_op.drop_column("announced_available")
