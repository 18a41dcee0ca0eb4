"""The approval policy: read by anyone signed in, set by an administrator,
applied to requests submitted after it, every version kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from approval_service import rules, workflow
from procurement_common.db import utcnow


def put_policy(approvals, who, body):
    return approvals.client.put("/api/v1/policy", headers=approvals.headers(who), json=body)


def test_before_anyone_sets_it_the_default_policy_is_in_force(approvals):
    policy = approvals.get("zhang.wei", "/policy")

    assert policy.status_code == 200
    assert policy.json["director_threshold"] == "1000.00"
    assert policy.json["version"] == 0


def test_the_demo_data_sets_the_demo_policy(approvals):
    approvals.seed()

    policy = approvals.get("zhang.wei", "/policy").json
    assert (policy["director_threshold"], policy["set_by"], policy["version"]) == (
        "1000.00",
        "seed",
        1,
    )


@pytest.mark.parametrize("amount", ["300.00", 300, 300.0, "300"])
def test_an_administrator_sets_the_threshold_as_a_string_or_a_number(approvals, amount):
    response = put_policy(approvals, "admin", {"director_threshold": amount})

    assert response.status_code == 200, response.json
    assert response.json["director_threshold"] == "300.00"
    assert response.json["set_by"] == "admin"
    assert approvals.get("li.na", "/policy").json["director_threshold"] == "300.00"


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("a negative amount", {"director_threshold": "-1.00"}),
        ("not an amount", {"director_threshold": "a lot"}),
        ("fractions of a cent", {"director_threshold": "10.001"}),
        ("not a number at all", {"director_threshold": "NaN"}),
        ("no amount", {}),
        ("an absurd amount", {"director_threshold": "1e20"}),
    ],
)
def test_a_bad_threshold_is_a_422_and_changes_nothing(approvals, case, body):
    response = put_policy(approvals, "admin", body)

    assert response.status_code == 422, case
    assert response.json["message"]
    assert approvals.get("admin", "/policy").json["version"] == 0


@pytest.mark.parametrize("who", ["li.na", "wang.fang", "zhang.wei"])
def test_only_an_administrator_sets_the_policy(approvals, who):
    assert put_policy(approvals, who, {"director_threshold": "1"}).status_code == 403


def test_a_change_applies_only_to_requests_submitted_after_it(approvals):
    submitted_before = utcnow() - timedelta(seconds=1)
    put_policy(approvals, "admin", {"director_threshold": "100.00"})
    before = approvals.submit("zhang.wei", {"PAPER-A4": 10}, submitted_at=submitted_before)
    after = approvals.submit("zhang.wei", {"PAPER-A4": 10})  # 250.00

    approvals.decide("li.na", approvals.task_for("li.na", before)["id"])
    approvals.decide("li.na", approvals.task_for("li.na", after)["id"])

    assert len(approvals.published("approval.approved", before)) == 1
    assert approvals.published("approval.approved", after) == []
    task = approvals.task_for("wang.fang", after)
    assert (task["policy_version"], task["director_threshold"]) == (1, "100.00")


def test_every_version_is_kept_and_listed_newest_first(approvals):
    for amount in ("500.00", "700.00"):
        put_policy(approvals, "admin", {"director_threshold": amount})

    assert approvals.get("admin", "/policy").json["version"] == 2
    listed = approvals.get("zhang.wei", "/policy/versions").json

    assert listed["total"] == 2
    assert [(v["version"], v["director_threshold"], v["set_by"]) for v in listed["items"]] == [
        (2, "700.00", "admin"),
        (1, "500.00", "admin"),
    ]


def test_two_administrators_setting_it_at_the_same_moment_one_is_told_to_read_again(
    approvals, monkeypatch
):
    put_policy(approvals, "admin", {"director_threshold": "500.00"})
    # The second read the policy before the first one's version was committed.
    monkeypatch.setattr(workflow, "current_policy", lambda session: rules.DEFAULT_POLICY)

    refused = put_policy(approvals, "admin", {"director_threshold": "700.00"})

    assert refused.status_code == 409
    assert "changed at the same moment" in refused.json["message"]
    monkeypatch.undo()
    policy = approvals.get("admin", "/policy").json
    assert (policy["version"], policy["director_threshold"]) == (1, "500.00")
