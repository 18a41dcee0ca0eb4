"""The leader's pages: the inbox, with one-click decisions, delegations, the
turnaround report and the approval policy (set by an administrator).

Forms are read into the same schemas as the JSON bodies, and go through
the same workflow functions.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError

from procurement_common.auth import ADMIN, DIRECTOR, LEADER, current_user, page_auth
from procurement_common.reporting import PeriodQuery
from procurement_common.ui import first_message, save_or_say_why, sign_in_at_requests
from procurement_common.web import db_session

from . import workflow
from .rules import ADMINS, Conflict, Invalid, NotAllowed
from .schemas import DecisionInSchema, DelegationInSchema, PolicySchema
from .workflow import NotFound, Timing

pages = Blueprint("pages", __name__, template_folder="templates")

INBOX_SIZE = 100
REFUSED = (NotAllowed, Conflict, Invalid, NotFound)
# Built once: a schema holds no state between loads.
DECISION_FORM = DecisionInSchema()
DELEGATION_FORM = DelegationInSchema()
POLICY_FORM = PolicySchema()
POLICY_VERSIONS_SHOWN = 50
PERIOD_FORM = PeriodQuery()


pages.record_once(lambda state: sign_in_at_requests(state.app))


@pages.context_processor
def _the_top_rung():
    # A task's approver when any administrator may decide it: no person.
    return {"administrators": ADMINS}


@pages.get("/")
@page_auth(LEADER, DIRECTOR, ADMIN)
def inbox():
    session = db_session()
    user = current_user()
    if workflow.note_leader(session, user):
        session.commit()
    timing = Timing.from_settings(current_app.config["SETTINGS"])
    listing = workflow.inbox(
        user, workflow.active_delegators(session, user.username), timing, status="pending"
    )
    tasks = session.scalars(listing.limit(INBOX_SIZE)).all()
    return render_template(
        "inbox.html",
        tasks=workflow.describe_all(session, tasks, timing),
        limit=INBOX_SIZE,
        names=workflow.approver_names(session),
    )


@pages.post("/tasks/<task_id>/decision")
@page_auth(LEADER, DIRECTOR, ADMIN)
def decide(task_id):
    form = request.form
    body = {
        "decision": form.get("decision", ""),
        "comment": form.get("comment", ""),
        "lines": [
            {"sku": sku, "approved_quantity": quantity}
            for sku, quantity in zip(
                form.getlist("sku"), form.getlist("approved_quantity"), strict=False
            )
        ],
    }
    session = db_session()

    def save():
        task = workflow.decide(session, current_user(), task_id, DECISION_FORM.load(body))
        session.commit()
        return task

    if task := save_or_say_why(save, *REFUSED):
        flash(f"Request from {task.approval.requester_name}: {task.status}.", "success")
    return redirect(url_for("pages.inbox"), code=303)


@pages.get("/delegations")
@page_auth(LEADER, DIRECTOR, ADMIN)
def delegations():
    session = db_session()
    user = current_user()
    delegations = session.scalars(workflow.delegations_of(user).limit(100)).all()
    return render_template(
        "delegations.html",
        delegations=delegations,
        endable=workflow.endable(user, delegations),
        leaders=[
            leader
            for leader in session.execute(workflow.possible_delegates())
            if leader.username != user.username
        ],
        names=workflow.approver_names(session),
        today=workflow.today(),
        by_this_service=workflow.SERVICE,
    )


@pages.post("/delegations")
@page_auth(LEADER, DIRECTOR)
def delegate():
    session = db_session()

    def save():
        # The form's only other field is its CSRF token, already checked.
        data = DELEGATION_FORM.load(request.form, unknown=EXCLUDE)
        delegation = workflow.add_delegation(session, current_user(), data)
        session.commit()
        return delegation

    if delegation := save_or_say_why(save, *REFUSED):
        (delegate,) = _called(session, delegation.delegate)
        flash(
            f"{delegate} decides for you from {delegation.starts} to {delegation.ends}.", "success"
        )
    return redirect(url_for("pages.delegations"), code=303)


@pages.post("/delegations/<delegation_id>/end")
@page_auth(LEADER, DIRECTOR, ADMIN)
def end_delegation(delegation_id):
    session = db_session()

    def end():
        delegation = workflow.end_delegation(session, current_user(), delegation_id)
        session.commit()
        return delegation

    # Not NotAllowed: the button is only on delegations she may end, so that
    # is someone else's delegation, not a stale page, and answers 403.
    if delegation := save_or_say_why(end, Conflict, NotFound, said="Not ended"):
        delegate, leader = _called(session, delegation.delegate, delegation.leader)
        flash(f"{delegate} no longer decides for {leader}.", "success")
    return redirect(url_for("pages.delegations"), code=303)


def _called(session, *usernames: str) -> list[str]:
    """The leaders' names, for a message; the username of one we know by no name."""
    names = workflow.approver_names(session)
    return [names.get(username, username) for username in usernames]


@pages.get("/reports")
@page_auth(LEADER, DIRECTOR, ADMIN)
def reports():
    try:
        period = PERIOD_FORM.load(request.args)["period"]
    except ValidationError as error:
        message = first_message(error)
        return render_template("reports.html", error=message, form=request.args), 422
    session = db_session()
    report = workflow.turnaround_report(session, current_user(), period)
    return render_template(
        "reports.html",
        report=workflow.describe_turnaround(report, period),
        form=request.args,
        names=workflow.approver_names(session),
    )


@pages.get("/policy")
@page_auth(LEADER, DIRECTOR, ADMIN)
def policy():
    session = db_session()
    return render_template(
        "policy.html",
        policy=workflow.current_policy(session),
        versions=session.scalars(workflow.policy_versions().limit(POLICY_VERSIONS_SHOWN)).all(),
    )


@pages.post("/policy")
@page_auth(ADMIN)
def set_policy():
    session = db_session()

    def save():
        data = POLICY_FORM.load(request.form, unknown=EXCLUDE)
        policy = workflow.set_policy(session, data["director_threshold"], current_user().username)
        session.commit()
        return policy

    if policy := save_or_say_why(save, Conflict):
        flash(
            f"Requests submitted from now on above {policy.director_threshold} "
            "need the director too.",
            "success",
        )
    return redirect(url_for("pages.policy"), code=303)
