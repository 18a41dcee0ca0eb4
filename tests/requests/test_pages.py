"""The staff pages: sign-in, my requests, the new-request form, one request."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import pytest

from procurement_common import events as ev
from procurement_common.auth import COOKIE_NAME
from request_service import create_app
from request_service.models import Department, SupplyRequest
from tests.requests.conftest import Visitor, new_request_form


def request_id_of(response) -> str:
    assert response.status_code == 303, response.text
    return response.location.rsplit("/", 1)[-1]


def error_next_to(html: str, field_id: str) -> str:
    """The message shown for a field, found by the id its input points to."""
    assert f'aria-describedby="{field_id}-error"' in html
    return re.search(rf'id="{field_id}-error">([^<]*)<', html)[1]


# -- signing in and out --------------------------------------------------------
@pytest.mark.parametrize("page", ["/", "/requests/new", "/requests/some-id", "/department"])
def test_a_signed_out_visit_is_sent_to_sign_in(client, page):
    response = client.get(page)

    assert response.status_code == 303
    assert response.location.startswith("/login?next=")


def test_signing_in_sets_an_httponly_samesite_cookie_and_goes_on(visitor):
    response = visitor.sign_in("zhang.wei", next_url="/requests/new")

    assert response.status_code == 303
    assert response.location == "/requests/new"
    cookie = SimpleCookie(response.headers["Set-Cookie"])[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert visitor.get("/requests/new").status_code == 200


def test_the_cookie_is_also_secure_in_production(app, config):
    # Production never loads demo people: this app shares the database ``app`` seeded.
    production = create_app({**config, "APP_ENV": "production"})
    person = Visitor(production.test_client())
    person.client.environ_base["wsgi.url_scheme"] = "https"

    response = person.sign_in("zhang.wei")

    cookie = SimpleCookie(response.headers["Set-Cookie"])[COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_the_top_bar_names_the_person_and_her_department(visitor):
    visitor.sign_in("chen.jie")

    page = visitor.get("/").text

    assert "Chen Jie · General Office" in page


def test_the_cookie_holds_the_same_token_the_api_accepts(visitor):
    response = visitor.sign_in("zhang.wei")
    token = SimpleCookie(response.headers["Set-Cookie"])[COOKIE_NAME].value

    me = visitor.client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})

    assert me.json["username"] == "zhang.wei"


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/requests/new?x=1", "/requests/new?x=1"),
        ("http://127.0.0.1:8003/", "http://127.0.0.1:8003/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("/\t/evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("http://127.0.0.1:9999/", "/"),
    ],
)
def test_after_sign_in_only_our_own_pages_are_followed(visitor, asked, goes_to):
    assert visitor.sign_in("zhang.wei", next_url=asked).location == goes_to


def test_a_wrong_password_shows_the_form_again_with_a_message(visitor):
    response = visitor.sign_in("zhang.wei", password="guess")

    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert 'value="zhang.wei"' in response.text
    assert COOKIE_NAME not in response.headers.get("Set-Cookie", "")


def test_an_empty_sign_in_form_says_what_is_missing(visitor):
    response = visitor.post("/login", {"username": "", "password": ""})

    assert response.status_code == 422
    assert error_next_to(response.text, "username")
    assert error_next_to(response.text, "password")


def test_signing_out_clears_the_cookie(signed_in):
    zhang = signed_in("zhang.wei")

    response = zhang.get("/logout")

    assert response.status_code == 303
    assert zhang.get("/").status_code == 303


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"username": "zhang.wei", "password": "demo-pass"}),
        ("/requests/new", new_request_form()),
        ("/logout", {}),
    ],
)
def test_a_form_without_the_csrf_token_is_refused_with_400(signed_in, stored_requests, path, data):
    zhang = signed_in("zhang.wei")

    response = zhang.post(path, data, csrf=False)

    assert response.status_code == 400
    assert "CSRF" in response.text
    assert stored_requests() == 0


def test_cancelling_without_the_csrf_token_changes_nothing(signed_in, submitted, api):
    created = submitted()
    zhang = signed_in("zhang.wei")

    response = zhang.post(f"/requests/{created['id']}/cancel", {"csrf_token": "forged"}, csrf=False)

    assert response.status_code == 400
    assert api("get", f"/requests/{created['id']}").json["status"] == "submitted"


# -- the new-request form --------------------------------------------------------
def test_the_form_offers_catalog_items_with_unit_and_stock_and_the_leaders(signed_in):
    page = signed_in("zhang.wei").get("/requests/new").text

    assert "A4 copy paper · ream · 200 available" in page
    assert "HP 26A toner · piece · 6 available" in page
    assert "Yes, by Li Na (Finance)" in page and "Yes, by Wang Fang (General Office)" in page
    assert "Zhang Wei (" not in page  # staff are not leaders
    for field in ("purpose", "assigned_by", "needed_by", "lines-0-sku", "lines-0-quantity"):
        assert f'<label for="{field}"' in page


def test_adding_a_line_keeps_everything_typed(signed_in, stored_requests):
    form = new_request_form(purpose="Printer paper", urgency="urgent", add_line="1")

    page = signed_in("zhang.wei").post("/requests/new", form).text

    assert 'id="lines-2-sku"' in page and 'id="lines-3-sku"' not in page
    assert '<option value="PEN-GEL-BLK" selected>' in page
    assert 'value="2"' in page and ">Printer paper</textarea>" in page
    assert 'value="urgent" checked' in page
    assert stored_requests() == 0


def test_a_two_line_request_is_submitted_and_shown(signed_in, api):
    zhang = signed_in("zhang.wei")
    form = new_request_form(urgency="urgent", assigned_by="li.na", needed_by="2099-12-31")

    response = zhang.post("/requests/new", form)
    page = zhang.get(response.location).text

    stored = api("get", f"/requests/{request_id_of(response)}").json
    assert [(line["sku"], line["quantity"]) for line in stored["lines"]] == [
        ("PAPER-A4", 5),
        ("PEN-GEL-BLK", 2),
    ]
    assert (stored["urgency"], stored["leader_assigned"], stored["assigned_by"]) == (
        "urgent",
        True,
        "li.na",
    )
    assert "Your request is submitted" in page
    assert 'class="badge badge-submitted"' in page
    assert "A4 copy paper" in page and "Gel pens, black" in page
    assert '<time datetime="2099-12-31">31 Dec 2099</time>' in page


def test_a_form_with_errors_comes_back_as_typed_with_the_message_by_the_field(
    signed_in, stored_requests
):
    form = new_request_form(
        **{"lines-1-quantity": "0"}, purpose="Paper 纸", assigned_by="li.na", needed_by="2099-01-31"
    )

    response = signed_in("zhang.wei").post("/requests/new", form)

    assert response.status_code == 422
    assert error_next_to(response.text, "lines-1-quantity") == "Quantity must be from 1 to 10000."
    assert '<option value="PAPER-A4" selected>' in response.text
    assert 'name="lines-1-quantity" type="number"' in response.text
    assert 'value="0"' in response.text
    assert ">Paper 纸</textarea>" in response.text
    assert '<option value="li.na" selected>' in response.text
    assert 'value="2099-01-31"' in response.text
    assert stored_requests() == 0


YESTERDAY = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
NO_LINES = {"lines-0-sku": "", "lines-0-quantity": "", "lines-1-sku": "", "lines-1-quantity": ""}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (NO_LINES, "lines", "Ask for 1 to 50 items"),
        ({"lines-0-quantity": "100000"}, "lines-0-quantity", "from 1 to 10000"),
        ({"lines-0-quantity": ""}, "lines-0-quantity", "whole number"),
        ({"lines-0-sku": "NOT-IN-CATALOG"}, "lines-0-sku", "Unknown item"),
        ({"lines-0-sku": ""}, "lines-0-sku", "Choose an item"),
        ({"needed_by": YESTERDAY}, "needed_by", "cannot be in the past"),
        ({"purpose": ""}, "purpose", "Say what it is for"),
        ({"purpose": "长" * 1001}, "purpose", "up to 1000 characters"),
        ({"purpose": "Paper\x1b[31m"}, "purpose", "control character (found U+001B)"),
        ({"assigned_by": "liu.yang"}, "assigned_by", "is not a leader"),
    ],
)
def test_bad_input_gets_a_message_and_stores_nothing(
    signed_in, stored_requests, changes, field, message
):
    response = signed_in("zhang.wei").post("/requests/new", new_request_form(**changes))

    assert response.status_code == 422
    assert message in error_next_to(response.text, field)
    assert stored_requests() == 0


def test_empty_rows_are_ignored_and_rows_renumbered_for_the_messages(signed_in, api):
    form = {
        **new_request_form(),
        "lines-0-sku": "",
        "lines-0-quantity": "",
        "lines-1-quantity": "3",
    }

    response = signed_in("zhang.wei").post("/requests/new", form)

    stored = api("get", f"/requests/{request_id_of(response)}").json
    assert [(line["sku"], line["quantity"]) for line in stored["lines"]] == [("PEN-GEL-BLK", 3)]


def test_a_double_submitted_form_makes_one_request(signed_in, stored_requests):
    zhang = signed_in("zhang.wei")
    form = new_request_form(idempotency_key="form-1234")

    first = zhang.post("/requests/new", form)
    second = zhang.post("/requests/new", form)

    assert first.location == second.location
    assert stored_requests() == 1


def test_script_in_the_purpose_is_shown_as_text(signed_in):
    zhang = signed_in("zhang.wei")
    purpose = '<script>alert("x")</script>'

    shown = zhang.get(zhang.post("/requests/new", new_request_form(purpose=purpose)).location)
    listed = zhang.get("/")

    for page in (shown.text, listed.text):
        assert "<script>" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_chinese_text_round_trips_through_the_form(signed_in, api):
    zhang = signed_in("zhang.wei")

    response = zhang.post("/requests/new", new_request_form(purpose="财务部打印季度报告"))

    assert "财务部打印季度报告" in zhang.get(response.location).text
    assert (
        api("get", f"/requests/{request_id_of(response)}").json["purpose"] == "财务部打印季度报告"
    )


# -- one request ------------------------------------------------------------------
def test_the_request_page_shows_the_timeline_with_names_and_comments(signed_in, submitted, others):
    created = submitted(leader_assigned=True)
    others.approve(created, cut={"PAPER-A4": 3}, comment="Three reams is plenty")
    others.reserve(created, {"PAPER-A4": 3, "PEN-GEL-BLK": 2})

    page = signed_in("zhang.wei").get(f"/requests/{created['id']}").text

    assert 'class="badge badge-reserved"' in page
    timeline = page[page.index('class="timeline"') :]
    assert timeline.index("Zhang Wei") < timeline.index("Li Na") < timeline.index("Stock room")
    assert "Approved with cuts: PAPER-A4 5→3: Three reams is plenty" in timeline
    assert timeline.count("<time datetime=") == 3
    assert "Cancel request" not in page  # approved: too late to cancel


def test_the_request_page_says_whom_it_waits_for_by_name_or_as_any_administrator(
    signed_in, submitted, others
):
    created = submitted("wang.fang")  # the director's own: no one ranks above her
    asked = {"request_id": created["id"], "round": 1, "task_id": "t1", "level": 1}

    others.send(ev.APPROVAL_REQUESTED, {**asked, "approver": ev.ADMINISTRATORS}, "approvals")
    page = signed_in("wang.fang").get(f"/requests/{created['id']}").text
    assert "<dt>Waiting for</dt><dd>any administrator</dd>" in page
    assert "Waiting for any administrator (approval level 1)" in page

    mine = submitted("zhang.wei")
    others.send(
        ev.APPROVAL_REQUESTED, {**asked, "request_id": mine["id"], "approver": "li.na"}, "approvals"
    )
    page = signed_in("zhang.wei").get(f"/requests/{mine['id']}").text
    assert "<dt>Waiting for</dt><dd>Li Na</dd>" in page
    assert "Waiting for Li Na (approval level 1)" in page


def test_the_request_page_names_the_requesters_department_as_it_is_called_now(
    signed_in, submitted, database
):
    created = submitted("zhang.wei")
    assert "Zhang Wei · Finance</dd>" in signed_in("li.na").get(f"/requests/{created['id']}").text

    with database.sessions.begin() as session:
        session.get(Department, "FIN").name = "Finance and Accounts"

    page = signed_in("chen.jie").get(f"/requests/{created['id']}").text
    assert "Zhang Wei · Finance and Accounts</dd>" in page


def test_a_department_unknown_here_is_shown_by_its_code(signed_in, submitted, database):
    created = submitted("zhang.wei")
    with database.sessions.begin() as session:
        session.get(SupplyRequest, created["id"]).department = "LEGAL"

    page = signed_in("chen.jie").get(f"/requests/{created['id']}").text

    assert "Zhang Wei · LEGAL</dd>" in page


@pytest.mark.parametrize("viewer", ["zhang.wei", "li.na", "chen.jie", "wang.fang"])
def test_the_requester_their_leader_the_clerk_and_the_director_may_see_it(
    signed_in, submitted, viewer
):
    created = submitted("zhang.wei")

    assert signed_in(viewer).get(f"/requests/{created['id']}").status_code == 200


@pytest.mark.parametrize("viewer", ["liu.yang", "zhao.lei"])
def test_other_people_may_not_see_it(signed_in, submitted, viewer):
    created = submitted("zhang.wei")

    response = signed_in(viewer).get(f"/requests/{created['id']}")

    assert response.status_code == 403
    assert "belongs to someone else" in response.text


def test_an_unknown_request_is_a_404_page(signed_in):
    assert signed_in("zhang.wei").get("/requests/nothing-here").status_code == 404


def test_only_the_requester_gets_the_action_buttons(signed_in, submitted):
    created = submitted("zhang.wei")

    assert "Cancel request" in signed_in("zhang.wei").get(f"/requests/{created['id']}").text
    assert "Cancel request" not in signed_in("li.na").get(f"/requests/{created['id']}").text


def test_the_requester_cancels_with_a_reason(signed_in, submitted, api):
    created = submitted()
    zhang = signed_in("zhang.wei")

    response = zhang.post(f"/requests/{created['id']}/cancel", {"note": "Found some in a drawer"})
    page = zhang.get(response.location).text

    assert api("get", f"/requests/{created['id']}").json["status"] == "cancelled"
    assert "Your request is cancelled." in page
    assert "Found some in a drawer" in page


def test_cancelling_too_late_says_why_and_changes_nothing(signed_in, submitted, others, api):
    created = submitted()
    others.approve(created)
    zhang = signed_in("zhang.wei")

    page = zhang.get(zhang.post(f"/requests/{created['id']}/cancel", {}).location).text

    assert "can no longer be cancelled" in page
    assert api("get", f"/requests/{created['id']}").json["status"] == "approved"


def test_the_requester_confirms_receipt_of_an_issued_request(signed_in, submitted, others, api):
    created = submitted()
    others.approve(created)
    others.reserve(created, {"PAPER-A4": 5, "PEN-GEL-BLK": 2})
    others.issue(created, {"PAPER-A4": 5, "PEN-GEL-BLK": 2})
    zhang = signed_in("zhang.wei")
    assert "Confirm receipt" in zhang.get(f"/requests/{created['id']}").text

    page = zhang.get(zhang.post(f"/requests/{created['id']}/receive", {}).location).text

    assert 'class="badge badge-received"' in page
    assert api("get", f"/requests/{created['id']}").json["status"] == "received"


def test_a_returned_request_is_edited_and_resubmitted_from_its_page(
    signed_in, submitted, others, api
):
    created = submitted(purpose="Paper for the audit")
    others.close(created, ev.APPROVAL_RETURNED, "Please ask for fewer reams")
    zhang = signed_in("zhang.wei")
    shown = zhang.get(f"/requests/{created['id']}").text
    assert "Please ask for fewer reams" in shown and "Edit and resubmit" in shown

    form = zhang.get(f"/requests/{created['id']}/edit").text
    assert ">Paper for the audit</textarea>" in form
    assert '<option value="PEN-GEL-BLK" selected>' in form

    response = zhang.post(
        f"/requests/{created['id']}/edit",
        new_request_form(**{"lines-0-quantity": "2"}, purpose="Paper for the audit"),
    )

    assert response.status_code == 303
    stored = api("get", f"/requests/{created['id']}").json
    assert (stored["status"], stored["round"], stored["lines"][0]["quantity"]) == (
        "submitted",
        2,
        2,
    )


def test_a_request_that_was_not_returned_cannot_be_edited(signed_in, submitted):
    created = submitted()
    zhang = signed_in("zhang.wei")

    response = zhang.get(f"/requests/{created['id']}/edit")

    assert response.status_code == 303
    assert "Only a returned request can be edited" in zhang.get(response.location).text


# -- lists -------------------------------------------------------------------------
def test_my_requests_lists_mine_with_status_badges_and_filters(signed_in, submitted, api):
    kept = submitted(purpose="Kept request")
    dropped = submitted(purpose="Dropped request")
    submitted("liu.yang", purpose="Sales request")
    api("post", f"/requests/{dropped['id']}/cancel")
    zhang = signed_in("zhang.wei")

    everything = zhang.get("/").text
    cancelled = zhang.get("/?status=cancelled").text

    assert "Kept request" in everything and "Dropped request" in everything
    assert "Sales request" not in everything
    assert 'class="badge badge-cancelled"' in everything
    assert "Dropped request" in cancelled and "Kept request" not in cancelled
    assert f'href="/requests/{kept["id"]}"' in everything


def test_my_requests_pages_through_long_lists_keeping_the_filter(signed_in, submitted):
    for n in range(3):
        submitted(purpose=f"Request number {n}")
    zhang = signed_in("zhang.wei")

    first = zhang.get("/?per_page=2&status=submitted").text
    second = zhang.get("/?per_page=2&status=submitted&page=2").text

    assert "Page 1 of 2" in first
    assert re.search(r'rel="next" href="/\?[^"]*page=2', first)
    assert "status=submitted" in re.search(r'rel="next" href="([^"]*)"', first)[1]
    assert "Request number 0" in second and "Request number 2" not in second


def test_a_leader_sees_her_department_and_a_clerk_chooses_one(signed_in, submitted):
    submitted("zhang.wei", purpose="Finance paper")
    submitted("liu.yang", purpose="Sales pens")

    leader = signed_in("li.na").get("/department").text
    clerk = signed_in("chen.jie").get("/department?department=SAL").text

    assert "Finance paper" in leader and "Sales pens" not in leader
    assert "Zhang Wei" in leader  # the requester column
    assert "Sales pens" in clerk and "Finance paper" not in clerk
    assert '<option value="SAL" selected>' in clerk


def test_staff_have_no_department_view_and_leaders_see_no_other_department(signed_in):
    assert signed_in("zhang.wei").get("/department").status_code == 403
    assert signed_in("li.na").get("/department?department=SAL").status_code == 403


def test_dates_follow_the_readers_language(signed_in):
    zhang = signed_in("zhang.wei")
    response = zhang.post("/requests/new", new_request_form(needed_by="2099-03-05"))

    english = zhang.get(response.location, headers={"Accept-Language": "en-GB"}).text
    chinese = zhang.get(response.location, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text

    assert '<time datetime="2099-03-05">5 Mar 2099</time>' in english
    assert '<time datetime="2099-03-05">2099年3月5日</time>' in chinese
