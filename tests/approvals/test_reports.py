"""The turnaround report: how fast each approver decided, and what waits, by API and page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from approval_service import workflow
from approval_service.models import DecisionRecord, Task
from approval_service.workflow import Timing
from procurement_common.db import utcnow


@pytest.fixture
def opened_ago(approvals):
    """Move a task's opening back in time, as if it had waited that long."""

    def move(task_id: str, age: timedelta) -> None:
        with approvals.database.sessions.begin() as session:
            session.execute(
                update(Task).where(Task.id == task_id).values(created_at=utcnow() - age)
            )

    return move


def turnaround(approvals, username: str, **period):
    return approvals.get(username, "/reports/turnaround", **period)


def row_of(report: dict, approver: str) -> dict:
    (row,) = [row for row in report["approvers"] if row["approver"] == approver]
    return row


def test_a_decision_counts_with_the_hours_from_the_tasks_opening(approvals, opened_ago):
    task = approvals.task_for("li.na", approvals.submit("zhang.wei"))
    opened_ago(task["id"], timedelta(hours=5))
    assert approvals.decide("li.na", task["id"]).status_code == 200

    response = turnaround(approvals, "li.na")

    assert response.status_code == 200
    li_na = row_of(response.json, "li.na")
    assert (li_na["decided"], li_na["approved"], li_na["by_delegate"]) == (1, 1, 0)
    assert li_na["median_hours"] == pytest.approx(5.0, abs=0.1)
    assert li_na["waiting"]["total"] == 0
    (level,) = response.json["levels"]
    assert (level["level"], level["decided"]) == (1, 1)


def test_what_waits_is_counted_by_age(approvals, opened_ago):
    fresh = approvals.task_for("li.na", approvals.submit("zhang.wei"))
    old = approvals.task_for("li.na", approvals.submit("zhang.wei"))
    opened_ago(old["id"], timedelta(days=4, hours=2))

    li_na = row_of(turnaround(approvals, "li.na").json, "li.na")

    assert li_na["waiting"] == {
        "total": 2,
        "under_1_day": 1,
        "1_to_3_days": 0,
        "3_to_7_days": 1,
        "over_7_days": 0,
        "oldest_hours": pytest.approx(98.0, abs=0.1),
    }
    assert li_na["decided"] == 0 and li_na["median_hours"] is None
    assert fresh["id"] != old["id"]


def test_a_leader_sees_her_own_desk_and_the_director_every_desk(approvals):
    approvals.submit("zhang.wei")  # to li.na
    approvals.submit("liu.yang")  # to zhao.lei

    mine = turnaround(approvals, "li.na").json
    everyone = turnaround(approvals, "wang.fang").json

    assert [row["approver"] for row in mine["approvers"]] == ["li.na"]
    assert [row["approver"] for row in everyone["approvers"]] == ["li.na", "zhao.lei"]
    assert everyone["overall"]["waiting"]["total"] == 2
    assert turnaround(approvals, "admin").json["overall"]["waiting"]["total"] == 2


@pytest.mark.parametrize("username", ["zhang.wei", "chen.jie"])
def test_staff_and_the_clerk_may_not_see_it(approvals, username):
    assert turnaround(approvals, username).status_code == 403


def test_a_delegates_decision_counts_on_the_leaders_desk(approvals, today):
    approvals.seed()  # the demo leaders, known as delegates
    task = approvals.task_for("li.na", approvals.submit("zhang.wei"))
    assert approvals.delegate("li.na", "zhao.lei", today, today).status_code == 201
    assert approvals.decide("zhao.lei", task["id"]).status_code == 200

    everyone = turnaround(approvals, "wang.fang").json

    assert [row["approver"] for row in everyone["approvers"]] == ["li.na"]
    assert row_of(everyone, "li.na")["by_delegate"] == 1


def test_decisions_count_in_the_period_they_were_taken_in(approvals, today):
    task = approvals.task_for("li.na", approvals.submit("zhang.wei"))
    approvals.decide("li.na", task["id"], "reject", comment="Not this quarter")
    with approvals.database.sessions.begin() as session:
        session.execute(
            update(DecisionRecord)
            .where(DecisionRecord.task_id == task["id"])
            .values(at=utcnow() - timedelta(days=40))
        )

    default = turnaround(approvals, "li.na").json
    earlier = turnaround(
        approvals, "li.na", since=str(today - timedelta(days=60)), until=str(today)
    ).json

    assert default["since"] == str(today - timedelta(days=29))
    assert default["until"] == str(today)
    assert default["approvers"] == []
    assert row_of(earlier, "li.na")["rejected"] == 1


