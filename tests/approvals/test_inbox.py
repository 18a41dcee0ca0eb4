"""The inbox: most pressing first, paged as the contract says."""

from __future__ import annotations

from datetime import date, timedelta

from procurement_common.db import utcnow


def test_the_inbox_puts_leader_assigned_then_urgent_then_needed_by_then_age_first(approvals):
    now = utcnow()
    oldest = approvals.submit("zhang.wei", submitted_at=now - timedelta(hours=5))
    newer = approvals.submit("zhang.wei", submitted_at=now - timedelta(hours=1))
    needed_late = approvals.submit("zhang.wei", needed_by=date.today() + timedelta(days=9))
    needed_soon = approvals.submit("zhang.wei", needed_by=date.today() + timedelta(days=2))
    urgent = approvals.submit("zhang.wei", urgency="urgent")
    assigned = approvals.submit("zhang.wei", leader_assigned=True)

    order = [task["request_id"] for task in approvals.inbox("li.na")]

    assert order == [assigned, urgent, needed_soon, needed_late, oldest, newer]


def test_the_inbox_pages_and_narrows_by_request(approvals):
    ids = [approvals.submit("zhang.wei") for _ in range(3)]

    page = approvals.get("li.na", "/approvals", status="pending", per_page=2, page=2).json
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 2, 2, 1)
    only = approvals.get("li.na", "/approvals", request_id=ids[1]).json
    assert [task["request_id"] for task in only["items"]] == [ids[1]]


def test_decided_tasks_leave_the_pending_list_but_stay_in_the_record(approvals):
    request_id = approvals.submit("zhang.wei")
    approvals.decide("li.na", approvals.task_for("li.na", request_id)["id"])

    assert approvals.inbox("li.na") == []
    decided = approvals.get("li.na", "/approvals", status="approved").json["items"]
    assert [task["request_id"] for task in decided] == [request_id]


def test_bad_query_parameters_are_a_422(approvals):
    for params in ({"per_page": 101}, {"page": 0}, {"status": "sleeping"}):
        response = approvals.get("li.na", "/approvals", **params)
        assert response.status_code == 422, params
        assert response.json["message"]


def test_the_api_is_described_in_openapi(approvals):
    spec = approvals.client.get("/openapi.json").json
    for path in (
        "/api/v1/approvals",
        "/api/v1/approvals/{task_id}",
        "/api/v1/approvals/{task_id}/decision",
        "/api/v1/policy",
        "/api/v1/delegations",
    ):
        assert path in spec["paths"], path
