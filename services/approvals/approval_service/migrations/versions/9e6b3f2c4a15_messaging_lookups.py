"""index the outbox and processed_events for their look-ups

The duplicate check looks events up by id, the relay unsent rows by id;
see ``procurement_common.migrations.index_messaging_for_lookups``.

Revision ID: 9e6b3f2c4a15
Revises: 1c0429647d11
Create Date: 2026-11-28 00:10:00

"""

from collections.abc import Sequence

from procurement_common.migrations import (
    index_messaging_for_lookups,
    unindex_messaging_for_lookups,
)

# revision identifiers, used by Alembic.
revision: str = "9e6b3f2c4a15"
down_revision: str | Sequence[str] | None = "1c0429647d11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    index_messaging_for_lookups()


def downgrade() -> None:
    unindex_messaging_for_lookups()
