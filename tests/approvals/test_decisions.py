"""Who may decide, repeats and conflicts, and bad input that changes nothing."""

from __future__ import annotations

import threading

import pytest


@pytest.fixture
def task(approvals):
    request_id = approvals.submit("zhang.wei", {"PAPER-A4": 10, "PEN-GEL-BLK": 2})
    return approvals.task_for("li.na", request_id)


def test_the_same_decision_twice_gives_the_same_result_and_publishes_once(approvals, task):
    cut = [{"sku": "PAPER-A4", "approved_quantity": 5}]
    first = approvals.decide("li.na", task["id"], lines=cut)
    second = approvals.decide("li.na", task["id"], lines=cut)

    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    assert len(approvals.published("approval.approved", task["request_id"])) == 1


@pytest.mark.parametrize(
    "different",
    [
        {"decision": "reject", "comment": "Changed my mind"},
        {"decision": "return", "comment": "Changed my mind"},
        {"decision": "approve", "lines": [{"sku": "PAPER-A4", "approved_quantity": 1}]},
    ],
)
def test_a_different_decision_on_a_decided_task_is_a_conflict(approvals, task, different):
    approvals.decide("li.na", task["id"])

    response = approvals.decide("li.na", task["id"], **different)

    assert response.status_code == 409
    assert "already approved" in response.json["message"]


def test_two_different_decisions_at_once_one_is_taken_and_the_other_is_a_conflict(approvals, task):
    clients = [approvals.app.test_client() for _ in range(2)]
    bodies = [{"decision": "approve"}, {"decision": "reject", "comment": "Not this quarter"}]
    start = threading.Barrier(2)
    answers = [None, None]

    def decide(n):
        start.wait()
        answers[n] = clients[n].post(
            f"/api/v1/approvals/{task['id']}/decision",
            headers=approvals.headers("li.na"),
            json=bodies[n],
        )

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answer.status_code for answer in answers) == [200, 409]
    taken = next(answer.json for answer in answers if answer.status_code == 200)
    outcome = {"approved": "approval.approved", "rejected": "approval.rejected"}[taken["status"]]
    assert approvals.get("li.na", f"/approvals/{task['id']}").json["status"] == taken["status"]
    # approval.requested, then one outcome
    assert len(approvals.published(request_id=task["request_id"])) == 2
    assert len(approvals.published(outcome, task["request_id"])) == 1


@pytest.mark.parametrize(
    ("who", "why"),
    [
        ("zhao.lei", "another department's leader"),
        ("wang.fang", "the director, not yet her turn"),
        ("zhang.wei", "the requester himself"),
        ("admin", "an administrator"),
    ],
)
def test_only_the_assigned_approver_may_decide(approvals, task, who, why):
    response = approvals.decide(who, task["id"])

    assert response.status_code == 403, why
    assert response.json["message"]
    assert approvals.published("approval.approved") == []


def test_a_signed_out_caller_gets_401(approvals, task):
    response = approvals.client.post(
        f"/api/v1/approvals/{task['id']}/decision", json={"decision": "approve"}
    )
    assert response.status_code == 401


def test_an_unknown_task_is_404(approvals):
    assert approvals.decide("li.na", "no-such-task").status_code == 404
    assert approvals.get("li.na", "/approvals/no-such-task").status_code == 404


def test_someone_elses_task_cannot_be_read(approvals, task):
    assert approvals.get("zhao.lei", f"/approvals/{task['id']}").status_code == 403
    assert approvals.get("li.na", f"/approvals/{task['id']}").status_code == 200


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("an unknown decision", {"decision": "maybe"}),
        ("no decision at all", {}),
        (
            "a cut above the asked quantity",
            {"decision": "approve", "lines": [{"sku": "PAPER-A4", "approved_quantity": 11}]},
        ),
        (
            "a negative quantity",
            {"decision": "approve", "lines": [{"sku": "PAPER-A4", "approved_quantity": -1}]},
        ),
        (
            "a quantity that is not a number",
            {"decision": "approve", "lines": [{"sku": "PAPER-A4", "approved_quantity": "lots"}]},
        ),
        (
            "a cut of an item not asked for",
            {"decision": "approve", "lines": [{"sku": "TONER-HP-26A", "approved_quantity": 1}]},
        ),
        (
            "the same item cut twice",
            {
                "decision": "approve",
                "lines": [
                    {"sku": "PAPER-A4", "approved_quantity": 1},
                    {"sku": "PAPER-A4", "approved_quantity": 2},
                ],
            },
        ),
        (
            "everything cut to nothing",
            {
                "decision": "approve",
                "lines": [
                    {"sku": "PAPER-A4", "approved_quantity": 0},
                    {"sku": "PEN-GEL-BLK", "approved_quantity": 0},
                ],
            },
        ),
        ("a rejection without a comment", {"decision": "reject"}),
        ("a return with only spaces as comment", {"decision": "return", "comment": "   "}),
        ("lines that are not a list", {"decision": "approve", "lines": "PAPER-A4"}),
    ],
)
def test_bad_input_is_a_422_and_changes_nothing(approvals, task, case, body):
    before = approvals.published()

    response = approvals.client.post(
        f"/api/v1/approvals/{task['id']}/decision", headers=approvals.headers("li.na"), json=body
    )

    assert response.status_code == 422, case
    assert response.json["message"], case
    assert response.json["errors"], case
    assert approvals.published() == before
    assert approvals.task_for("li.na", task["request_id"])["status"] == "pending"


@pytest.mark.parametrize(
    ("case", "data", "content_type", "status"),
    [
        ("a body that is not JSON", "{not json", "application/json", 400),
        ("a JSON list instead of an object", "[]", "application/json", 422),
    ],
)
def test_malformed_bodies_are_4xx(approvals, task, case, data, content_type, status):
    response = approvals.client.post(
        f"/api/v1/approvals/{task['id']}/decision",
        headers=approvals.headers("li.na"),
        data=data,
        content_type=content_type,
    )
    assert response.status_code == status, case
    assert response.json["message"]
