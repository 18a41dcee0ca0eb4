"""Approvers are shown by their names, which approvals learns from the
submissions that name them, their account changes and their own sign-in."""

from __future__ import annotations

from datetime import timedelta

from approvals_support import submitted_event

from procurement_common.db import utcnow

from support import account_changed


def delegates_offered(browser, username: str = "li.na") -> str:
    page = browser(username).get("/delegations").get_data(as_text=True)
    return page.split('<select id="delegate"')[1].split("</select>")[0]


def test_the_leaders_a_submission_names_are_offered_by_their_names(approvals, browser):
    approvals.submit("liu.yang")  # Sales: zhao.lei heads it, wang.fang directs

    offered = delegates_offered(browser)

    assert '<option value="zhao.lei">Zhao Lei</option>' in offered
    assert '<option value="wang.fang">Wang Fang</option>' in offered


def test_a_submission_sent_before_names_were_carried_shows_usernames_until_one_names_them(
    approvals, browser
):
    approvals.deliver(submitted_event("liu.yang", with_names=False))
    assert '<option value="zhao.lei">zhao.lei</option>' in delegates_offered(browser)

    approvals.submit("liu.yang")

    assert '<option value="zhao.lei">Zhao Lei</option>' in delegates_offered(browser)


def test_a_renamed_leader_is_shown_by_her_new_name_and_a_late_submission_does_not_undo_it(
    approvals, browser
):
    approvals.submit("liu.yang")
    leads = {"department": "SAL", "roles": ["leader", "staff"]}
    approvals.deliver(account_changed("zhao.lei", name="Zhao Lei-Wang", **leads))
    # Sent before the change, delivered after it, with the name she had then.
    approvals.submit("liu.yang", submitted_at=utcnow() - timedelta(minutes=1))
    # An older change delivered late: ignored, name and all.
    an_hour_ago = utcnow() - timedelta(hours=1)
    approvals.deliver(account_changed("zhao.lei", name="Zhao Lei", changed_at=an_hour_ago, **leads))

    assert '<option value="zhao.lei">Zhao Lei-Wang</option>' in delegates_offered(browser)


def test_a_leader_who_signs_in_is_known_by_the_name_her_token_gives(approvals, browser):
    browser("sun.li", roles=["leader", "staff"], name="Sun Li").get("/")

    assert '<option value="sun.li">Sun Li</option>' in delegates_offered(browser)


def test_the_inbox_names_the_leader_a_delegate_decides_for_and_who_decided_before(
    approvals, browser, today, days
):
    approvals.seed()
    # Above the demo threshold: the department head decides, then the director.
    request_id = approvals.submit("zhang.wei", {"TONER-HP-26A": 3})
    first = approvals.task_for("li.na", request_id)
    assert approvals.decide("li.na", first["id"], comment="Needed").status_code == 200
    assert approvals.delegate("wang.fang", "zhao.lei", today, today + days(1)).status_code == 201

    page = browser("zhao.lei").get("/").get_data(as_text=True)

    assert "as delegate for Wang Fang" in page
    assert "by Li Na" in page


def test_the_delegation_page_and_its_messages_name_both_leaders(approvals, browser, today, days):
    approvals.seed()
    given = approvals.delegate("li.na", "zhao.lei", today, today + days(2)).json

    page = browser("li.na").get("/delegations").get_data(as_text=True)

    assert "<td>Li Na</td><td>Zhao Lei</td>" in page
    assert f"/delegations/{given['id']}/end" in page


def test_an_administrator_sees_the_directors_request_as_one_for_any_administrator(
    approvals, browser
):
    approvals.submit("wang.fang", {"TONER-HP-26A": 5})

    page = browser("admin").get("/").get_data(as_text=True)

    assert "Wang Fang" in page
    assert '<span class="badge">for any administrator</span>' in page
    assert "role:admin" not in page
