"""reservation requester and purpose: whom the clerk hands out to, and what for

Reservations made before this have neither; the hand-out queue shows their
request id and the requester's username, as before.

Revision ID: f7b9d1e3a5c6
Revises: e6a8c0d2f4b7
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f7b9d1e3a5c6"
down_revision: str | Sequence[str] | None = "e6a8c0d2f4b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reservations", sa.Column("requester_name", sa.String(100), nullable=True))
    op.add_column("reservations", sa.Column("purpose", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch_op:
        batch_op.drop_column("purpose")
        batch_op.drop_column("requester_name")
