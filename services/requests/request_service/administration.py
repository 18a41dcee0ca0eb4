"""What administrators change about people and departments, each change
recorded in the account history. The rules they keep are in ``people.py``."""

from __future__ import annotations

from datetime import datetime

import click
from marshmallow import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from procurement_common import events as ev
from procurement_common.auth import ADMIN
from procurement_common.changes import described, listed
from procurement_common.db import utcnow
from procurement_common.events import Event

from . import people
from .actions import SERVICE, NotFound
from .models import AccountChange, Department, User, cutoffs, messaging
from .people import AccountRuleBroken
from .schemas import UserSchema

# Who made a change from ``python -m request_service add-user``, in the history.
COMMAND_LINE = "command line"


def add_user(session: Session, by: str, data: dict) -> User:
    """Add a person who can sign in with ``data["password"]``."""
    if session.scalar(select(User.id).where(User.username == data["username"])):
        raise AccountRuleBroken(f"{data['username']} is already taken.")
    _check_department(session, data["department"])
    user = User(
        username=data["username"],
        name=data["name"],
        department_code=data["department"],
        roles_text=",".join(sorted(data["roles"])),
        active=data.get("active", True),
        password_hash=generate_password_hash(data["password"]),
    )
    session.add(user)
    _record(session, by, f"user:{user.username}", "added: " + listed(_user_values(user)))
    # Told now, not at her first change: a new leader can cover for another
    # from her first day, and every service knows her name.
    announce(session, user, utcnow())
    return user


def change_user(session: Session, by: str, username: str, data: dict) -> User:
    """Change a person's name, department, roles, password or whether she may sign in."""
    user = _locked_user(session, username)
    before = _user_values(user)
    if "department" in data:
        _check_department(session, data["department"])
    after = {
        "name": data.get("name", user.name),
        "department": data.get("department", user.department_code),
        "roles": frozenset(data.get("roles", user.roles)),
        "active": data.get("active", user.active),
    }
    headed = list(session.scalars(select(Department.code).where(Department.head == username)))
    people.keep_heads(headed, after["roles"], after["active"])
    if (
        ADMIN in before["roles"]
        and before["active"]
        and not (ADMIN in after["roles"] and after["active"])
    ):
        people.keep_an_administrator(_other_active_administrators(session, username))
    user.name = after["name"]
    user.department_code = after["department"]
    user.active = after["active"]
    user.roles_text = ",".join(sorted(after["roles"]))
    change = described(before, after)
    if "password" in data:
        user.password_hash = generate_password_hash(data["password"])
        user.failed_logins, user.locked_until = 0, None
        change = "; ".join(filter(None, [change, "password set"]))
    if change:
        _record(session, by, f"user:{username}", change)
        _end_sessions(session, user)
    return user


def add_department(session: Session, by: str, data: dict) -> Department:
    if session.get(Department, data["code"]) is not None:
        raise AccountRuleBroken(f"There is already a department {data['code']}.")
    _check_head(session, data.get("head"))
    department = Department(code=data["code"], name=data["name"], head=data.get("head"))
    session.add(department)
    values = {"name": department.name, "head": department.head}
    _record(session, by, f"department:{department.code}", "added: " + listed(values))
    return department


def change_department(session: Session, by: str, code: str, data: dict) -> Department:
    """Rename a department or name its head: its next requests go to her."""
    department = session.get(Department, code)
    if department is None:
        raise NotFound(f"No department {code}.")
    before = {"name": department.name, "head": department.head}
    after = {name: data.get(name, value) for name, value in before.items()}
    if "head" in data:
        _check_head(session, data["head"])
    department.name, department.head = after["name"], after["head"]
    if change := described(before, after):
        _record(session, by, f"department:{code}", change)
    return department


def account_changes() -> Select:
    return select(AccountChange).order_by(AccountChange.id.desc())


def _locked_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        raise NotFound(f"No one is called {username}.")
    return user


def _check_department(session: Session, code: str) -> None:
    if session.get(Department, code) is None:
        raise ValidationError({"department": [f"No department {code}."]})


def _check_head(session: Session, username: str | None) -> None:
    if username is None:
        return
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not people.may_head(user.roles, user.active):
        raise ValidationError({"head": [f"{username} is not a leader who works here."]})


def _other_active_administrators(session: Session, username: str) -> int:
    # Locked: two administrators demoting each other at once must not both succeed.
    others = session.scalars(
        select(User.id)
        .where(User.with_role(ADMIN), User.active.is_(True), User.username != username)
        .with_for_update()
    )
    return len(others.all())


def _user_values(user: User) -> dict[str, object]:
    return {
        "name": user.name,
        "department": user.department_code,
        "roles": user.roles,
        "active": user.active,
    }


def _record(session: Session, by: str, subject: str, change: str) -> None:
    session.add(AccountChange(by=by, subject=subject, change=change, at=utcnow()))


def _end_sessions(session: Session, user: User) -> None:
    """Void the tokens issued to ``user`` before now, here and, by the event, elsewhere.

    Her token says who she is, her department and her roles, and it is
    checked without asking this service; once any of that changes, or she
    leaves or has her password reset, it must stop counting.
    """
    now = utcnow()
    cutoffs.note(session, user.username, now)
    announce(session, user, now)


def announce(session: Session, user: User, at: datetime) -> None:
    """Tell the other services who she is from ``at`` on (``account.changed``)."""
    data = {
        "username": user.username,
        "name": user.name,
        "changed_at": at,
        "active": user.active,
        "department": user.department_code,
        "roles": sorted(user.roles),
    }
    messaging.record(session, Event.new(ev.ACCOUNT_CHANGED, data, source=SERVICE))


@click.command("add-user")
@click.argument("username")
@click.option("--name", required=True, help="Full name, as pages show it.")
@click.option("--department", required=True, help="Department code, for example GO.")
@click.option(
    "--department-name", help="Adds the department under this name when it does not exist yet."
)
@click.option("--roles", default="staff", show_default=True, help="Comma-separated roles.")
@click.password_option(
    envvar="NEW_USER_PASSWORD", help="Asked for unless NEW_USER_PASSWORD is set."
)
def add_user_command(username, name, department, department_name, roles, password) -> None:
    """Add a person from the command line: the first administrator of a new office."""
    from . import service

    database = service.database(service.settings())
    with database.sessions() as session:
        try:
            if department_name and session.get(Department, department) is None:
                add_department(session, COMMAND_LINE, {"code": department, "name": department_name})
            data = UserSchema().load(
                {
                    "username": username,
                    "name": name,
                    "department": department,
                    "roles": [role for role in roles.split(",") if role],
                    "password": password,
                }
            )
            add_user(session, COMMAND_LINE, data)
            session.commit()
        except ValidationError as invalid:
            fields = invalid.normalized_messages().items()
            raise click.ClickException(
                "; ".join(f"{field}: {' '.join(map(str, texts))}" for field, texts in fields)
            ) from None
        except AccountRuleBroken as refused:
            raise click.ClickException(str(refused)) from None
    click.echo(f"added {username} ({roles}) in {department}")
