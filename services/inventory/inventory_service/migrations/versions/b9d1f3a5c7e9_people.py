"""people: the names of the people the pages show, from account.changed

People announced before this are shown by their usernames until their
accounts change again.

Revision ID: b9d1f3a5c7e9
Revises: a8c0e2f4b6d8
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from procurement_common.db import UTCDateTime

revision: str = "b9d1f3a5c7e9"
down_revision: str | Sequence[str] | None = "a8c0e2f4b6d8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("people")
