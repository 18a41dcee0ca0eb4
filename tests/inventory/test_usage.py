"""The usage report: what the office handed out, per department and item, and
how long each item's stock lasts at that pace (API, CSV and page)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

import pytest

from procurement_common.auth import COOKIE_NAME
from procurement_common.db import utcnow

TODAY = utcnow().date()
# A 30-day period that ended ten days ago.
SINCE, UNTIL = TODAY - timedelta(days=39), TODAY - timedelta(days=10)
PERIOD = f"since={SINCE}&until={UNTIL}"
FIRST_MOMENT = datetime.combine(SINCE, time.min, UTC)
LAST_MOMENT = datetime.combine(UNTIL, time.max, UTC)
A_MICROSECOND = timedelta(microseconds=1)


@pytest.fixture
def office(add_item, hand_out):
    """Paper and pens handed out to Finance and Sales, some of it outside the period."""
    add_item("PAPER-A4", on_hand=200, unit_cost="25.00", unit="ream")
    add_item("PEN-GEL-BLK", on_hand=60, unit_cost="18.00", unit="box")
    add_item("STAPLER", on_hand=5, unit_cost="30.00")
    hand_out("f-1", {"PAPER-A4": 10, "PEN-GEL-BLK": 2}, FIRST_MOMENT, department_name="Finance")
    hand_out("f-2", {"PAPER-A4": 5}, LAST_MOMENT, department_name="Finance")
    hand_out(
        "s-1",
        {"PAPER-A4": 20},
        FIRST_MOMENT + timedelta(days=3),
        department="SAL",
        department_name="Sales",
    )
    hand_out("before", {"PAPER-A4": 50}, FIRST_MOMENT - A_MICROSECOND)
    hand_out("after", {"PAPER-A4": 7, "PEN-GEL-BLK": 4}, LAST_MOMENT + A_MICROSECOND)


def rows_of(report) -> list[tuple]:
    return [
        (row["department"], row["sku"], row["quantity"], row["requests"], row["value"])
        for row in report["by_department"]
    ]


def test_only_hand_outs_in_the_period_count_per_department_and_item(client, clerk, office):
    response = client.get(f"/api/v1/reports/usage?{PERIOD}", headers=clerk)
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["since"], report["until"], report["days"]) == (str(SINCE), str(UNTIL), 30)
    assert report["department"] is None
    assert rows_of(report) == [
        ("FIN", "PAPER-A4", 15, 2, "375.00"),
        ("FIN", "PEN-GEL-BLK", 2, 1, "36.00"),
        ("SAL", "PAPER-A4", 20, 1, "500.00"),
    ]
    # f-1 handed out two items: it is one request.
    assert report["totals"] == {"quantity": 37, "requests": 3, "value": "911.00"}
    assert [row["department_name"] for row in report["by_department"]] == [
        "Finance",
        "Finance",
        "Sales",
    ]


def test_what_went_out_keeps_the_cost_it_went_out_at(client, clerk, add_item, hand_out):
    add_item("PAPER-A4", on_hand=100, unit_cost="25.00")
    hand_out("before-the-rise", {"PAPER-A4": 10}, FIRST_MOMENT)
    rise = client.patch("/api/v1/items/PAPER-A4", json={"unit_cost": "30.00"}, headers=clerk)
    assert rise.status_code == 200, rise.json
    hand_out("after-the-rise", {"PAPER-A4": 5}, LAST_MOMENT)
    report = client.get(f"/api/v1/reports/usage?{PERIOD}", headers=clerk).json
    (row,) = report["by_department"]
    # 10 at 25.00 and 5 at 30.00: 400.00, or 26.67 a ream on average.
    assert (row["quantity"], row["value"], row["unit_cost"]) == (15, "400.00", "26.67")
    (paper,) = report["by_item"]
    assert (paper["value"], paper["unit_cost"]) == ("400.00", "30.00")
    assert report["totals"]["value"] == "400.00"
    handed = client.get("/api/v1/reservations/after-the-rise", headers=clerk).json
    assert handed["handouts"][0]["lines"] == [
        {"sku": "PAPER-A4", "quantity": 5, "unit_cost": "30.00"}
    ]


def test_a_department_no_approval_named_is_called_by_its_code(client, clerk, add_item, hand_out):
    add_item("PAPER-A4", on_hand=100)
    # An approval recorded before approvals sent the name.
    hand_out("old", {"PAPER-A4": 1}, FIRST_MOMENT, department="HR")
    hand_out("named", {"PAPER-A4": 1}, FIRST_MOMENT, department="FIN", department_name="Finance")
    report = client.get(f"/api/v1/reports/usage?{PERIOD}", headers=clerk).json
    assert [(row["department"], row["department_name"]) for row in report["by_department"]] == [
        ("FIN", "Finance"),
        ("HR", "HR"),
    ]


def test_a_department_is_named_as_its_latest_approval_named_it(client, clerk, add_item, hand_out):
    add_item("PAPER-A4", on_hand=100)
    hand_out("first", {"PAPER-A4": 1}, FIRST_MOMENT, department_name="Finance")
    hand_out("renamed", {"PAPER-A4": 1}, FIRST_MOMENT, department_name="Finance and Accounts")
    hand_out("unnamed", {"PAPER-A4": 1}, FIRST_MOMENT)
    report = client.get(f"/api/v1/reports/usage?{PERIOD}&department=FIN", headers=clerk).json
    assert report["department_name"] == "Finance and Accounts"
    assert report["by_department"][0]["department_name"] == "Finance and Accounts"


def test_each_item_shows_its_pace_and_days_of_cover_fewest_first(client, clerk, office):
    report = client.get(f"/api/v1/reports/usage?{PERIOD}", headers=clerk).json
    assert [
        (
            line["sku"],
            line["quantity"],
            line["per_30_days"],
            line["available"],
            line["days_of_cover"],
        )
        for line in report["by_item"]
    ] == [
        # 200 less the 92 handed out in all, at 35 in 30 days: 92.6 days.
        ("PAPER-A4", 35, 35.0, 108, 92),
        # 60 less the 6 handed out in all, at 2 in 30 days: 810 days.
        ("PEN-GEL-BLK", 2, 2.0, 54, 810),
        ("STAPLER", 0, 0.0, 5, None),
    ]
    assert report["by_item"][0]["value"] == "875.00"


def test_the_default_period_is_the_90_days_ending_today(client, clerk, add_item, hand_out):
    add_item("PAPER-A4", on_hand=100)
    hand_out("today", {"PAPER-A4": 1}, utcnow())
    first_day = datetime.combine(TODAY - timedelta(days=89), time.min, UTC)
    hand_out("first-day", {"PAPER-A4": 2}, first_day)
    hand_out("too-old", {"PAPER-A4": 4}, first_day - A_MICROSECOND)
    report = client.get("/api/v1/reports/usage", headers=clerk).json
    assert (report["since"], report["until"], report["days"]) == (
        str(TODAY - timedelta(days=89)),
        str(TODAY),
        90,
    )
    assert report["totals"]["quantity"] == 3


def test_a_leader_sees_only_her_department(client, auth_header, office):
    for ask in ("", "&department=FIN"):
        report = client.get(f"/api/v1/reports/usage?{PERIOD}{ask}", headers=auth_header("li.na"))
        assert report.status_code == 200
        assert report.json["department"] == "FIN"
        assert {row["department"] for row in report.json["by_department"]} == {"FIN"}
        assert report.json["totals"] == {"quantity": 17, "requests": 2, "value": "411.00"}
        # The items' pace is her department's alone.
        paper = report.json["by_item"][0]
        assert (paper["sku"], paper["quantity"]) == ("PAPER-A4", 15)
    sales = client.get(f"/api/v1/reports/usage?{PERIOD}", headers=auth_header("zhao.lei")).json
    assert rows_of(sales) == [("SAL", "PAPER-A4", 20, 1, "500.00")]
    other = client.get(
        f"/api/v1/reports/usage?{PERIOD}&department=SAL", headers=auth_header("li.na")
    )
    assert other.status_code == 403
    assert "own department" in other.json["message"]


@pytest.mark.parametrize("reader", ["wang.fang", "chen.jie", "admin"])
def test_those_who_see_every_department_may_narrow_it_to_one(client, auth_header, office, reader):
    url = f"/api/v1/reports/usage?{PERIOD}&department=SAL"
    report = client.get(url, headers=auth_header(reader)).json
    assert report["department"] == "SAL"
    assert rows_of(report) == [("SAL", "PAPER-A4", 20, 1, "500.00")]


def test_staff_may_not_read_the_report(client, staff, token_for, app):
    for path in ("/api/v1/reports/usage", "/api/v1/reports/usage.csv"):
        assert client.get(path, headers=staff).status_code == 403
    browser = app.test_client()
    browser.set_cookie(COOKIE_NAME, token_for("zhang.wei"))
    assert browser.get("/reports/usage").status_code == 403
    assert browser.get("/reports/usage.csv").status_code == 403
    assert "Usage report" not in browser.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("since=2024-02-30", "since", "Not a valid date."),
        ("until=yesterday", "until", "Not a valid date."),
        ("since=2024-06-02&until=2024-06-01", "since", "The period starts after it ends."),
        ("since=2024-01-01&until=2025-01-01", "since", "A period is at most 366 days."),
        (f"since={TODAY + timedelta(days=1)}", "since", f"up to today ({TODAY}, UTC)"),
        (f"until={TODAY + timedelta(days=1)}", "until", f"up to today ({TODAY}, UTC)"),
        # Near the calendar's edges, where a default start would not exist.
        ("until=0001-01-05", "until", "A day from 2000-01-01 on."),
        ("until=9999-12-31", "until", "up to today"),
    ],
)
def test_bad_dates_are_a_422_naming_the_field(client, clerk, query, field, message):
    for path in ("/api/v1/reports/usage", "/api/v1/reports/usage.csv"):
        response = client.get(f"{path}?{query}", headers=clerk)
        assert response.status_code == 422
        assert field in response.json["message"]
        assert any(message in text for text in response.json["errors"]["query"][field])


def test_the_csv_has_a_row_per_department_and_item(client, clerk, office):
    response = client.get(f"/api/v1/reports/usage.csv?{PERIOD}", headers=clerk)
    assert response.mimetype == "text/csv"
    assert f'filename="usage-{SINCE}-to-{UNTIL}.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [
        (row["department"], row["sku"], row["quantity"], row["requests"], row["value"])
        for row in rows
    ] == [
        ("FIN", "PAPER-A4", "15", "2", "375.00"),
        ("FIN", "PEN-GEL-BLK", "2", "1", "36.00"),
        ("SAL", "PAPER-A4", "20", "1", "500.00"),
    ]
    assert rows[0]["name"] == "Item PAPER-A4" and rows[0]["unit_cost"] == "25.00"


@pytest.fixture
def browser_for(app, token_for):
    def browser(username):
        client = app.test_client()
        client.set_cookie(COOKIE_NAME, token_for(username))
        return client

    return browser


def test_the_page_shows_the_figures_and_names_the_departments(browser_for, office):
    browser = browser_for("chen.jie")
    assert "/reports/usage" in browser.get("/").get_data(as_text=True)
    response = browser.get(f"/reports/usage?{PERIOD}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "37 handed out for 3 requests" in page and "911.00" in page
    assert "valued at what the goods cost when they went out" in page
    assert page.index("PAPER-A4</a>") < page.index("PEN-GEL-BLK</a>") < page.index("STAPLER</a>")
    assert "92</td>" in page and "none handed out" in page
    assert '<option value="FIN" >Finance</option>' in page
    assert '<option value="SAL" >Sales</option>' in page
    assert "<td>Sales</td>" in page
    csv_link = f"/reports/usage.csv?since={SINCE}&amp;until={UNTIL}"
    assert csv_link in page
    download = browser.get(f"/reports/usage.csv?{PERIOD}")
    assert download.mimetype == "text/csv"
    assert "SAL,Sales,PAPER-A4" in download.get_data(as_text=True)


def test_a_leaders_page_is_her_department_with_no_choice_of_another(browser_for, office):
    browser = browser_for("li.na")
    assert "/reports/usage" in browser.get("/").get_data(as_text=True)
    page = browser.get(f"/reports/usage?{PERIOD}").get_data(as_text=True)
    assert "17 handed out for 2 requests" in page
    assert 'name="department"' not in page
    assert "<td>Sales</td>" not in page and "Finance:" in page
    assert browser.get(f"/reports/usage?{PERIOD}&department=SAL").status_code == 403


def test_bad_dates_on_the_page_are_a_message_next_to_the_field(browser_for, office):
    browser = browser_for("chen.jie")
    response = browser.get("/reports/usage?since=2024-06-02&until=2024-06-01")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="since-error"' in page and "The period starts after it ends." in page
    assert 'value="2024-06-02"' in page
    download = browser.get("/reports/usage.csv?since=not-a-date")
    assert download.status_code == 303
    assert download.location == "/reports/usage?since=not-a-date"
    assert browser.get(download.location).status_code == 422


def test_an_emptied_date_on_the_page_means_its_default(browser_for, office):
    response = browser_for("chen.jie").get("/reports/usage?since=&until=&department=")
    assert response.status_code == 200
    assert f'value="{TODAY}"' in response.get_data(as_text=True)