def test_a_task_handed_up_counts_against_the_desk_it_left(approvals):
    request_id = approvals.submit("zhang.wei")
    with approvals.database.sessions.begin() as session:
        workflow.nudge_idle_tasks(
            session,
            Timing(remind_after=timedelta(hours=1), escalate_after=timedelta(hours=2)),
            now=utcnow() + timedelta(hours=3),
        )

    everyone = turnaround(approvals, "wang.fang").json

    assert row_of(everyone, "li.na")["escalated"] == 1
    assert row_of(everyone, "wang.fang")["waiting"]["total"] == 1
    assert approvals.task_for("wang.fang", request_id)["escalated_from"]


# fmt: off
BAD_PERIODS = [
    ("a start after the end", {"since": "2026-11-20", "until": "2026-11-10"}, "since", "starts after it ends"),
    ("more than a year", {"since": "2025-01-01", "until": "2026-11-10"}, "since", "at most 366 days"),
    ("a date that is not one", {"since": "2026-02-30"}, "since", "date"),
    ("not a date at all", {"until": "last week"}, "until", "date"),
]
# fmt: on


@pytest.mark.parametrize(("case", "period", "field", "message"), BAD_PERIODS)
def test_a_bad_period_is_a_422_naming_the_field(approvals, case, period, field, message):
    response = turnaround(approvals, "wang.fang", **period)

    assert response.status_code == 422, case
    assert message in " ".join(response.json["errors"]["query"][field]), case


def test_the_page_shows_each_desk_and_is_linked_from_the_inbox(approvals, browser, opened_ago):
    task = approvals.task_for("li.na", approvals.submit("zhang.wei"))
    opened_ago(task["id"], timedelta(hours=5))
    approvals.decide("li.na", task["id"])
    approvals.submit("liu.yang")
    director = browser("wang.fang")

    assert 'href="/reports"' in director.get("/").get_data(as_text=True)
    page = director.get("/reports")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    li_na = html.split('<th scope="row">Li Na</th>')[1].split("</tr>")[0]
    assert "5.0 h" in li_na
    zhao_lei = html.split('<th scope="row">Zhao Lei</th>')[1].split("</tr>")[0]
    cells = [cell.split("<")[0].strip() for cell in zhao_lei.split('<td class="num">')[1:]]
    # Nothing decided; one task waiting, under a day old.
    assert cells[:6] == ["0"] * 6
    assert cells[6:] == ["–", "–", "1", "1", "0", "0", "0", "0.0 h"]
    assert '<th scope="row">Level 1</th>' in html


def test_the_page_says_what_is_wrong_with_a_bad_period(browser):
    page = browser("li.na").get("/reports?since=2026-11-20&until=2026-11-10")

    assert page.status_code == 422
    assert "since: The period starts after it ends." in page.get_data(as_text=True)


def test_a_blank_form_shows_the_default_period(browser, today):
    page = browser("li.na").get("/reports?since=&until=")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"from {today - timedelta(days=29)} to {today}" in html
    # The form says which period that is, ready to be changed.
    assert f'name="since" type="date" value="{today - timedelta(days=29)}"' in html
    assert f'name="until" type="date" value="{today}"' in html


def test_a_refused_period_comes_back_as_typed(browser):
    html = browser("li.na").get("/reports?since=2026-11-20&until=2026-11-10").get_data(as_text=True)

    assert 'name="since" type="date" value="2026-11-20"' in html
    assert 'name="until" type="date" value="2026-11-10"' in html


def test_staff_may_not_open_the_page(browser):
    assert browser("zhang.wei").get("/reports").status_code == 403


def test_the_administrators_desk_is_named_as_such(approvals, browser):
    approvals.submit("wang.fang", {"TONER-HP-26A": 5})  # the director's own: administrators decide

    html = browser("admin").get("/reports").get_data(as_text=True)

    assert '<th scope="row">Administrators</th>' in html
    assert "role:admin" not in html
