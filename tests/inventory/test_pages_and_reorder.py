"""The clerk's pages and the reorder suggestions."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from procurement_common.auth import COOKIE_NAME
from procurement_common.db import utcnow

from support import account_changed


@pytest.fixture
def browser(app, token_for):
    """A test client signed in as the clerk, the way the requests service signs in browsers."""
    client = app.test_client()
    client.set_cookie(COOKIE_NAME, token_for("chen.jie"))
    return client


def csrf_token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_a_signed_out_visit_is_sent_to_sign_in_at_the_requests_service(client):
    response = client.get("/receive")
    assert response.status_code in (302, 303)
    assert response.location == "/login?next=%2Freceive"
    response = client.get(response.location)
    assert response.status_code in (302, 303)
    target = urlsplit(response.location)
    assert f"{target.scheme}://{target.netloc}" == "http://127.0.0.1:8001"
    assert target.path == "/login"
    assert parse_qs(target.query)["next"] == ["http://127.0.0.1:8002/receive"]


def test_staff_may_see_the_stock_list_but_not_the_clerks_pages(app, token_for, add_item):
    add_item("PAPER-A4", on_hand=200, reorder_level=40)
    client = app.test_client()
    client.set_cookie(COOKIE_NAME, token_for("zhang.wei"))
    assert client.get("/").status_code == 200
    assert client.get("/receive").status_code == 403


def test_the_stock_list_marks_low_items(browser, add_item):
    add_item("PAPER-A4", on_hand=200, reorder_level=40)
    add_item("TONER", on_hand=2, reorder_level=3)
    page = browser.get("/").get_data(as_text=True)
    rows = {row.split("</a>")[0].split(">")[-1]: row for row in page.split("<tr>")[2:]}
    assert "Low" in rows["TONER"]
    assert "Low" not in rows["PAPER-A4"]
    assert "TONER" not in browser.get("/?q=paper").get_data(as_text=True)


def test_an_items_page_shows_its_movements_and_the_changes_to_its_details(
    browser, clerk, client, add_item
):
    add_item("PAPER-A4", on_hand=200, reorder_level=40, unit_cost="25.00")
    client.patch("/api/v1/items/PAPER-A4", json={"reorder_level": 50}, headers=clerk)

    page = browser.get("/items/PAPER-A4").get_data(as_text=True)

    assert "opening stock" in page
    assert "<td>reorder_level: 40 → 50</td><td>chen.jie</td>" in page


def test_goods_are_received_through_the_form(browser, clerk, client, add_item):
    add_item("PAPER-A4", on_hand=10)
    token = csrf_token(browser.get("/receive"))
    response = browser.post(
        "/receive", data={"csrf_token": token, "sku": "PAPER-A4", "quantity": "5", "note": "PO 3"}
    )
    assert response.status_code == 303
    assert client.get("/api/v1/items/PAPER-A4", headers=clerk).json["on_hand"] == 15


def test_the_form_shows_the_same_errors_as_the_api_and_changes_nothing(
    browser, clerk, client, add_item
):
    add_item("PAPER-A4", on_hand=10)
    token = csrf_token(browser.get("/count"))
    response = browser.post(
        "/count",
        data={"csrf_token": token, "sku": "PAPER-A4", "counted_quantity": "3", "reason": ""},
    )
    assert response.status_code == 422
    assert "Say why the count differs." in response.get_data(as_text=True)
    assert client.get("/api/v1/items/PAPER-A4", headers=clerk).json["on_hand"] == 10


def test_a_post_without_the_csrf_token_is_refused(browser, add_item):
    add_item("PAPER-A4", on_hand=10)
    response = browser.post("/receive", data={"sku": "PAPER-A4", "quantity": "5"})
    assert response.status_code == 400


def test_the_hand_out_queue_is_most_pressing_first_with_one_button(
    browser, clerk, client, add_item, deliver, approved
):
    add_item("PAPER-A4", on_hand=100)
    deliver(approved("normal-1", {"PAPER-A4": 1}))
    deliver(approved("urgent-1", {"PAPER-A4": 1}, urgency="urgent"))
    page = browser.get("/handouts").get_data(as_text=True)
    assert page.index("urgent-1") < page.index("normal-1")

    response = browser.post(
        "/handouts",
        data={"csrf_token": csrf_token(browser.get("/handouts")), "request_id": "urgent-1"},
    )
    assert response.status_code == 303
    page = browser.get("/handouts").get_data(as_text=True)
    assert "Handed out 1 PAPER-A4 for request urgent-1." in page
    assert 'value="urgent-1"' not in page and 'value="normal-1"' in page
    reservation = client.get("/api/v1/reservations/urgent-1", headers=clerk).json
    assert reservation["status"] == "issued"


def test_the_hand_out_queue_says_who_asked_and_what_for_and_links_to_the_request(
    browser, clerk, client, add_item, deliver, approved
):
    add_item("PAPER-A4", on_hand=100)
    deliver(
        approved(
            "told-1",
            {"PAPER-A4": 1},
            department_name="Finance",
            requester_name="Zhang Wei",
            purpose="Printing the quarterly report",
        )
    )
    # Approved before approvals sent the requester's name and the purpose.
    deliver(approved("older-1", {"PAPER-A4": 1}))

    page = browser.get("/handouts").get_data(as_text=True)

    requests_page = "http://127.0.0.1:8001/requests"
    assert f'<a href="{requests_page}/told-1">Printing the quarterly report</a>' in page
    assert 'Zhang Wei <span class="muted">Finance</span>' in page
    assert f'<a href="{requests_page}/older-1">older-1</a>' in page
    assert 'zhang.wei <span class="muted">FIN</span>' in page
    reservation = client.get("/api/v1/reservations/told-1", headers=clerk).json
    assert (reservation["requester_name"], reservation["purpose"]) == (
        "Zhang Wei",
        "Printing the quarterly report",
    )

    browser.post(
        "/handouts",
        data={"csrf_token": csrf_token(browser.get("/handouts")), "request_id": "told-1"},
    )
    page = browser.get("/handouts").get_data(as_text=True)
    assert "Handed out 1 PAPER-A4 for “Printing the quarterly report” (Zhang Wei)." in page


def test_reorder_suggestions_count_backorders_and_say_why(
    client, clerk, browser, add_item, deliver, approved
):
    add_item("PAPER-A4", on_hand=200, reorder_level=40, reorder_quantity=100, unit_cost="25.00")
    add_item("TONER", on_hand=4, reorder_level=3, reorder_quantity=6, unit_cost="420.00")
    deliver(approved("r-1", {"TONER": 10}))  # 4 reserved, 6 backordered

    suggestions = client.get("/api/v1/reorder-suggestions", headers=clerk).json
    assert suggestions["total"] == 1
    toner = suggestions["items"][0]
    assert (toner["sku"], toner["available"], toner["backordered"], toner["quantity"]) == (
        "TONER",
        0,
        6,
        10,
    )
    assert toner["cost"] == suggestions["cost"] == "4200.00"
    assert "6 backordered" in toner["reason"]

    response = client.get("/api/v1/reorder-suggestions.csv", headers=clerk)
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(row["sku"], row["quantity"]) for row in rows] == [("TONER", "10")]

    page = browser.get("/reorder").get_data(as_text=True)
    assert "TONER" in page and "PAPER-A4" not in page
    assert browser.get("/reorder.csv").mimetype == "text/csv"


def test_an_items_ledger_page_lists_its_movements(browser, add_item):
    add_item("PAPER-A4", on_hand=10)
    page = browser.get("/items/PAPER-A4").get_data(as_text=True)
    assert "opening stock" in page
    assert browser.get("/items/NO-SUCH").status_code == 404


def test_a_movement_for_a_request_links_to_it_by_what_it_is_for(
    browser, add_item, deliver, approved
):
    add_item("PAPER-A4", on_hand=10)
    deliver(approved("told-1", {"PAPER-A4": 1}, purpose="Printing the quarterly report"))
    # Approved before approvals sent the purpose: named by the start of its id.
    deliver(approved("0123456789abcdef", {"PAPER-A4": 1}))

    page = browser.get("/items/PAPER-A4").get_data(as_text=True)

    requests_page = "http://127.0.0.1:8001/requests"
    assert f'<a href="{requests_page}/told-1">Printing the quarterly report</a>' in page
    assert f'<a href="{requests_page}/0123456789abcdef">01234567</a>' in page


def test_the_ledger_calls_people_by_the_names_requests_announced(
    browser, add_item, deliver, approved
):
    add_item("PAPER-A4", on_hand=10)  # by chen.jie, whose name nobody announced here
    deliver(account_changed("li.na", name="Li Na", roles=["leader", "staff"]))
    deliver(approved("r-1", {"PAPER-A4": 1}))  # approved by li.na

    page = browser.get("/items/PAPER-A4").get_data(as_text=True)

    assert "<td>Li Na</td>" in page
    assert "<td>chen.jie</td>" in page  # the opening stock, and the item's addition


def test_a_new_name_stays_when_an_older_announcement_arrives_after_it(
    browser, add_item, deliver, approved
):
    older = account_changed("li.na", name="Li Na")
    newer = account_changed("li.na", name="Li Na-Zhou")
    add_item("PAPER-A4", on_hand=10)
    deliver(approved("r-1", {"PAPER-A4": 1}))

    deliver(newer)
    deliver(older)
    deliver(account_changed("li.na", active=False))  # one without a name changes none

    page = browser.get("/items/PAPER-A4").get_data(as_text=True)
    assert "<td>Li Na-Zhou</td>" in page


def test_an_item_running_down_at_its_recent_pace_is_suggested_before_it_is_low(
    client, clerk, add_item, hand_out
):
    add_item("PAPER-A4", on_hand=110, reorder_level=40, reorder_quantity=100, unit="ream")
    hand_out("a-month-ago", {"PAPER-A4": 60}, utcnow() - timedelta(days=30))

    (paper,) = client.get("/api/v1/reorder-suggestions", headers=clerk).json["items"]

    # 50 available; at 60 in 90 days, 10 more go out in the 14 days an order takes.
    assert (paper["available"], paper["expected_use"], paper["quantity"]) == (50, 10, 100)
    assert "about 10 more go out in the 14 days an order takes" in paper["reason"]


def test_only_the_last_90_days_set_the_pace(client, clerk, add_item, hand_out):
    add_item("PAPER-A4", on_hand=110, reorder_level=40, reorder_quantity=100)
    hand_out("last-season", {"PAPER-A4": 60}, utcnow() - timedelta(days=91))

    assert client.get("/api/v1/reorder-suggestions", headers=clerk).json["items"] == []


def test_the_lead_time_is_the_offices_to_set(app, client, clerk, add_item, hand_out, monkeypatch):
    add_item("PAPER-A4", on_hand=110, reorder_level=40, reorder_quantity=100)
    hand_out("a-month-ago", {"PAPER-A4": 60}, utcnow() - timedelta(days=30))
    settings = app.config["SETTINGS"]

    def suggested(lead_days: str) -> list[dict]:
        extra = {**settings.extra, "REORDER_LEAD_DAYS": lead_days}
        monkeypatch.setitem(app.config, "SETTINGS", replace(settings, extra=extra))
        return client.get("/api/v1/reorder-suggestions", headers=clerk).json["items"]

    assert suggested("3") == []  # 2 more go out: 48 stay above the level of 40
    (paper,) = suggested("45")
    assert (paper["expected_use"], paper["quantity"]) == (30, 100)
