"""The inventory service's token cutoffs: tokens issued before an account changed stop counting.

The three services keep the table alike, so the step is shared:
``procurement_common.migrations.create_token_cutoffs``.
"""

from procurement_common.migrations import create_token_cutoffs as upgrade
from procurement_common.migrations import drop_token_cutoffs as downgrade

__all__ = ["downgrade", "upgrade"]

revision = "c3f5e7a9b1d4"
down_revision = "3a9c5e17b2d4"
branch_labels = None
depends_on = None
