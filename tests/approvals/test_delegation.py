"""A leader's cover while she is away, for a range of days."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def demo_leaders(approvals):
    approvals.seed()


def test_while_a_delegation_runs_the_delegate_sees_and_decides_the_leaders_tasks(
    approvals, today, days
):
    request_id = approvals.submit("zhang.wei")
    created = approvals.delegate("li.na", "zhao.lei", today, today + days(3))
    assert created.status_code == 201, created.json
    assert created.json["leader"] == "li.na"

    task = approvals.task_for("zhao.lei", request_id)
    assert task["approver"] == "li.na"
    decided = approvals.decide("zhao.lei", task["id"], comment="Covering for Li Na")

    assert decided.status_code == 200, decided.json
    assert decided.json["decision"]["by"] == "zhao.lei"
    assert decided.json["decision"]["acting_for"] == "li.na"
    (approved,) = approvals.published("approval.approved", request_id)
    assert (approved["data"]["by"], approved["data"]["acting_for"]) == ("zhao.lei", "li.na")
    # The leader still sees the task she was given, and who decided it for her.
    (mine,) = approvals.get("li.na", "/approvals", request_id=request_id).json["items"]
    assert mine["decision"]["acting_for"] == "li.na"


def test_the_leader_herself_may_still_decide_during_her_delegation(approvals, today, days):
    request_id = approvals.submit("zhang.wei")
    approvals.delegate("li.na", "zhao.lei", today, today + days(3))

    task = approvals.task_for("li.na", request_id)
    assert approvals.decide("li.na", task["id"]).json["decision"]["acting_for"] is None


def test_a_delegation_not_yet_running_gives_nothing(approvals, today, days):
    request_id = approvals.submit("zhang.wei")
    approvals.delegate("li.na", "zhao.lei", today + days(2), today + days(3))

    assert approvals.inbox("zhao.lei") == []
    task = approvals.task_for("li.na", request_id)
    assert approvals.decide("zhao.lei", task["id"]).status_code == 403


def test_a_delegate_may_not_decide_her_own_request(approvals, today, days):
    request_id = approvals.submit("li.na")  # goes to the director
    approvals.delegate("wang.fang", "li.na", today, today + days(1))

    task = approvals.task_for("wang.fang", request_id)
    response = approvals.decide("li.na", task["id"])

    assert response.status_code == 403
    assert "own request" in response.json["message"]


@pytest.mark.parametrize(
    ("case", "delegate", "starts", "ends", "status", "words"),
    [
        ("a range that ends before it starts", "zhao.lei", 3, 1, 422, "ends before it starts"),
        ("a range already over", "zhao.lei", -5, -1, 422, "already be over"),
        ("a delegation to oneself", "li.na", 0, 1, 422, "yourself"),
        ("a delegation to someone who is not a leader", "zhang.wei", 0, 1, 422, "not a leader"),
        ("a range overlapping an earlier one", "wang.fang", 5, 12, 409, "cannot overlap"),
    ],
)
def test_bad_delegations_are_refused_with_a_clear_message(
    approvals, today, days, case, delegate, starts, ends, status, words
):
    assert (
        approvals.delegate("li.na", "zhao.lei", today + days(10), today + days(20)).status_code
        == 201
    )

    response = approvals.delegate("li.na", delegate, today + days(starts), today + days(ends))

    assert response.status_code == status, case
    assert words in response.json["message"], case
    assert approvals.get("li.na", "/delegations").json["total"] == 1


def test_a_delegate_who_is_away_herself_cannot_cover(approvals, today, days):
    approvals.submit("zhang.wei")
    approvals.delegate("zhao.lei", "wang.fang", today, today + days(5))

    response = approvals.delegate("li.na", "zhao.lei", today + days(1), today + days(2))

    assert response.status_code == 409
    assert "away herself" in response.json["message"]


def test_staff_cannot_delegate(approvals, today, days):
    response = approvals.delegate("zhang.wei", "li.na", today, today + days(1))
    assert response.status_code == 403


def test_delegations_list_shows_given_and_received(approvals, today, days):
    approvals.submit("zhang.wei")
    approvals.delegate("li.na", "zhao.lei", today, today + days(1))

    for who in ("li.na", "zhao.lei"):
        listing = approvals.get(who, "/delegations").json
        assert listing["total"] == 1
        assert listing["items"][0]["delegate"] == "zhao.lei"
    assert approvals.get("wang.fang", "/delegations").json["total"] == 0
