"""The approvals service's outbox indexed on id for unsent rows only.

The three services define the outbox alike, so the step is shared:
``procurement_common.migrations.index_unsent_outbox_rows``.
"""

from procurement_common.migrations import index_all_outbox_rows as downgrade
from procurement_common.migrations import index_unsent_outbox_rows as upgrade

__all__ = ["downgrade", "upgrade"]

revision = "9e6b3f2c4a15"
down_revision = "1c0429647d11"
branch_labels = None
depends_on = None
