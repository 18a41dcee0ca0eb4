"""The leader's pages: sign-in redirect, the inbox, decisions by form, delegation."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_signed_out_visit_goes_to_the_requests_sign_in_and_back(approvals):
    first = approvals.client.get("/")
    assert first.status_code in (302, 303)
    assert urlparse(first.location).path == "/login"

    second = approvals.client.get("/login?next=/")
    assert second.status_code in (302, 303)
    target = urlparse(second.location)
    assert f"{target.scheme}://{target.netloc}" == approvals.settings.service_urls["requests"]
    assert target.path == "/login"
    # Back to this service's configured address, which sign-in trusts as a destination.
    assert parse_qs(target.query)["next"] == [approvals.settings.service_urls["approvals"] + "/"]


def test_staff_may_not_open_the_inbox(approvals, browser):
    assert browser("zhang.wei").get("/").status_code == 403


def test_the_inbox_shows_the_request_and_approves_in_one_click(approvals, browser):
    request_id = approvals.submit("zhang.wei", {"PAPER-A4": 10})
    task = approvals.task_for("li.na", request_id)
    leader = browser("li.na")

    page = leader.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Zhang Wei" in html and "Finance" in html and "PAPER-A4" in html and "250.00" in html

    response = leader.post(
        f"/tasks/{task['id']}/decision",
        data={
            "csrf_token": csrf_token(html),
            "decision": "approve",
            "sku": "PAPER-A4",
            "approved_quantity": "7",
        },
    )

    assert response.status_code == 303
    (approved,) = approvals.published("approval.approved", request_id)
    assert approved["data"]["lines"][0]["approved_quantity"] == 7
    assert "Nothing is waiting" in leader.get("/").get_data(as_text=True)


def test_a_rejection_by_form_needs_a_reason(approvals, browser):
    request_id = approvals.submit("zhang.wei")
    task = approvals.task_for("li.na", request_id)
    leader = browser("li.na")
    token = csrf_token(leader.get("/").get_data(as_text=True))

    refused = leader.post(
        f"/tasks/{task['id']}/decision", data={"csrf_token": token, "decision": "reject"}
    )
    assert refused.status_code == 303
    assert "needs a comment" in leader.get("/").get_data(as_text=True)
    assert approvals.published("approval.rejected") == []

    leader.post(
        f"/tasks/{task['id']}/decision",
        data={"csrf_token": token, "decision": "reject", "comment": "Not now"},
    )
    assert len(approvals.published("approval.rejected", request_id)) == 1


def test_a_form_without_a_csrf_token_is_refused(approvals, browser):
    request_id = approvals.submit("zhang.wei")
    task = approvals.task_for("li.na", request_id)

    response = browser("li.na").post(f"/tasks/{task['id']}/decision", data={"decision": "approve"})

    assert response.status_code == 400
    assert approvals.published("approval.approved") == []


def test_a_leader_delegates_from_the_delegation_page(approvals, browser, today, days):
    approvals.seed()
    leader = browser("li.na")
    page = leader.get("/delegations").get_data(as_text=True)
    assert "zhao.lei" in page

    leader.post(
        "/delegations",
        data={
            "csrf_token": csrf_token(page),
            "delegate": "zhao.lei",
            "starts": str(today),
            "ends": str(today + days(2)),
        },
    )

    assert approvals.get("li.na", "/delegations").json["total"] == 1
    backwards = leader.post(
        "/delegations",
        data={
            "csrf_token": csrf_token(page),
            "delegate": "zhao.lei",
            "starts": str(today + days(9)),
            "ends": str(today + days(8)),
        },
        follow_redirects=True,
    )
    assert "ends before it starts" in backwards.get_data(as_text=True)


def test_a_leader_ends_her_delegation_with_its_button(approvals, browser, today, days):
    approvals.seed()
    given = approvals.delegate("li.na", "zhao.lei", today, today + days(2)).json
    leader = browser("li.na")
    page = leader.get("/delegations").get_data(as_text=True)
    assert f"/delegations/{given['id']}/end" in page
    assert f"/delegations/{given['id']}/end" not in browser("zhao.lei").get("/delegations").text

    after = leader.post(
        f"/delegations/{given['id']}/end",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)

    assert "Zhao Lei no longer decides for Li Na." in after
    assert f"ended {today} by Li Na" in after
    assert approvals.get("li.na", "/delegations").json["items"][0]["ended_by"] == "li.na"


def test_an_administrator_sets_the_threshold_on_the_policy_page(approvals, browser):
    approvals.seed()
    admin = browser("admin")
    page = admin.get("/policy").get_data(as_text=True)
    assert "1000.00" in page and 'name="director_threshold"' in page

    after = admin.post(
        "/policy",
        data={"csrf_token": csrf_token(page), "director_threshold": "800.00"},
        follow_redirects=True,
    ).get_data(as_text=True)

    assert "above 800.00 need the director too" in after
    assert approvals.get("zhang.wei", "/policy").json["director_threshold"] == "800.00"
    assert [
        v["director_threshold"] for v in approvals.get("admin", "/policy/versions").json["items"]
    ] == [
        "800.00",
        "1000.00",
    ]


def test_a_bad_threshold_on_the_policy_page_says_why_and_changes_nothing(approvals, browser):
    admin = browser("admin")
    page = admin.get("/policy").get_data(as_text=True)

    after = admin.post(
        "/policy",
        data={"csrf_token": csrf_token(page), "director_threshold": "-5"},
        follow_redirects=True,
    ).get_data(as_text=True)

    assert "Not saved: director_threshold: The threshold is an amount" in after
    assert approvals.get("admin", "/policy").json["version"] == 0


def test_a_leader_reads_the_policy_page_but_only_an_administrator_sets_it(approvals, browser):
    leader = browser("li.na")
    page = leader.get("/policy")
    assert page.status_code == 200
    assert 'name="director_threshold"' not in page.get_data(as_text=True)

    refused = leader.post(
        "/policy",
        # Her session's token, from a page with a form for her.
        data={"csrf_token": csrf_token(leader.get("/delegations").text), "director_threshold": "1"},
    )
    assert refused.status_code == 403
    assert approvals.get("admin", "/policy").json["version"] == 0
