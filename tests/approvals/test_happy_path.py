"""A request through one level of approval, as the end-to-end path needs it."""

from __future__ import annotations


def test_a_submission_gives_the_department_head_a_task_and_announces_it(approvals):
    request_id = approvals.submit("zhang.wei", {"PAPER-A4": 10, "PEN-GEL-BLK": 2})

    (announced,) = approvals.published("approval.requested", request_id)
    assert announced["data"] | {"task_id": None} == {
        "request_id": request_id,
        "task_id": None,
        "round": 1,
        "level": 1,
        "approver": "li.na",
    }
    assert announced["correlation_id"] == request_id
    task = approvals.task_for("li.na", request_id)
    assert task["id"] == announced["data"]["task_id"]
    assert task["status"] == "pending"
    assert task["requester"] == "zhang.wei"
    assert task["department"] == "FIN"
    assert task["cost"] == "286.00"
    assert [(line["sku"], line["quantity"]) for line in task["lines"]] == [
        ("PAPER-A4", 10),
        ("PEN-GEL-BLK", 2),
    ]
    assert task["history"] == []


def test_approving_the_only_level_publishes_the_approved_quantities(approvals):
    request_id = approvals.submit("zhang.wei", {"PAPER-A4": 10, "PEN-GEL-BLK": 2})
    task = approvals.task_for("li.na", request_id)

    response = approvals.decide(
        "li.na",
        task["id"],
        comment="Fine",
        lines=[{"sku": "PAPER-A4", "approved_quantity": 6}],
    )

    assert response.status_code == 200, response.json
    assert response.json["status"] == "approved"
    assert response.json["decision"]["by"] == "li.na"
    (approved,) = approvals.published("approval.approved", request_id)
    data = approved["data"]
    assert data["by"] == "li.na"
    assert data["acting_for"] is None
    assert data["comment"] == "Fine"
    assert data["lines"] == [
        {"sku": "PAPER-A4", "quantity": 10, "approved_quantity": 6},
        {"sku": "PEN-GEL-BLK", "quantity": 2, "approved_quantity": 2},
    ]
    assert data["requester"] == "zhang.wei"
    # Inventory's reports and hand-out queue name the department, the
    # requester and the purpose as the submission did.
    assert (data["department"], data["department_name"]) == ("FIN", "Finance")
    assert data["requester_name"] == "Zhang Wei"
    assert data["purpose"] == "For the quarterly report"
    assert approvals.inbox("li.na") == []


def test_a_return_and_a_rejection_publish_their_comment(approvals):
    returned_id = approvals.submit("zhang.wei")
    rejected_id = approvals.submit("zhang.wei")

    approvals.decide(
        "li.na", approvals.task_for("li.na", returned_id)["id"], "return", comment="Fewer, please"
    )
    approvals.decide(
        "li.na", approvals.task_for("li.na", rejected_id)["id"], "reject", comment="Not needed"
    )

    (returned,) = approvals.published("approval.returned", returned_id)
    (rejected,) = approvals.published("approval.rejected", rejected_id)
    assert returned["data"]["comment"] == "Fewer, please"
    assert rejected["data"]["comment"] == "Not needed"
    assert rejected["data"]["by"] == "li.na"
