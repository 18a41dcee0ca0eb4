"""Server-rendered pages for staff (sign-in, my requests, new request, one request,
standing orders), and the progress report for leaders, the clerk and the director.

The pages call the same actions and load the same schemas as the JSON API;
they only turn forms into input and results into HTML. Every form that
changes something carries a CSRF token (checked by Flask-WTF for any POST).
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError
from sqlalchemy import select

from procurement_common.auth import COOKIE_NAME, current_user, page_auth
from procurement_common.db import utcnow
from procurement_common.pagination import paginate
from procurement_common.ui import first_message, save_or_say_why
from procurement_common.web import db_session

from . import actions
from .accounts import SignInRefused, sign_in
from .domain import RuleBroken, Status, allowed_actions, can_edit
from .forms import RequestForm
from .models import CatalogItem, User
from .people import NOT_PEOPLE
from .schemas import (
    NoteSchema,
    ProgressQuerySchema,
    RepeatInSchema,
    RequestInSchema,
    RequestQuerySchema,
    TokenInSchema,
)

pages = Blueprint("pages", __name__, template_folder="templates")
PROGRESS_FORM = ProgressQuerySchema()
REPEAT_FORM = RepeatInSchema()


def _settings():
    return current_app.config["SETTINGS"]


def _fields(schema_class, form) -> dict:
    """The form's values for the schema's fields (the CSRF token and the like left out)."""
    return {name: form[name] for name in schema_class().fields if name in form}


# -- signing in and out ------------------------------------------------------
def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path here, or a page of one of our services.

    Anything else (another site, ``//host``, a backslash or control character
    that browsers read as a slash) goes to the start page instead.
    """
    if not target or any(ch == "\\" or ord(ch) < 0x21 for ch in target):
        return "/"
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    ours = {urlsplit(url)[:2] for url in _settings().service_urls.values()}
    return target if (parts.scheme, parts.netloc) in ours else "/"


@pages.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("requests/login.html", next_url=next_url, username="", errors={})
    username = request.form.get("username", "")
    try:
        credentials = TokenInSchema().load(_fields(TokenInSchema, request.form))
    except ValidationError as invalid:
        return render_template(
            "requests/login.html", next_url=next_url, username=username, errors=invalid.messages
        ), 422
    try:
        token = sign_in(db_session(), credentials["username"], credentials["password"], _settings())
    except SignInRefused as refused:
        return render_template(
            "requests/login.html",
            next_url=next_url,
            username=username,
            errors={},
            refused=str(refused),
        ), 401
    return keep_signed_in(redirect(next_url, code=303), token)


def keep_signed_in(response: Response, token: str) -> Response:
    """Give the browser ``token`` as its session, for every service's pages."""
    settings = _settings()
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=settings.token_ttl_seconds,
        httponly=True,
        samesite="Lax",
        secure=settings.production,
    )
    return response


@pages.route("/logout", methods=["GET", "POST"])
def logout():
    settings = _settings()
    response = redirect(url_for("pages.login"), code=303)
    response.delete_cookie(COOKIE_NAME, httponly=True, samesite="Lax", secure=settings.production)
    flash("You are signed out.")
    return response


# -- lists -----------------------------------------------------------------
def _list_query() -> dict:
    # An empty filter ("any status") is left out rather than refused.
    return RequestQuerySchema().load({k: v for k, v in request.args.items() if v})


def _list_page(heading: str, query: dict, department: str | None, **context):
    user = current_user()
    listing = actions.listing(user, department, query.get("status"))
    page = paginate(db_session(), listing, query["page"], query["per_page"])
    return render_template(
        "requests/list.html",
        heading=heading,
        page=page,
        pages=max(1, math.ceil(page["total"] / page["per_page"])),
        status=query.get("status", ""),
        statuses=list(Status),
        department=department,
        may_list_departments=actions.may_list_departments(user),
        **context,
    )


@pages.get("/")
@page_auth()
def my_requests():
    return _list_page("My requests", _list_query(), None)


@pages.get("/department")
@page_auth("leader", "clerk", "director")
def department_requests():
    user = current_user()
    query = _list_query()
    department = query.get("department", user.department)
    # Leaders see their own department; clerks and the director may pick any.
    choices = actions.departments(db_session()) if user.has_any("clerk", "director") else []
    return _list_page("Department requests", query, department, departments=choices)


@pages.get("/reports")
@page_auth("leader", "clerk", "director")
def progress_report():
    user = current_user()
    session = db_session()
    choices = actions.departments(session) if user.has_any("clerk", "director") else []
    try:
        query = PROGRESS_FORM.load(request.args)
    except ValidationError as error:
        return render_template(
            "requests/progress.html",
            error=first_message(error),
            form=request.args,
            departments=choices,
        ), 422
    report = actions.describe_progress(session, user, query)
    department = report["department"]
    return render_template(
        "requests/progress.html",
        report=report,
        department_name=actions.department_name(session, department) if department else None,
        form=request.args,
        departments=choices,
    )


# -- asking, and editing what was returned -----------------------------------
def _form_page(heading: str, form: RequestForm, status: int = 200, **context):
    session = db_session()
    catalog = session.scalars(
        select(CatalogItem).where(CatalogItem.active.is_(True)).order_by(CatalogItem.name)
    ).all()
    return render_template(
        "requests/form.html",
        heading=heading,
        form=form,
        catalog=catalog,
        leaders=actions.leaders(session),
        **context,
    ), status


