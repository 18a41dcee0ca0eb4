""" "Most pressing first", as the contract orders work everywhere:
leader-assigned, then urgent, then the earliest needed-by, then the oldest.
"""

from __future__ import annotations

from datetime import date, datetime

FAR_FUTURE = date(9999, 12, 31)


def pressing_key(
    leader_assigned: bool, urgency: str, needed_by: date | None, submitted_at: datetime
) -> tuple:
    return (not leader_assigned, urgency != "urgent", needed_by or FAR_FUTURE, submitted_at)
