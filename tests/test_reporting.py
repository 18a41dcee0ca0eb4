"""What every service's reports share: the period, percentiles and ages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from marshmallow import ValidationError

from procurement_common.auth import Principal
from procurement_common.db import utcnow
from procurement_common.reporting import (
    Ages,
    NotYourDepartment,
    PeriodQuery,
    age_column,
    department_in_view,
    median_hours,
    p90_hours,
)

HOUR = timedelta(hours=1)
TODAY = utcnow().date()

# fmt: off
AGES = [
    ("an hour is under a day", timedelta(hours=1), "under_1_day"),
    ("a day exactly is one to three days", timedelta(days=1), "1_to_3_days"),
    ("just under three days is one to three days", timedelta(days=3) - timedelta(seconds=1), "1_to_3_days"),
    ("three days is three to seven", timedelta(days=3), "3_to_7_days"),
    ("a week is over seven days", timedelta(days=7), "over_7_days"),
    ("a month is over seven days", timedelta(days=30), "over_7_days"),
]
# fmt: on


@pytest.mark.parametrize(("case", "age", "column"), AGES)
def test_what_waits_is_counted_in_the_column_of_its_age(case, age, column):
    assert age_column(age) == column, case


def test_ages_are_counted_with_the_oldest_in_hours():
    ages = Ages.of([HOUR, 30 * HOUR, 200 * HOUR])

    assert ages.as_dict() == {
        "total": 3,
        "under_1_day": 1,
        "1_to_3_days": 1,
        "3_to_7_days": 0,
        "over_7_days": 1,
        "oldest_hours": 200.0,
    }
    assert Ages.of([]).oldest_hours is None


def test_nine_in_ten_took_no_longer_than_the_90th_percentile():
    assert p90_hours([h * HOUR for h in range(1, 11)]) == 9.0
    assert p90_hours([h * HOUR for h in range(1, 12)]) == 10.0
    assert p90_hours([5 * HOUR]) == 5.0
    assert p90_hours([]) is None


def test_the_median_of_an_even_count_is_halfway_between_the_middle_two():
    assert median_hours([HOUR, 2 * HOUR, 4 * HOUR, 40 * HOUR]) == 3.0
    assert median_hours([]) is None


def test_a_period_is_the_last_thirty_days_unless_given():
    today = utcnow().date()

    period = PeriodQuery().load({})["period"]

    assert (period.since, period.until, period.days) == (today - timedelta(days=29), today, 30)


def test_a_period_covers_its_last_day_whole():
    period = PeriodQuery().load({"since": "2026-02-01", "until": "2026-02-28"})["period"]

    assert period.start.isoformat() == "2026-02-01T00:00:00+00:00"
    assert period.end.isoformat() == "2026-03-01T00:00:00+00:00"
    assert period.days == 28


def test_blank_form_fields_mean_not_given():
    period = PeriodQuery().load({"since": "", "until": "2026-02-28"})["period"]

    assert period.until == date(2026, 2, 28)
    assert period.since == date(2026, 1, 30)


# fmt: off
BAD = [
    ("a start after the end", {"since": "2026-11-20", "until": "2026-11-10"}, "since", "The period starts after it ends."),
    ("a start after today", {"since": "2999-01-01"}, "since", f"A report covers days up to today ({TODAY}, UTC)."),
    ("an end after today", {"until": "2999-01-01"}, "until", f"A report covers days up to today ({TODAY}, UTC)."),
    ("a day before the records", {"since": "1999-12-31"}, "since", "A day from 2000-01-01 on."),
    ("the calendar's first days", {"until": "0001-01-05"}, "until", "A day from 2000-01-01 on."),
    ("367 days", {"since": "2025-01-01", "until": "2026-01-02"}, "since", "A period is at most 366 days."),
    ("not a date", {"until": "yesterday"}, "until", "Not a valid date."),
]
# fmt: on


@pytest.mark.parametrize(("case", "given", "field", "message"), BAD)
def test_a_bad_period_names_its_field(case, given, field, message):
    with pytest.raises(ValidationError) as refused:
        PeriodQuery().load(given)

    assert refused.value.messages == {field: [message]}, case


def test_a_whole_leap_year_is_a_period():
    assert PeriodQuery().load({"since": "2024-01-01", "until": "2024-12-31"})["period"].days == 366


def test_what_a_report_does_not_know_is_left_out():
    assert set(PeriodQuery().load({"page": "2", "since": "2026-01-01"})) == {"period"}


def person(*roles: str, department: str = "FIN") -> Principal:
    return Principal("id", "someone", "Someone", department, frozenset(roles))


def test_a_leader_sees_her_own_department_and_no_other():
    assert department_in_view(person("leader"), None, "clerk") == "FIN"
    assert department_in_view(person("leader"), "FIN", "clerk") == "FIN"
    with pytest.raises(NotYourDepartment):
        department_in_view(person("leader"), "SAL", "clerk")


def test_those_who_see_every_department_see_the_one_asked_for_or_all():
    assert department_in_view(person("clerk", "leader"), "SAL", "clerk", "director") == "SAL"
    assert department_in_view(person("director"), None, "clerk", "director") is None
