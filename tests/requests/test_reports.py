"""The progress report: how long each stage took, and what is still on its way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from procurement_common.db import utcnow
from request_service.models import HistoryEntry


@pytest.fixture
def happened(database):
    """Move each status of a request's history to so many hours ago."""

    def move(request: dict, **hours_ago: float) -> None:
        with database.sessions.begin() as session:
            for status, hours in hours_ago.items():
                session.execute(
                    update(HistoryEntry)
                    .where(HistoryEntry.request_id == request["id"], HistoryEntry.status == status)
                    .values(at=utcnow() - timedelta(hours=hours))
                )

    return move


@pytest.fixture
def report(api):
    def get(username: str, **query):
        return api("get", "/reports/progress", username, query_string=query)

    return get


def stage(answer: dict, name: str) -> dict:
    (row,) = [row for row in answer["stages"] if row["stage"] == name]
    return row


def waiting(answer: dict, status: str) -> dict:
    (row,) = [row for row in answer["waiting"] if row["status"] == status]
    return row


def test_each_stage_of_a_request_that_went_all_the_way_counts(
    submitted, others, api, happened, report
):
    created = submitted()
    others.approve(created)
    others.reserve(created, {"PAPER-A4": 5, "PEN-GEL-BLK": 2})
    others.issue(created, {"PAPER-A4": 5, "PEN-GEL-BLK": 2})
    assert api("post", f"/requests/{created['id']}/receive").status_code == 200
    happened(created, submitted=50, approved=45, reserved=44, issued=20, received=2)

    answer = report("li.na")

    assert answer.status_code == 200
    assert answer.json["department"] == "FIN"
    assert {
        row["stage"]: (row["completed"], row["median_hours"]) for row in answer.json["stages"]
    } == {
        "approval": (1, 5.0),
        "reservation": (1, 1.0),
        "hand_out": (1, 24.0),
        "receipt": (1, 18.0),
        "whole": (1, 30.0),
    }
    assert sum(row["total"] for row in answer.json["waiting"]) == 0


def test_open_requests_are_counted_by_how_long_they_have_waited(
    submitted, others, happened, report
):
    fresh = submitted()
    stale = submitted()
    held_up = submitted()
    others.approve(held_up)
    others.reserve(held_up, {"PAPER-A4": 5}, short={"PEN-GEL-BLK": 2})
    happened(stale, submitted=80)
    happened(held_up, backordered=200)

    answer = report("chen.jie").json

    assert waiting(answer, "submitted") == {
        "status": "submitted",
        "total": 2,
        "under_1_day": 1,
        "1_to_3_days": 0,
        "3_to_7_days": 1,
        "over_7_days": 0,
        "oldest_hours": pytest.approx(80.0, abs=0.1),
    }
    assert waiting(answer, "backordered")["over_7_days"] == 1
    assert fresh["id"] not in (stale["id"], held_up["id"])


def test_a_leader_sees_her_department_and_the_clerk_every_department(submitted, report):
    submitted("zhang.wei")  # Finance
    submitted("liu.yang")  # Sales

    assert waiting(report("li.na").json, "submitted")["total"] == 1
    assert waiting(report("zhao.lei").json, "submitted")["total"] == 1
    everyone = report("chen.jie").json
    assert everyone["department"] is None
    assert waiting(everyone, "submitted")["total"] == 2
    assert waiting(report("wang.fang", department="SAL").json, "submitted")["total"] == 1


def test_a_leader_may_not_see_another_department(report):
    answer = report("li.na", department="SAL")

    assert answer.status_code == 403
    assert "own department" in answer.json["message"]


@pytest.mark.parametrize("username", ["zhang.wei", "admin"])
def test_staff_and_administrators_may_not_see_it(report, username):
    assert report(username).status_code == 403


def test_a_stage_finished_before_the_period_does_not_count(submitted, others, happened, report):
    created = submitted()
    others.approve(created)
    happened(created, submitted=24 * 45, approved=24 * 40)
    today = utcnow().date()

    recent = report("li.na").json
    earlier = report("li.na", since=str(today - timedelta(days=60)), until=str(today)).json

    assert stage(recent, "approval")["completed"] == 0
    assert stage(earlier, "approval") == {
        "stage": "approval",
        "label": "Asked → decided",
        "completed": 1,
        "median_hours": 120.0,
        "p90_hours": 120.0,
    }


def test_a_bad_period_is_a_422_naming_the_field(report):
    answer = report("li.na", since="2026-11-20", until="2026-11-10")

    assert answer.status_code == 422
    assert answer.json["errors"]["query"]["since"] == ["The period starts after it ends."]


def test_the_page_shows_each_stage_and_is_linked_from_the_department_list(
    submitted, others, happened, signed_in
):
    created = submitted()
    others.approve(created)
    happened(created, submitted=7, approved=2)
    leader = signed_in("li.na")

    assert 'href="/reports"' in leader.get("/department").get_data(as_text=True)
    page = leader.get("/reports")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    row = html.split("Asked → decided</th>")[1].split("</tr>")[0]
    assert "5.0 h" in row
    assert "department Finance." in html
    waiting = html.split('<th scope="row">Approved</th>')[1].split("</tr>")[0]
    cells = [cell.split("<")[0] for cell in waiting.split('<td class="num">')[1:]]
    assert cells == ["1", "1", "0", "0", "0", "2.0 h"]


def test_the_page_lets_the_clerk_pick_a_department_and_says_what_is_wrong(signed_in):
    clerk = signed_in("chen.jie")

    assert '<option value="SAL"' in clerk.get("/reports").get_data(as_text=True)
    page = clerk.get("/reports?since=2020-01-01&until=2026-01-01")
    assert page.status_code == 422
    assert "since: A period is at most 366 days." in page.get_data(as_text=True)
    assert 'name="since" type="date" value="2020-01-01"' in page.get_data(as_text=True)


def test_the_form_shows_the_period_the_page_shows(signed_in):
    today = utcnow().date()

    html = signed_in("li.na").get("/reports").get_data(as_text=True)

    assert f'name="since" type="date" value="{today - timedelta(days=29)}"' in html
    assert f'name="until" type="date" value="{today}"' in html


def test_staff_may_not_open_the_page(signed_in):
    assert signed_in("zhang.wei").get("/reports").status_code == 403
