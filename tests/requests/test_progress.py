"""The progress report's arithmetic, on plain histories: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from procurement_common.reporting import Period
from request_service.domain import Status as S
from request_service.progress import Open, progress, spans

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


def history(*steps: tuple[S, float]) -> list[tuple[S, datetime]]:
    """Statuses at so many hours after T0."""
    return [(status, T0 + timedelta(hours=hours)) for status, hours in steps]


def took(found) -> dict[str, list[float]]:
    hours: dict[str, list[float]] = {}
    for span in found:
        hours.setdefault(span.stage, []).append((span.ended - span.started).total_seconds() / 3600)
    return hours


def test_a_request_that_went_all_the_way_passes_every_stage_once():
    found = spans(
        history(
            (S.SUBMITTED, 0), (S.APPROVED, 5), (S.RESERVED, 6), (S.ISSUED, 30), (S.RECEIVED, 32)
        )
    )

    assert took(found) == {
        "approval": [5],
        "reservation": [1],
        "hand_out": [24],
        "receipt": [2],
        "whole": [30],
    }


def test_time_backordered_counts_in_the_reservation():
    found = spans(
        history((S.SUBMITTED, 0), (S.APPROVED, 1), (S.BACKORDERED, 1.5), (S.RESERVED, 49))
    )

    assert took(found) == {"approval": [1], "reservation": [48]}


def test_a_returned_request_is_decided_twice_and_waited_for_since_its_first_submission():
    found = spans(
        history(
            (S.SUBMITTED, 0),
            (S.RETURNED, 2),
            (S.SUBMITTED, 10),
            (S.APPROVED, 13),
            (S.RESERVED, 13.5),
            (S.ISSUED, 20),
        )
    )

    assert took(found)["approval"] == [2, 3]
    assert took(found)["whole"] == [20]


def test_a_rejection_is_a_decision_and_ends_the_wait():
    found = spans(history((S.SUBMITTED, 0), (S.REJECTED, 4)))

    assert took(found) == {"approval": [4]}


def test_a_cancelled_request_finishes_no_stage():
    found = spans(history((S.SUBMITTED, 0), (S.CANCELLED, 4), (S.APPROVED, 5)))

    assert found == []


def test_only_stages_finished_in_the_period_count():
    october = history((S.SUBMITTED, -200), (S.APPROVED, -100), (S.RESERVED, 1))

    report = progress([october], [], NOVEMBER, T0)

    figures = {row.stage.name: row for row in report.stages}
    assert figures["approval"].completed == 0
    assert figures["reservation"].completed == 1
    assert figures["reservation"].median_hours == 101.0
    assert figures["whole"].median_hours is None


def test_open_requests_are_counted_by_status_and_time_in_it():
    now = T0 + timedelta(days=10)
    still_open = [
        Open(S.SUBMITTED, now - timedelta(hours=2)),
        Open(S.SUBMITTED, now - timedelta(days=2)),
        Open(S.BACKORDERED, now - timedelta(days=8)),
    ]

    report = progress([], still_open, NOVEMBER, now)

    assert report.waiting[S.SUBMITTED].as_dict() == {
        "total": 2,
        "under_1_day": 1,
        "1_to_3_days": 1,
        "3_to_7_days": 0,
        "over_7_days": 0,
        "oldest_hours": 48.0,
    }
    assert report.waiting[S.BACKORDERED].columns["over_7_days"] == 1
    assert report.waiting[S.ISSUED].as_dict()["total"] == 0
