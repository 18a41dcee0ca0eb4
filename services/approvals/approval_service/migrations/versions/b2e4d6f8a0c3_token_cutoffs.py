"""The approvals service's token cutoffs: tokens issued before an account changed stop counting.

The three services keep the table alike, so the step is shared:
``procurement_common.migrations.create_token_cutoffs``.
"""

from procurement_common.migrations import create_token_cutoffs as upgrade
from procurement_common.migrations import drop_token_cutoffs as downgrade

__all__ = ["downgrade", "upgrade"]

revision = "b2e4d6f8a0c3"
down_revision = "4b8d2e6f1a37"
branch_labels = None
depends_on = None
