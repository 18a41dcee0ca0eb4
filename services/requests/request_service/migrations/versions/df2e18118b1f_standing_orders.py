"""standing orders: requests asked for again on a schedule, and their history

Revision ID: df2e18118b1f
Revises: 7d41c2a9e8f3
Create Date: 2026-11-28 03:44:38

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from procurement_common.db import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "df2e18118b1f"
down_revision: str | Sequence[str] | None = "7d41c2a9e8f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "standing_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("requester_name", sa.String(length=100), nullable=False),
        sa.Column("department", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("every", sa.String(length=16), nullable=False),
        sa.Column("day_of_month", sa.Integer(), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_from", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_by", sa.String(length=64), nullable=True),
        sa.Column("last_request_id", sa.String(length=36), nullable=True),
        sa.Column("last_refusal", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_orders")),
    )
    op.create_index("ix_standing_orders_due", "standing_orders", ["active", "next_on"])
    op.create_index("ix_standing_orders_requester", "standing_orders", ["requester"])
    op.create_table(
        "standing_order_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["standing_orders.id"],
            name=op.f("fk_standing_order_history_order_id_standing_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_order_history")),
    )
    op.create_index("ix_standing_order_history_order_id", "standing_order_history", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_standing_order_history_order_id", table_name="standing_order_history")
    op.drop_table("standing_order_history")
    op.drop_index("ix_standing_orders_requester", table_name="standing_orders")
    op.drop_index("ix_standing_orders_due", table_name="standing_orders")
    op.drop_table("standing_orders")
