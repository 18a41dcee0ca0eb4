"""The requests service's token cutoffs: tokens issued before an account changed stop counting.

The three services keep the table alike, so the step is shared:
``procurement_common.migrations.create_token_cutoffs``.
"""

from procurement_common.migrations import create_token_cutoffs as upgrade
from procurement_common.migrations import drop_token_cutoffs as downgrade

__all__ = ["downgrade", "upgrade"]

revision = "a1f3c5e7b9d2"
down_revision = "5d02df312800"
branch_labels = None
depends_on = None
