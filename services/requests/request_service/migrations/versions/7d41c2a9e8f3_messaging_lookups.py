"""The requests service's outbox and processed events indexed for their look-ups.

The three services define these tables alike, so the step is shared:
``procurement_common.migrations.index_messaging_for_lookups``.
"""

from procurement_common.migrations import index_messaging_for_lookups as upgrade
from procurement_common.migrations import unindex_messaging_for_lookups as downgrade

__all__ = ["downgrade", "upgrade"]

revision = "7d41c2a9e8f3"
down_revision = "5b2e7c4d9a31"
branch_labels = None
depends_on = None
