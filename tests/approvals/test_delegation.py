"""A leader's cover while she is away, for a range of days."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import update

from approval_service.models import Delegation
from procurement_common.auth import ADMIN
from procurement_common.db import new_id

from support import account_changed


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


# -- ending a delegation early ------------------------------------------------
def end(approvals, username: str, delegation_id: str, **kwargs):
    return approvals.client.post(
        f"/api/v1/delegations/{delegation_id}/end", headers=approvals.headers(username, **kwargs)
    )


def test_once_the_leader_ends_it_the_delegate_no_longer_sees_or_decides_her_tasks(
    approvals, today, days
):
    request_id = approvals.submit("zhang.wei")
    given = approvals.delegate("li.na", "zhao.lei", today, today + days(3)).json
    task = approvals.task_for("zhao.lei", request_id)

    ended = end(approvals, "li.na", given["id"])

    assert ended.status_code == 200, ended.json
    assert ended.json["ended_by"] == "li.na"
    assert ended.json["ended_at"] is not None
    assert approvals.inbox("zhao.lei", request_id=request_id) == []
    assert approvals.decide("zhao.lei", task["id"]).status_code == 403
    assert approvals.decide("li.na", task["id"]).status_code == 200


def test_after_ending_one_the_leader_may_delegate_the_same_days_again(approvals, today, days):
    given = approvals.delegate("li.na", "zhao.lei", today, today + days(3)).json
    end(approvals, "li.na", given["id"])

    again = approvals.delegate("li.na", "zhao.lei", today + days(1), today + days(2))

    assert again.status_code == 201, again.json


def test_only_the_leader_or_an_administrator_may_end_it(approvals, today, days):
    given = approvals.delegate("li.na", "zhao.lei", today, today + days(3)).json

    assert end(approvals, "zhao.lei", given["id"]).status_code == 403
    assert end(approvals, "wang.fang", given["id"]).status_code == 403
    assert approvals.get("li.na", "/delegations").json["items"][0]["ended_at"] is None
    by_admin = end(approvals, "admin.wu", given["id"], roles=[ADMIN])
    assert by_admin.status_code == 200, by_admin.json
    assert by_admin.json["ended_by"] == "admin.wu"


def test_ending_it_again_answers_the_same_and_one_over_or_unknown_is_refused(
    approvals, today, days
):
    given = approvals.delegate("li.na", "zhao.lei", today, today + days(3)).json
    first = end(approvals, "li.na", given["id"]).json

    assert end(approvals, "li.na", given["id"]).json == first
    with approvals.database.engine.begin() as connection:
        connection.execute(
            update(Delegation)
            .where(Delegation.id == given["id"])
            .values(starts=today - days(5), ends=today - days(1), ended_at=None, ended_by=None)
        )
    over = end(approvals, "li.na", given["id"])
    assert over.status_code == 409
    assert "was over" in over.json["message"]
    assert end(approvals, "li.na", "no-such-delegation").status_code == 404


def test_a_leader_who_left_is_offered_to_no_one_and_a_delegation_to_her_is_refused(
    approvals, browser, today, days
):
    assert "zhao.lei" in browser("li.na").get("/delegations").text

    approvals.deliver(account_changed("zhao.lei", department="SAL", active=False))

    assert "zhao.lei" not in browser("li.na").get("/delegations").text
    refused = approvals.delegate("li.na", "zhao.lei", today, today + days(2))
    assert refused.status_code == 422
    assert "not a leader who approves" in refused.json["message"]


def test_a_delegation_to_someone_who_left_ends_and_the_leader_sees_why(
    approvals, browser, today, days
):
    running = approvals.delegate("li.na", "zhao.lei", today, today + days(3)).json
    later = approvals.delegate("li.na", "zhao.lei", today + days(5), today + days(6)).json
    over = approvals.delegate("li.na", "zhao.lei", today + days(9), today + days(9)).json
    with approvals.database.sessions.begin() as session:
        yesterday = today - days(1)
        session.execute(
            update(Delegation)
            .where(Delegation.id == over["id"])
            .values(starts=yesterday, ends=yesterday)
        )
    request_id = approvals.submit("zhang.wei")

    approvals.deliver(account_changed("zhao.lei", department="SAL", active=False))

    given = {d["id"]: d for d in approvals.get("li.na", "/delegations").json["items"]}
    for delegation in (running, later):
        assert given[delegation["id"]]["ended_by"] == "approvals"
        assert given[delegation["id"]]["ended_at"] is not None
    # One that was over already stays as it was.
    assert given[over["id"]]["ended_at"] is None
    assert "ended " in browser("li.na").get("/delegations").text
    assert "when Zhao Lei left" in browser("li.na").get("/delegations").text
    # The leader's own task waits for her alone.
    assert approvals.task_for("li.na", request_id)["approver"] == "li.na"
    assert approvals.inbox("zhao.lei") == []


def test_a_leader_offered_again_when_she_leads_again_and_a_late_change_is_ignored(
    approvals, browser, today, days
):
    stepped_down = account_changed("zhao.lei", department="SAL", roles=["staff"])
    leads_again = account_changed("zhao.lei", department="SAL", roles=["leader", "staff"])
    approvals.deliver(stepped_down)
    approvals.deliver(leads_again)
    # The first change delivered again under another id, late: it changes nothing.
    approvals.deliver(dataclasses.replace(stepped_down, id=new_id()))

    assert "zhao.lei" in browser("li.na").get("/delegations").text
    assert approvals.delegate("li.na", "zhao.lei", today, today + days(2)).status_code == 201


def test_a_new_leader_is_offered_from_her_first_account_change(approvals, browser):
    approvals.deliver(account_changed("sun.li", roles=["leader", "staff"]))

    assert "sun.li" in browser("li.na").get("/delegations").text
