"""The turnaround report's arithmetic, on plain records: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from approval_service.rules import Decision
from approval_service.turnaround import Decided, Escalated, Waiting, report

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def decided(approver="li.na", level=1, took_hours=1.0, decision=Decision.APPROVE, delegate=False):
    opened = NOW - timedelta(days=2)
    return Decided(
        approver, level, decision, delegate, opened, opened + timedelta(hours=took_hours)
    )


def waiting(approver="li.na", level=1, age=timedelta(hours=1)):
    return Waiting(approver, level, NOW - age)


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
    assert result.levels[2].waiting.columns["3_to_7_days"] == 1
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
    assert li_na.waiting.as_dict() == {
        "total": 3,
        "under_1_day": 1,
        "1_to_3_days": 1,
        "3_to_7_days": 0,
        "over_7_days": 1,
        "oldest_hours": 246.0,
    }
    assert li_na.decided == 0
    assert li_na.median_hours is None


def test_an_approver_with_nothing_decided_or_waiting_is_not_listed():
    result = report([], [], [], NOW)

    assert result.approvers == {}
    assert result.levels == {}
    assert result.overall.decided == 0
    assert result.overall.waiting.oldest_hours is None
