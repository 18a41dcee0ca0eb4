"""index the outbox and processed_events for their look-ups

The duplicate check looks events up by id, the relay unsent rows by id;
see ``procurement_common.migrations.index_messaging_for_lookups``.

Revision ID: 7d41c2a9e8f3
Revises: 5b2e7c4d9a31
Create Date: 2026-11-28 00:10:00

"""

from collections.abc import Sequence

from procurement_common.migrations import (
    index_messaging_for_lookups,
    unindex_messaging_for_lookups,
)

# revision identifiers, used by Alembic.
revision: str = "7d41c2a9e8f3"
down_revision: str | Sequence[str] | None = "5b2e7c4d9a31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    index_messaging_for_lookups()


def downgrade() -> None:
    unindex_messaging_for_lookups()
