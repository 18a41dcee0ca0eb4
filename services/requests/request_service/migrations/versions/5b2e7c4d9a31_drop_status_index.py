"""drop the index on supply_requests.status

Every listing that filters by status also filters by requester or by
department, and each of those has its index; the status index only made
every status change (three or four per request) write one more index.

Revision ID: 5b2e7c4d9a31
Revises: 818f9188624e
Create Date: 2026-11-27 16:20:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5b2e7c4d9a31"
down_revision: str | Sequence[str] | None = "818f9188624e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_supply_requests_status", table_name="supply_requests")


def downgrade() -> None:
    op.create_index("ix_supply_requests_status", "supply_requests", ["status"], unique=False)