def _submit_form(heading: str, save, **context):
    """Add a row, or validate and save; a form with errors comes back as typed.

    ``save(data, form)`` stores the loaded input and returns the request.
    """
    form = RequestForm.posted(request.form)
    if "add_line" in request.form:
        form.add_row()
        return _form_page(heading, form, **context)
    try:
        saved = save(RequestInSchema().load(form.data()), form)
    except ValidationError as invalid:
        db_session().rollback()
        form.show_errors(invalid.normalized_messages())
        return _form_page(heading, form, status=422, **context)
    return redirect(url_for("pages.show_request", request_id=saved.id), code=303)


@pages.route("/requests/new", methods=["GET", "POST"])
@page_auth()
def new_request():
    heading = "New request"
    if request.method == "GET":
        return _form_page(heading, RequestForm.blank())

    def save(data, form):
        created = actions.submit_once(db_session(), current_user(), data, form.idempotency_key)
        flash("Your request is submitted for approval.")
        return created

    return _submit_form(heading, save)


@pages.route("/requests/<request_id>/edit", methods=["GET", "POST"])
@page_auth()
def edit_request(request_id):
    session = db_session()
    supply_request = actions.get_own(session, current_user(), request_id)
    if not can_edit(Status(supply_request.status)):
        flash(
            f"Only a returned request can be edited; this one is {supply_request.status}.", "error"
        )
        return redirect(url_for("pages.show_request", request_id=request_id), code=303)
    heading = "Edit and resubmit"
    if request.method == "GET":
        return _form_page(heading, RequestForm.of(supply_request), editing=supply_request)

    def save(data, _form):
        changed = actions.resubmit_request(session, current_user(), request_id, data)
        session.commit()
        flash("Your request is resubmitted for approval.")
        return changed

    return _submit_form(heading, save, editing=supply_request)


# -- one request -------------------------------------------------------------
def _names(session, usernames: set[str | None]) -> dict[str, str]:
    """Display names for the usernames in a request's record."""
    wanted = {name for name in usernames if name}
    people = session.execute(select(User.username, User.name).where(User.username.in_(wanted)))
    return {**NOT_PEOPLE, **dict(people.all())}


@pages.get("/requests/<request_id>")
@page_auth()
def show_request(request_id):
    session = db_session()
    user = current_user()
    supply_request = actions.get_visible(session, user, request_id)
    history = supply_request.history
    names = _names(
        session,
        {entry.by for entry in history}
        | {entry.acting_for for entry in history}
        | {supply_request.assigned_by, supply_request.pending_approver},
    )
    mine = supply_request.requester == user.username
    return render_template(
        "requests/detail.html",
        r=supply_request,
        department_name=actions.department_name(session, supply_request.department),
        names=names,
        mine=mine,
        actions=allowed_actions(Status(supply_request.status)) if mine else [],
        today=utcnow().date(),
    )


def _act(request_id: str, action, done: str):
    """Run a cancel or receive action from its form; a refusal is shown, not raised."""
    session = db_session()
    try:
        note = NoteSchema().load(_fields(NoteSchema, request.form))["note"] or None
        action(session, current_user(), request_id, note)
        session.commit()
        flash(done)
    except ValidationError as invalid:
        flash(" ".join(invalid.normalized_messages()["note"]), "error")
    except RuleBroken as refused:
        flash(str(refused), "error")
    return redirect(url_for("pages.show_request", request_id=request_id), code=303)


@pages.post("/requests/<request_id>/cancel")
@page_auth()
def cancel(request_id):
    return _act(request_id, actions.cancel_request, "Your request is cancelled.")


@pages.post("/requests/<request_id>/receive")
@page_auth()
def receive(request_id):
    return _act(request_id, actions.confirm_receipt, "Thank you: receipt confirmed.")


# -- standing orders -----------------------------------------------------------
@pages.post("/requests/<request_id>/repeat")
@page_auth()
def repeat(request_id):
    session = db_session()
    actions.get_own(session, current_user(), request_id)  # a stranger's is a 403, form or not

    def save():
        data = REPEAT_FORM.load(_fields(RepeatInSchema, request.form))
        order = actions.repeat_request(session, current_user(), request_id, data)
        session.commit()
        return order

    if (order := save_or_say_why(save)) is None:
        return redirect(url_for("pages.show_request", request_id=request_id), code=303)
    flash(f"Standing order made: every {order.every}, first on {order.next_on}.")
    return redirect(url_for("pages.standing_orders"), code=303)


@pages.get("/standing-orders")
@page_auth()
def standing_orders():
    session = db_session()
    orders = session.scalars(actions.standing_orders_of(current_user()).limit(100)).all()
    return render_template("requests/standing_orders.html", orders=orders)


@pages.post("/standing-orders/<order_id>/stop")
@page_auth()
def stop_standing_order(order_id):
    session = db_session()
    order = actions.stop_standing_order(session, current_user(), order_id)
    session.commit()
    flash(f"Standing order stopped: nothing more is asked for every {order.every}.")
    return redirect(url_for("pages.standing_orders"), code=303)
