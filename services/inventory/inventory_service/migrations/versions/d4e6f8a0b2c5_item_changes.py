"""item changes: who changed an item's details, from what to what, and when

Revision ID: d4e6f8a0b2c5
Revises: c3f5e7a9b1d4
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from procurement_common.db import UTCDateTime

revision: str = "d4e6f8a0b2c5"
down_revision: str | Sequence[str] | None = "c3f5e7a9b1d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sku"], ["items.sku"], name=op.f("fk_item_changes_sku_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_changes")),
    )
    op.create_index("ix_item_changes_sku_id", "item_changes", ["sku", "id"])


def downgrade() -> None:
    op.drop_index("ix_item_changes_sku_id", table_name="item_changes")
    op.drop_table("item_changes")
