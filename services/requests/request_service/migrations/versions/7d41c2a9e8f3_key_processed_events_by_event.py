"""key processed_events by event id first

The duplicate check looks events up by id; see
procurement_common.migrations.key_processed_events_by_event.

Revision ID: 7d41c2a9e8f3
Revises: 5b2e7c4d9a31
Create Date: 2026-11-28 00:10:00

"""

from collections.abc import Sequence

from procurement_common.migrations import (
    key_processed_events_by_consumer,
    key_processed_events_by_event,
)

# revision identifiers, used by Alembic.
revision: str = "7d41c2a9e8f3"
down_revision: str | Sequence[str] | None = "5b2e7c4d9a31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    key_processed_events_by_event()


def downgrade() -> None:
    key_processed_events_by_consumer()
