"""Reminders and escalation of idle tasks, with the clock moved by the test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from approval_service import jobs, workflow
from approval_service.models import TaskLogEntry
from approval_service.workflow import Timing
from procurement_common.db import utcnow

from support import account_changed

TIMING = Timing(remind_after=timedelta(hours=24), escalate_after=timedelta(hours=72))


@pytest.fixture
def nudge(approvals):
    def run(after: timedelta) -> int:
        with approvals.database.sessions.begin() as session:
            return workflow.nudge_idle_tasks(session, TIMING, now=utcnow() + after)

    return run


def test_a_task_idle_past_the_reminder_time_is_reminded_once(approvals, nudge):
    request_id = approvals.submit("zhang.wei")

    assert nudge(timedelta(hours=23)) == 0
    assert nudge(timedelta(hours=25)) == 1
    assert nudge(timedelta(hours=26)) == 0

    (reminded,) = approvals.published("approval.reminded", request_id)
    assert reminded["data"]["approver"] == "li.na"
    assert reminded["data"]["pending_seconds"] >= 25 * 3600


def test_a_task_idle_past_the_escalation_time_goes_to_the_director(approvals, nudge):
    request_id = approvals.submit("zhang.wei", {"TONER-HP-26A": 3})  # needs the director too
    first = approvals.task_for("li.na", request_id)

    nudge(timedelta(hours=73))

    (escalated,) = approvals.published("approval.escalated", request_id)
    assert escalated["data"]["escalated_to"] == "wang.fang"
    assert escalated["data"]["task_id"] == first["id"]
    assert escalated["data"]["reason"] == "Idle for 73.0 h"
    assert approvals.inbox("li.na") == []
    refused = approvals.decide("li.na", first["id"])
    assert refused.status_code == 409
    assert "escalated" in refused.json["message"]

    task = approvals.task_for("wang.fang", request_id)
    assert (task["level"], task["escalated_from"]) == (1, first["id"])
    assert approvals.decide("wang.fang", task["id"]).status_code == 200
    # She approved as the director already: no second task for her.
    assert approvals.inbox("wang.fang") == []
    assert len(approvals.published("approval.approved", request_id)) == 1


def test_the_directors_idle_task_goes_to_the_administrators(approvals, nudge):
    request_id = approvals.submit("li.na")

    nudge(timedelta(hours=73))

    assert approvals.task_for("admin", request_id)["approver"] == "role:admin"


def test_the_administrators_idle_task_is_reminded_and_stays(approvals, nudge):
    request_id = approvals.submit("wang.fang")

    nudge(timedelta(hours=100))
    nudge(timedelta(hours=200))

    assert len(approvals.published("approval.reminded", request_id)) == 1
    assert approvals.published("approval.escalated", request_id) == []
    assert approvals.task_for("admin", request_id)["status"] == "pending"


def test_overdue_tasks_come_first_in_the_inbox(approvals, overrides, token_for):

    old = approvals.submit("zhang.wei")
    with approvals.database.sessions.begin() as session:
        task = session.get(workflow.Task, approvals.task_for("li.na", old)["id"])
        task.created_at = utcnow() - timedelta(days=2)
    approvals.submit("zhang.wei", urgency="urgent", leader_assigned=True)

    inbox = approvals.inbox("li.na")
    assert inbox[0]["request_id"] == old
    assert inbox[0]["overdue"] is True
    assert inbox[1]["overdue"] is False


def test_the_timed_job_uses_the_configured_times(approvals, overrides):
    request_id = approvals.submit("zhang.wei")
    settings = approvals.app.config["SETTINGS"].__class__.from_env(
        "approvals",
        {
            **overrides,
            "APPROVAL_REMIND_AFTER_SECONDS": "0",
            "APPROVAL_ESCALATE_AFTER_SECONDS": "3600",
            "APPROVAL_JOB_INTERVAL_SECONDS": "0.1",
        },
    )

    (job,) = jobs.timed_jobs(settings, approvals.database)
    job.run()

    assert job.every_seconds == 0.1
    assert len(approvals.published("approval.reminded", request_id)) == 1


def test_nudging_many_idle_tasks_costs_a_fixed_number_of_queries(approvals, nudge):
    for _ in range(12):
        approvals.submit("zhang.wei")
    statements = []

    def listen(_connection, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(approvals.database.engine, "before_cursor_execute", listen)
    try:
        assert nudge(timedelta(hours=25)) == 12
    finally:
        event.remove(approvals.database.engine, "before_cursor_execute", listen)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The idle tasks, their rounds, their logs: not two more for each task.
    assert len(selects) <= 4, selects


def test_the_tasks_of_a_leader_who_left_go_to_the_director_at_once(approvals):
    request_id = approvals.submit("zhang.wei")
    first = approvals.task_for("li.na", request_id)

    assert approvals.deliver(account_changed("li.na", active=False, name="Li Na")) == "applied"

    task = approvals.task_for("wang.fang", request_id)
    assert (task["level"], task["escalated_from"]) == (1, first["id"])
    (escalated,) = approvals.published("approval.escalated", request_id)
    assert escalated["data"]["escalated_to"] == "wang.fang"
    assert escalated["data"]["reason"] == "Li Na no longer works here"
    with approvals.database.sessions() as session:
        notes = session.scalars(
            select(TaskLogEntry.note).where(TaskLogEntry.task_id == first["id"])
        ).all()
    assert "Li Na no longer works here; handed to wang.fang" in notes


def test_a_submission_that_names_a_head_who_has_since_left_goes_to_the_director(approvals):
    # Sent before her change, delivered after it; nothing here had named her yet.
    assert approvals.deliver(account_changed("li.na", active=False)) == "applied"

    request_id = approvals.submit("zhang.wei")

    task = approvals.task_for("wang.fang", request_id)
    assert task["level"] == 1 and task["escalated_from"] is not None
    (escalated,) = approvals.published("approval.escalated", request_id)
    assert (escalated["data"]["approver"], escalated["data"]["escalated_to"]) == (
        "li.na",
        "wang.fang",
    )
    assert escalated["data"]["reason"] == "li.na no longer approves here"
    assert approvals.inbox("li.na") == []


def test_a_submission_to_a_head_who_works_here_stays_with_her(approvals):
    approvals.seed()
    # Someone else left: nothing of hers is in this request's way.
    approvals.deliver(account_changed("zhao.lei", department="SAL", active=False))

    request_id = approvals.submit("zhang.wei")

    assert approvals.task_for("li.na", request_id)["status"] == "pending"
    assert approvals.published("approval.escalated", request_id) == []


def test_a_leader_whose_roles_change_keeps_her_tasks(approvals):
    request_id = approvals.submit("zhang.wei")

    approvals.deliver(account_changed("li.na", roles=["leader", "staff", "clerk"]))

    assert approvals.task_for("li.na", request_id)["status"] == "pending"
    assert approvals.published("approval.escalated", request_id) == []
