"""Events that arrive twice, late, out of order, or withdraw a request."""

from __future__ import annotations

from approvals_support import cancelled_event, submitted_event
from sqlalchemy import select

from approval_service import workflow
from approval_service.models import KnownApprover

from support import account_changed, poll


def test_an_event_delivered_twice_makes_one_task(approvals):
    event = submitted_event("zhang.wei")

    assert approvals.deliver(event) == "applied"
    assert approvals.deliver(event) == "duplicate"

    assert len(approvals.inbox("li.na")) == 1
    assert len(approvals.published("approval.requested")) == 1


def test_the_same_round_sent_again_under_a_new_event_id_makes_one_task(approvals):
    request_id = approvals.submit("zhang.wei")
    approvals.submit("zhang.wei", request_id=request_id)

    assert len(approvals.inbox("li.na", request_id=request_id)) == 1


def test_cancelling_a_pending_request_closes_its_task(approvals):
    request_id = approvals.submit("zhang.wei")
    task = approvals.task_for("li.na", request_id)

    assert approvals.deliver(cancelled_event(request_id)) == "applied"

    assert approvals.inbox("li.na") == []
    closed = approvals.get("li.na", f"/approvals/{task['id']}").json
    assert closed["status"] == "cancelled"
    response = approvals.decide("li.na", task["id"])
    assert response.status_code == 409
    assert "withdrawn" in response.json["message"]
    assert approvals.published("approval.approved") == []


def test_a_cancellation_that_overtakes_its_submission_leaves_no_live_task(approvals):
    late = submitted_event("zhang.wei")
    request_id = late.data["request_id"]

    approvals.deliver(cancelled_event(request_id))
    approvals.deliver(late)

    assert approvals.inbox("li.na") == []
    assert approvals.published("approval.requested") == []


def test_a_returned_request_resubmitted_starts_a_fresh_round_keeping_the_first(approvals):
    request_id = approvals.submit("zhang.wei", {"PAPER-A4": 50})
    first = approvals.task_for("li.na", request_id)
    approvals.decide("li.na", first["id"], "return", comment="50 reams is too many")

    approvals.submit("zhang.wei", {"PAPER-A4": 20}, request_id=request_id, round=2)

    second = approvals.task_for("li.na", request_id)
    assert second["id"] != first["id"]
    assert second["round"] == 2
    assert second["lines"][0]["quantity"] == 20
    assert [(h["round"], h["decision"], h["comment"]) for h in second["history"]] == [
        (1, "return", "50 reams is too many")
    ]
    kept = approvals.get("li.na", f"/approvals/{first['id']}").json
    assert (kept["status"], kept["round"]) == ("returned", 1)
    decided = approvals.decide("li.na", second["id"])
    assert decided.json["history"] == second["history"]


def test_a_stale_round_arriving_after_a_newer_one_is_ignored(approvals):
    request_id = approvals.submit("zhang.wei", {"PAPER-A4": 20}, round=2)
    stale = submitted_event("zhang.wei", {"PAPER-A4": 50}, request_id=request_id, round=1)

    assert approvals.deliver(stale) == "applied"

    (task,) = approvals.inbox("li.na", request_id=request_id)
    assert (task["round"], task["lines"][0]["quantity"]) == (2, 20)


def test_a_newer_round_supersedes_a_pending_older_one(approvals):
    request_id = approvals.submit("zhang.wei", {"PAPER-A4": 50})
    first = approvals.task_for("li.na", request_id)

    approvals.submit("zhang.wei", {"PAPER-A4": 20}, request_id=request_id, round=2)

    (task,) = approvals.inbox("li.na", request_id=request_id)
    assert task["round"] == 2
    assert approvals.get("li.na", f"/approvals/{first['id']}").json["status"] == "cancelled"


def test_a_message_that_is_not_an_event_is_poison(approvals):
    consumer = approvals.app.extensions["database"]
    from approval_service import service

    outcome = service.consumer(approvals.settings, consumer).apply(b'{"type": "request.submitted"}')
    assert outcome == "poison"


def test_the_leaders_a_submission_names_become_known_even_after_a_rolled_back_try(approvals):
    sessions = approvals.database.sessions
    with sessions() as session:
        workflow.know_approvers(session, {"new.head": "New Head"})
        session.rollback()
    with sessions.begin() as session:
        workflow.know_approvers(session, {"new.head": "New Head", "wang.fang": "Wang Fang"})

    with sessions() as session:
        known = dict(session.execute(select(KnownApprover.username, KnownApprover.name)).all())
    assert known["new.head"] == "New Head" and known["wang.fang"] == "Wang Fang"


def test_a_leader_who_left_can_no_longer_decide_once_her_change_arrives(approvals):
    request_id = approvals.submit("zhang.wei")
    hers = {"Authorization": f"Bearer {approvals.token_for('li.na')}"}
    task = approvals.task_for("li.na", request_id)

    change = account_changed("li.na", active=False, roles=["leader", "staff"])
    assert approvals.deliver(change) == "applied"
    assert approvals.deliver(change) == "duplicate"

    poll(
        lambda: approvals.client.get("/api/v1/approvals", headers=hers).status_code == 401,
        timeout=5,
        message="her old token to be refused",
    )
    decided = approvals.client.post(
        f"/api/v1/approvals/{task['id']}/decision", json={"decision": "approve"}, headers=hers
    )
    assert decided.status_code == 401
    assert "account changed" in decided.json["message"]
    # Undecided, and handed up to the director (``test_nudges``).
    assert approvals.task_for("wang.fang", request_id)["status"] == "pending"
