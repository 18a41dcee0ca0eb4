"""When a standing order falls due, as sentences: no database."""

from __future__ import annotations

from datetime import date

import pytest

from request_service.standing import Every, due_after, next_due

# fmt: off
DUE_AFTER = [
    ("a weekly order comes a week on", date(2026, 11, 30), Every.WEEK, 30, date(2026, 12, 7)),
    ("a monthly order keeps its day", date(2026, 11, 15), Every.MONTH, 15, date(2026, 12, 15)),
    ("a monthly order runs into the next year", date(2026, 12, 15), Every.MONTH, 15, date(2027, 1, 15)),
    ("the 31st falls on a shorter month's last day", date(2027, 1, 31), Every.MONTH, 31, date(2027, 2, 28)),
    ("and back on the 31st after it", date(2027, 2, 28), Every.MONTH, 31, date(2027, 3, 31)),
    ("a leap year's February has 29 days", date(2028, 1, 30), Every.MONTH, 30, date(2028, 2, 29)),
    ("a quarterly order comes three months on", date(2026, 11, 30), Every.QUARTER, 30, date(2027, 2, 28)),
]
# fmt: on


@pytest.mark.parametrize(("case", "day", "every", "day_of_month", "expected"), DUE_AFTER)
def test_the_next_due_day(case, day, every, day_of_month, expected):
    assert due_after(day, every, day_of_month) == expected, case


def test_days_missed_while_nothing_ran_are_not_made_up():
    # Due on the 1st of September; the worker comes back on 20 November.
    assert next_due(date(2026, 9, 1), Every.MONTH, 1, today=date(2026, 11, 20)) == date(2026, 12, 1)


def test_a_day_submitted_on_time_moves_on_by_one_interval():
    assert next_due(date(2026, 11, 20), Every.WEEK, 20, today=date(2026, 11, 20)) == date(
        2026, 11, 27
    )
