"""Routing through the API: one level after another, never both at once."""

from __future__ import annotations

from support import account_changed


def test_above_the_threshold_the_director_approves_after_the_head_and_only_cuts_further(
    approvals,
):
    request_id = approvals.submit("zhang.wei", {"TONER-HP-26A": 3, "PAPER-A4": 10})  # 1510.00
    assert approvals.inbox("wang.fang") == [], "the director waits for the head"

    first = approvals.task_for("li.na", request_id)
    approvals.decide("li.na", first["id"], lines=[{"sku": "TONER-HP-26A", "approved_quantity": 2}])

    assert approvals.published("approval.approved", request_id) == []
    requested = approvals.published("approval.requested", request_id)
    assert [(e["data"]["level"], e["data"]["approver"]) for e in requested] == [
        (1, "li.na"),
        (2, "wang.fang"),
    ]
    second = approvals.task_for("wang.fang", request_id)
    assert second["level"] == 2
    assert {line["sku"]: line["approved_quantity"] for line in second["lines"]} == {
        "TONER-HP-26A": 2,
        "PAPER-A4": 10,
    }
    assert [(h["level"], h["decision"], h["by"]) for h in second["history"]] == [
        (1, "approve", "li.na")
    ]

    raised = approvals.decide(
        "wang.fang", second["id"], lines=[{"sku": "TONER-HP-26A", "approved_quantity": 3}]
    )
    assert raised.status_code == 422
    assert "TONER-HP-26A" in raised.json["message"]

    done = approvals.decide(
        "wang.fang", second["id"], lines=[{"sku": "PAPER-A4", "approved_quantity": 4}]
    )
    assert done.status_code == 200, done.json
    # The answer, the task read alone and the listing tell one history.
    assert done.json["history"] == second["history"]
    read = approvals.get("wang.fang", f"/approvals/{second['id']}").json
    assert read["history"] == second["history"]
    assert read["decision"] == done.json["decision"]
    (approved,) = approvals.published("approval.approved", request_id)
    assert approved["data"]["by"] == "wang.fang"
    assert approved["data"]["lines"] == [
        {"sku": "TONER-HP-26A", "quantity": 3, "approved_quantity": 2},
        {"sku": "PAPER-A4", "quantity": 10, "approved_quantity": 4},
    ]


def test_a_rejection_at_level_one_never_reaches_the_director(approvals):
    request_id = approvals.submit("zhang.wei", {"TONER-HP-26A": 3})
    task = approvals.task_for("li.na", request_id)

    approvals.decide("li.na", task["id"], "reject", comment="Use the shared printer")

    assert approvals.inbox("wang.fang") == []
    assert len(approvals.published("approval.requested", request_id)) == 1
    assert len(approvals.published("approval.rejected", request_id)) == 1


def test_a_leaders_own_request_goes_to_the_director(approvals):
    request_id = approvals.submit("li.na", {"PAPER-A4": 2})

    assert approvals.inbox("li.na") == []
    task = approvals.task_for("wang.fang", request_id)
    assert task["approver"] == "wang.fang"
    assert approvals.decide("wang.fang", task["id"]).status_code == 200
    assert len(approvals.published("approval.approved", request_id)) == 1


def test_the_directors_own_request_goes_to_an_administrator(approvals):
    request_id = approvals.submit("wang.fang", {"TONER-HP-26A": 5})

    assert approvals.inbox("wang.fang") == []
    task = approvals.task_for("admin", request_id)
    assert task["approver"] == "role:admin"
    approved = approvals.decide("admin", task["id"])
    assert approved.status_code == 200
    assert approved.json["decision"]["by"] == "admin"
    assert len(approvals.published("approval.approved", request_id)) == 1


def test_a_director_who_left_after_the_request_was_sent_gets_no_second_level_task(approvals):
    request_id = approvals.submit("zhang.wei", {"TONER-HP-26A": 3, "PAPER-A4": 10})  # 1510.00
    approvals.deliver(account_changed("wang.fang", department="GO", active=False))
    first = approvals.task_for("li.na", request_id)

    assert approvals.decide("li.na", first["id"]).status_code == 200

    second = approvals.task_for("admin", request_id)
    assert (second["level"], second["escalated_from"] is not None) == (2, True)
    (escalated,) = approvals.published("approval.escalated", request_id)
    assert escalated["data"]["reason"] == "wang.fang no longer approves here"
    assert approvals.inbox("wang.fang") == []
    assert approvals.published("approval.approved", request_id) == []
