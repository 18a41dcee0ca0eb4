"""handout costs and department names: what each hand-out line cost, whose department

Hand-out lines made before this carry the item's unit cost as it is now,
the best there is to know of them.

Revision ID: e6a8c0d2f4b7
Revises: d4e6f8a0b2c5
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e6a8c0d2f4b7"
down_revision: str | Sequence[str] | None = "d4e6f8a0b2c5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reservations", sa.Column("department_name", sa.String(100), nullable=True))
    op.add_column(
        "handout_lines", sa.Column("unit_cost", sa.Numeric(precision=12, scale=2), nullable=True)
    )
    op.execute(
        "UPDATE handout_lines SET unit_cost = "
        "(SELECT items.unit_cost FROM items WHERE items.sku = handout_lines.sku)"
    )
    with op.batch_alter_table("handout_lines") as batch_op:
        batch_op.alter_column(
            "unit_cost", existing_type=sa.Numeric(precision=12, scale=2), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("handout_lines") as batch_op:
        batch_op.drop_column("unit_cost")
    with op.batch_alter_table("reservations") as batch_op:
        batch_op.drop_column("department_name")
