"""Standing orders: a request asked for again on a schedule, in plain Python.

Paper every month, toner every quarter: needs that recur are asked for once
and then submitted on their day, each time a request of its own that goes
through approval like any other.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum


class Every(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


_MONTHS = {Every.MONTH: 1, Every.QUARTER: 3}


def due_after(day: date, every: Every, day_of_month: int) -> date:
    """The due day after ``day``: a week on, or one or three months on, on
    ``day_of_month`` (the month's last day when it is shorter)."""
    if every == Every.WEEK:
        return day + timedelta(weeks=1)
    month_index = day.year * 12 + day.month - 1 + _MONTHS[every]
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day_of_month, last))


def next_due(submitted_for: date, every: Every, day_of_month: int, today: date) -> date:
    """The due day after the one just submitted for, and after today.

    Days that passed while nothing ran (the worker was down) are not made
    up: one late request stands for them, not a burst of copies.
    """
    day = due_after(submitted_for, every, day_of_month)
    while day <= today:
        day = due_after(day, every, day_of_month)
    return day
