"""The administrator's pages: people and departments, and what changed.

Forms are read into the same schemas as the JSON API and go through the
same functions in ``administration``. A refused addition comes back on its
page with what was typed and the reason beside its field; a refused change
to someone already listed comes back as a message over the list.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from procurement_common.auth import ADMIN, ROLES, current_user, issue_token, page_auth
from procurement_common.ui import messages_by_field, save_or_say_why
from procurement_common.web import db_session

from . import actions, administration
from .accounts import principal_of
from .actions import NotFound
from .models import User
from .pages import keep_signed_in
from .people import AccountRuleBroken
from .schemas import DepartmentChangeSchema, DepartmentSchema, UserChangeSchema, UserSchema

admin_pages = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

# Built once: a schema holds no state between loads.
PERSON_FORM = UserSchema()
PERSON_CHANGE_FORM = UserChangeSchema(partial=True)
DEPARTMENT_FORM = DepartmentSchema()
DEPARTMENT_CHANGE_FORM = DepartmentChangeSchema(partial=True)
RECENT_CHANGES = 20


def _form() -> dict:
    """The posted form as a JSON body would say it: roles as a list, and a blank
    password as none given (the CSRF token is checked already; a blank head
    is no head, as the schema reads it)."""
    data = {name: value for name, value in request.form.items() if name != "csrf_token"}
    if "roles" in request.form:
        data["roles"] = request.form.getlist("roles")
    if data.get("password") == "":
        del data["password"]
    return data


def _save(change, done: str):
    """Run ``change`` and commit; what it changed, or None when it was refused."""
    session = db_session()

    def save():
        changed = change(session, current_user().username)
        session.commit()
        return changed

    if changed := save_or_say_why(save, AccountRuleBroken, NotFound):
        flash(done, "success")
    return changed


def _add(add, form: dict, rule_field: str, page, done: str, back: str):
    """Run ``add`` with the session and who adds, commit, and go back to the
    ``back`` page saying ``done``. A refusal comes back on the page (``page``)
    with what was typed and the reason beside its field; a rule's refusal (a
    username or code taken) is told beside ``rule_field``."""
    session = db_session()
    try:
        add(session, current_user().username)
        session.commit()
    except ValidationError as invalid:
        session.rollback()
        return page(adding=form, errors=messages_by_field(invalid)), 422
    except AccountRuleBroken as refused:
        session.rollback()
        return page(adding=form, errors={rule_field: [str(refused)]}), 409
    flash(done, "success")
    return redirect(url_for(back), code=303)


@admin_pages.get("/people")
@page_auth(ADMIN)
def people():
    return _people_page()


def _people_page(adding: dict | None = None, errors: dict | None = None) -> str:
    session = db_session()
    return render_template(
        "requests/admin_people.html",
        people=session.scalars(select(User).order_by(User.active.desc(), User.username)).all(),
        departments=actions.departments(session),
        roles=ROLES,
        changes=session.scalars(administration.account_changes().limit(RECENT_CHANGES)).all(),
        adding=adding or {"roles": ["staff"]},
        errors=errors or {},
    )


@admin_pages.post("/people")
@page_auth(ADMIN)
def add_person():
    form = _form()
    return _add(
        lambda session, by: administration.add_user(session, by, PERSON_FORM.load(form)),
        form,
        "username",
        _people_page,
        f"{form.get('username')} added.",
        "admin.people",
    )


@admin_pages.post("/people/<username>")
@page_auth(ADMIN)
def change_person(username):
    form = _form()
    changed = _save(
        lambda session, by: administration.change_user(
            session, by, username, PERSON_CHANGE_FORM.load(form)
        ),
        f"{username} saved.",
    )
    response = redirect(url_for("admin.people"), code=303)
    if changed is not None and changed.username == current_user().username and changed.active:
        # Her change voided the token she is using (see ``revocation``); she goes on
        # with one that says what she is now, instead of being sent to sign in.
        settings = current_app.config["SETTINGS"]
        token = issue_token(settings.auth_secret, principal_of(changed), settings.token_ttl_seconds)
        keep_signed_in(response, token)
    return response


@admin_pages.get("/departments")
@page_auth(ADMIN)
def departments():
    return _departments_page()


def _departments_page(adding: dict | None = None, errors: dict | None = None) -> str:
    session = db_session()
    leaders = session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    return render_template(
        "requests/admin_departments.html",
        departments=actions.departments(session),
        leaders=[person for person in leaders if person.roles & actions.LEADERS],
        adding=adding or {},
        errors=errors or {},
    )


@admin_pages.post("/departments")
@page_auth(ADMIN)
def add_department():
    form = _form()
    return _add(
        lambda session, by: administration.add_department(session, by, DEPARTMENT_FORM.load(form)),
        form,
        "code",
        _departments_page,
        f"{form.get('code')} added.",
        "admin.departments",
    )


@admin_pages.post("/departments/<code>")
@page_auth(ADMIN)
def change_department(code):
    form = _form()
    _save(
        lambda session, by: administration.change_department(
            session, by, code, DEPARTMENT_CHANGE_FORM.load(form)
        ),
        f"{code} saved.",
    )
    return redirect(url_for("admin.departments"), code=303)
