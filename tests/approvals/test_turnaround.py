"""The turnaround report's arithmetic, on plain records: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from approval_service.rules import Decision
from approval_service.turnaround import Decided, Escalated, Waiting, age_column, p90, report

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def decided(approver="li.na", level=1, took_hours=1.0, decision=Decision.APPROVE, delegate=False):
    opened = NOW - timedelta(days=2)
    return Decided(approver, level, decision, delegate, opened, opened + timedelta(hours=took_hours))


def waiting(approver="li.na", level=1, age=timedelta(hours=1)):
    return Waiting(approver, level, NOW - age)


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
def test_a_waiting_task_is_counted_in_the_column_of_its_age(case, age, column):
    assert age_column(age) == column, case


def test_nine_in_ten_took_no_longer_than_the_90th_percentile():
    assert p90([float(h) for h in range(1, 11)]) == 9.0
    assert p90([5.0]) == 5.0
    assert p90([float(h) for h in range(1, 12)]) == 10.0


def test_each_approver_gets_her_own_counts_median_and_90th_percentile():
    result = report(
        [
            decided("li.na", took_hours=1),
            decided("li.na", took_hours=3, decision=Decision.REJECT),
            decided("li.na", took_hours=20, decision=Decision.RETURN, delegate=True),
            decided("zhao.lei", took_hours=48),
        ],
        [],
        [],
        NOW,
    )

    li_na = result.approvers["li.na"]
    assert (li_na.decided, li_na.approved, li_na.rejected, li_na.returned) == (3, 1, 1, 1)
    assert li_na.by_delegate == 1
    assert (li_na.median_hours, li_na.p90_hours) == (3.0, 20.0)
    assert result.approvers["zhao.lei"].median_hours == 48.0
    assert result.overall.decided == 4
    assert result.overall.median_hours == 11.5


def test_levels_are_reported_apart_from_approvers():
    result = report(
        [decided("li.na", level=1, took_hours=2), decided("wang.fang", level=2, took_hours=30)],
        [Escalated("li.na", 1)],
        [waiting("wang.fang", level=2, age=timedelta(days=4))],
        NOW,
    )

    assert list(result.levels) == [1, 2]
    assert (result.levels[1].decided, result.levels[1].escalated) == (1, 1)
    assert result.levels[2].median_hours == 30.0
    assert result.levels[2].waiting["3_to_7_days"] == 1
    assert sorted(result.approvers) == ["li.na", "wang.fang"]


def test_what_waits_is_counted_by_age_with_the_oldest_in_hours():
    result = report(
        [],
        [],
        [
            waiting(age=timedelta(hours=2)),
            waiting(age=timedelta(days=2)),
            waiting(age=timedelta(days=10, hours=6)),
        ],
        NOW,
    )

    li_na = result.approvers["li.na"]
    assert li_na.waiting == {"under_1_day": 1, "1_to_3_days": 1, "3_to_7_days": 0, "over_7_days": 1}
    assert li_na.waiting_total == 3
    assert li_na.oldest_waiting_hours == 246.0
    assert li_na.decided == 0
    assert li_na.median_hours is None


def test_an_approver_with_nothing_decided_or_waiting_is_not_listed():
    result = report([], [], [], NOW)

    assert result.approvers == {}
    assert result.levels == {}
    assert result.overall.decided == 0
    assert result.overall.oldest_waiting_hours is None
