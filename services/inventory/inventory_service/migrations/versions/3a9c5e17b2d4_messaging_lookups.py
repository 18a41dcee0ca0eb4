"""The inventory service's outbox and processed events indexed for their look-ups.

The three services define these tables alike, so the step is shared:
``procurement_common.migrations.index_messaging_for_lookups``.
"""

from procurement_common.migrations import index_messaging_for_lookups as upgrade
from procurement_common.migrations import unindex_messaging_for_lookups as downgrade

__all__ = ["downgrade", "upgrade"]

revision = "3a9c5e17b2d4"
down_revision = "1ef624564961"
branch_labels = None
depends_on = None
