"""Administrators add people and departments and change them; each change is
kept, and the office never loses its last administrator or a department's head."""

from __future__ import annotations

import json

import jwt
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from procurement_common import events as ev
from procurement_common.auth import COOKIE_NAME
from request_service import seed
from request_service.administration import add_user_command
from request_service.models import User, messaging
from tests.conftest import TEST_SECRET

from support import poll

NEW_PERSON = {
    "username": "sun.li",
    "name": "Sun Li",
    "department": "FIN",
    "roles": ["staff"],
    "password": "a long enough secret",
}


@pytest.fixture
def admin(api):
    def call(method: str, path: str, **kwargs):
        return api(method, path, "admin", **kwargs)

    return call


def sign_in(client, username: str, password: str):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def changes(admin) -> list[tuple[str, str, str]]:
    return [
        (c["by"], c["subject"], c["change"]) for c in admin("get", "/account-changes").json["items"]
    ]


def test_a_person_added_by_an_administrator_signs_in_with_her_roles(client, admin):
    added = admin("post", "/users", json=NEW_PERSON)

    assert added.status_code == 201
    assert added.json == {
        "id": added.json["id"],
        "username": "sun.li",
        "name": "Sun Li",
        "department": "FIN",
        "roles": ["staff"],
        "active": True,
    }
    token = sign_in(client, "sun.li", "a long enough secret").json["access_token"]
    claims = jwt.decode(token, TEST_SECRET, algorithms=["HS256"], options={"verify_iss": False})
    assert (claims["department"], claims["roles"]) == ("FIN", ["staff"])
    (change,) = changes(admin)
    assert change[:2] == ("admin", "user:sun.li")
    assert "a long enough secret" not in change[2]


# fmt: off
BAD_PEOPLE = [
    ("a taken username", {"username": "li.na"}, 409, None),
    ("an unknown department", {"department": "XX"}, 422, "department"),
    ("a username with capitals", {"username": "Sun.Li"}, 422, "username"),
    ("a short password", {"password": "short"}, 422, "password"),
    ("an unknown role", {"roles": ["boss"]}, 422, "roles"),
    ("no role", {"roles": []}, 422, "roles"),
]
# fmt: on


@pytest.mark.parametrize(("case", "change", "status", "field"), BAD_PEOPLE)
def test_a_bad_person_is_refused_and_nothing_is_kept(admin, database, case, change, status, field):
    response = admin("post", "/users", json={**NEW_PERSON, **change})

    assert response.status_code == status, case
    if field:
        assert field in response.json["errors"]["json"], case
    with database.sessions() as session:
        assert session.scalar(select(User).where(User.username == "sun.li")) is None
    assert changes(admin) == []


def test_a_role_change_is_kept_in_the_history(admin):
    changed = admin("patch", "/users/zhang.wei", json={"roles": ["staff", "clerk"]})

    assert changed.status_code == 200
    assert changed.json["roles"] == ["clerk", "staff"]
    assert changes(admin) == [("admin", "user:zhang.wei", "roles: staff → clerk,staff")]
    assert admin("patch", "/users/zhang.wei", json={"roles": ["clerk", "staff"]}).status_code == 200
    assert len(changes(admin)) == 1  # the same again changes nothing


def test_someone_who_left_can_no_longer_sign_in(client, admin, api):
    assert admin("patch", "/users/zhang.wei", json={"active": False}).status_code == 200

    assert sign_in(client, "zhang.wei", "demo-pass").status_code == 401
    people = [
        person["username"]
        for person in api("get", "/users", query_string={"per_page": 100}).json["items"]
    ]
    assert "zhang.wei" not in people
    assert changes(admin)[0][2] == "active: yes → no"


def test_a_new_password_works_and_only_its_setting_is_kept(client, admin):
    changed = admin("patch", "/users/zhang.wei", json={"password": "another long secret"})

    assert changed.status_code == 200
    assert sign_in(client, "zhang.wei", "demo-pass").status_code == 401
    assert sign_in(client, "zhang.wei", "another long secret").status_code == 200
    assert changes(admin) == [("admin", "user:zhang.wei", "password set")]


def test_the_last_administrator_cannot_be_removed(admin):
    for change in ({"active": False}, {"roles": ["staff"]}):
        refused = admin("patch", "/users/admin", json=change)
        assert refused.status_code == 409
        assert "at least one active administrator" in refused.json["message"]

    assert admin("post", "/users", json={**NEW_PERSON, "roles": ["admin"]}).status_code == 201
    assert admin("patch", "/users/admin", json={"active": False}).status_code == 200


def test_a_head_keeps_her_role_until_her_department_has_another(admin):
    refused = admin("patch", "/users/li.na", json={"roles": ["staff"]})
    assert refused.status_code == 409
    assert "FIN" in refused.json["message"]

    assert (
        admin("post", "/users", json={**NEW_PERSON, "roles": ["staff", "leader"]}).status_code
        == 201
    )
    assert admin("patch", "/departments/FIN", json={"head": "sun.li"}).json["head"] == "sun.li"
    assert admin("patch", "/users/li.na", json={"active": False}).status_code == 200


def test_a_new_head_gets_the_departments_next_requests(admin, submitted, database):
    admin("post", "/users", json={**NEW_PERSON, "roles": ["staff", "leader"]})
    admin("patch", "/departments/FIN", json={"head": "sun.li"})

    submitted("zhang.wei")

    with database.engine.connect() as connection:
        (body,) = connection.scalars(
            select(messaging.outbox.c.body).where(messaging.outbox.c.type == ev.REQUEST_SUBMITTED)
        ).all()
    sent = json.loads(body)["data"]
    assert (sent["department_head"], sent["department_head_name"]) == ("sun.li", "Sun Li")
    assert (sent["director"], sent["director_name"]) == ("wang.fang", "Wang Fang")
    assert changes(admin)[0] == ("admin", "department:FIN", "head: li.na → sun.li")


def test_a_department_is_added_with_a_leader_at_its_head(admin, api):
    refused = admin("post", "/departments", json={"code": "IT", "name": "IT", "head": "zhang.wei"})
    assert refused.status_code == 422
    assert "not a leader" in refused.json["errors"]["json"]["head"][0]

    added = admin("post", "/departments", json={"code": "IT", "name": "IT", "head": "li.na"})
    assert added.status_code == 201
    assert admin("post", "/departments", json={"code": "IT", "name": "Again"}).status_code == 409
    codes = [d["code"] for d in api("get", "/departments").json["items"]]
    assert codes == ["FIN", "GO", "IT", "SAL"]
    assert admin("patch", "/departments/NOPE", json={"name": "x"}).status_code == 404


def test_the_first_administrator_is_added_from_the_command_line(app, admin, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", str(app.extensions["database"].engine.url))
    monkeypatch.setenv("AUTH_SECRET", TEST_SECRET)
    monkeypatch.setenv("NEW_USER_PASSWORD", "a long enough secret")
    runner = CliRunner()
    args = ["boss", "--name", "The Boss", "--department", "HQ", "--department-name", "Head office"]

    added = runner.invoke(add_user_command, [*args, "--roles", "admin,staff"])
    again = runner.invoke(add_user_command, [*args, "--roles", "admin"])

    assert added.exit_code == 0, added.output
    assert again.exit_code == 1 and "boss is already taken" in again.output
    assert [(by, subject) for by, subject, _ in changes(admin)] == [
        ("command line", "user:boss"),
        ("command line", "department:HQ"),
    ]


# -- the administrator's pages ----------------------------------------------------
def test_an_administrator_adds_a_person_and_changes_her_roles_on_the_pages(
    signed_in, client, admin
):
    office = signed_in("admin")
    page = office.get("/admin/people").get_data(as_text=True)
    assert 'href="/admin/people"' in office.get("/").get_data(as_text=True)
    assert "Add a person" in page

    added = office.client.post(
        "/admin/people",
        data={
            **{k: v for k, v in NEW_PERSON.items() if k != "roles"},
            "roles": ["staff", "clerk"],
            "csrf_token": office.csrf_token("/admin/people"),
        },
    )
    assert added.status_code == 303
    assert "sun.li added." in office.get("/admin/people").get_data(as_text=True)
    assert sign_in(client, "sun.li", NEW_PERSON["password"]).status_code == 200

    changed = office.post(
        "/admin/people/sun.li",
        {
            "name": "Sun Li",
            "department": "SAL",
            "roles": "staff",
            "active": "false",
            "password": "",
        },
    )
    assert changed.status_code == 303
    assert sign_in(client, "sun.li", NEW_PERSON["password"]).status_code == 401
    latest = changes(admin)[0]
    assert latest[1] == "user:sun.li"
    assert latest[2] == "active: yes → no; department: FIN → SAL; roles: clerk,staff → staff"


def test_a_refused_change_on_the_pages_says_why_and_keeps_everything(signed_in, admin):
    office = signed_in("admin")

    refused = office.post("/admin/people/admin", {"active": "false"})

    assert refused.status_code == 303
    page = office.get("/admin/people").get_data(as_text=True)
    assert "Not saved: The office needs at least one active administrator." in page
    assert changes(admin) == []


def test_a_refused_addition_comes_back_as_typed_with_the_reason_beside_its_field(signed_in, admin):
    office = signed_in("admin")

    short = office.post("/admin/people", {**NEW_PERSON, "department": "SAL", "password": "short"})

    assert short.status_code == 422
    page = short.get_data(as_text=True)
    assert (
        '<p class="error" id="new-password-error">A password has 10 to 200 characters.</p>' in page
    )
    assert 'value="sun.li"' in page and 'value="Sun Li"' in page
    assert '<option value="SAL" selected>' in page
    assert 'value="short"' not in page  # a password is never sent back
    taken = office.post("/admin/departments", {"code": "FIN", "name": "Finance again"})
    assert taken.status_code == 409
    page = taken.get_data(as_text=True)
    assert '<p class="error" id="new-code-error">There is already a department FIN.</p>' in page
    assert 'value="Finance again"' in page
    assert changes(admin) == []


def test_an_administrator_names_a_departments_head_on_the_pages(signed_in, admin):
    office = signed_in("admin")
    assert "Li Na" in office.get("/admin/departments").get_data(as_text=True)

    saved = office.post("/admin/departments/SAL", {"name": "Sales and Marketing", "head": "li.na"})
    added = office.post("/admin/departments", {"code": "IT", "name": "IT", "head": ""})

    cleared = office.post("/admin/departments/SAL", {"name": "Sales and Marketing", "head": ""})

    assert saved.status_code == added.status_code == cleared.status_code == 303
    assert [(subject, change) for _, subject, change in changes(admin)] == [
        ("department:SAL", "head: li.na → none"),
        ("department:IT", "added: name IT, head none"),
        ("department:SAL", "head: zhao.lei → li.na; name: Sales → Sales and Marketing"),
    ]


@pytest.mark.parametrize("username", ["zhang.wei", "li.na", "wang.fang", "chen.jie"])
def test_only_administrators_open_the_people_pages(signed_in, username):
    person = signed_in(username)
    assert person.get("/admin/people").status_code == 403
    assert person.get("/admin/departments").status_code == 403
    assert 'href="/admin/people"' not in person.get("/").get_data(as_text=True)


def account_announcements(database, *, seeded: bool = False) -> list[dict]:
    """What was announced of accounts, oldest first; after the demo people's
    own announcements unless ``seeded``."""
    with database.engine.connect() as connection:
        bodies = connection.scalars(
            select(messaging.outbox.c.body)
            .where(messaging.outbox.c.type == ev.ACCOUNT_CHANGED)
            .order_by(messaging.outbox.c.id)
        ).all()
    announced = [json.loads(body)["data"] for body in bodies]
    return announced if seeded else announced[len(seed.PEOPLE) :]


def test_the_demo_people_are_announced_when_seeded_so_every_service_knows_their_names(
    database,
):
    announced = account_announcements(database, seeded=True)
    assert [(data["username"], data["name"]) for data in announced] == [
        (username, name) for username, name, _department, _roles in seed.PEOPLE
    ]
    assert {data["active"] for data in announced} == {True}


def test_someone_who_left_is_signed_out_within_a_second_and_every_service_is_told(
    client, admin, database
):
    token = sign_in(client, "zhang.wei", "demo-pass").json["access_token"]
    hers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/requests", headers=hers).status_code == 200

    admin("patch", "/users/zhang.wei", json={"active": False})

    refused = poll(
        lambda: (
            (answer := client.get("/api/v1/requests", headers=hers)).status_code == 401 and answer
        ),
        timeout=5,
        message="the old token to be refused",
    )
    assert refused.json["message"] == (
        "Your account changed after this token was issued: sign in again."
    )
    (announced,) = account_announcements(database)
    keys = ("username", "name", "active", "department", "roles")
    assert {key: announced[key] for key in keys} == {
        "username": "zhang.wei",
        "name": "Zhang Wei",
        "active": False,
        "department": "FIN",
        "roles": ["staff"],
    }


def test_a_person_added_is_announced_so_every_service_knows_her_from_the_start(admin, database):
    assert (
        admin("post", "/users", json={**NEW_PERSON, "roles": ["staff", "leader"]}).status_code
        == 201
    )

    (announced,) = account_announcements(database)
    assert {key: announced[key] for key in ("username", "name", "active", "roles")} == {
        "username": "sun.li",
        "name": "Sun Li",
        "active": True,
        "roles": ["leader", "staff"],
    }


def test_a_renamed_leader_is_announced_under_her_new_name(admin, database):
    assert admin("patch", "/users/li.na", json={"name": "Li Na-Zhou"}).status_code == 200

    (announced,) = account_announcements(database)
    assert (announced["username"], announced["name"]) == ("li.na", "Li Na-Zhou")


def test_after_a_role_change_the_old_token_stops_and_a_new_one_carries_the_role(client, admin):
    old = sign_in(client, "zhang.wei", "demo-pass").json["access_token"]
    admin("patch", "/users/zhang.wei", json={"roles": ["clerk", "staff"]})

    poll(
        lambda: (
            client.get("/api/v1/requests", headers={"Authorization": f"Bearer {old}"}).status_code
            == 401
        ),
        timeout=5,
        message="the old token to be refused",
    )
    new = sign_in(client, "zhang.wei", "demo-pass").json["access_token"]
    listed = client.get(
        "/api/v1/requests",
        headers={"Authorization": f"Bearer {new}"},
        query_string={"department": "SAL"},  # a clerk's view of another department
    )
    assert listed.status_code == 200


def test_renaming_a_department_signs_no_one_out(client, admin, database):
    token = sign_in(client, "zhang.wei", "demo-pass").json["access_token"]
    admin("patch", "/departments/FIN", json={"name": "Finance and Accounts"})

    assert account_announcements(database) == []
    hers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/requests", headers=hers).status_code == 200


def test_a_renamed_department_is_shown_by_its_new_name_from_the_next_sign_in(signed_in, admin):
    admin("patch", "/departments/FIN", json={"name": "Finance and Accounts"})

    page = signed_in("zhang.wei").get("/").text

    assert "Zhang Wei · Finance and Accounts" in page


def test_a_page_session_ends_with_the_account_change(signed_in, admin):
    zhang = signed_in("zhang.wei")
    assert zhang.get("/").status_code == 200

    admin("patch", "/users/zhang.wei", json={"password": "another long secret"})

    sent_away = poll(
        lambda: (page := zhang.get("/")).status_code == 303 and page,
        timeout=5,
        message="the page to send her to sign in",
    )
    assert sent_away.location.startswith("/login")


def test_an_administrator_who_changes_her_own_account_on_the_page_stays_signed_in(
    signed_in, client
):
    office = signed_in("admin")
    old = office.client.get_cookie(COOKIE_NAME).value

    saved = office.post(
        "/admin/people/admin",
        {"name": "The Administrator", "department": "GO", "roles": "admin", "active": "true"},
    )

    assert saved.status_code == 303
    new = office.client.get_cookie(COOKIE_NAME).value
    assert new != old
    poll(
        lambda: (
            client.get("/api/v1/requests", headers={"Authorization": f"Bearer {old}"}).status_code
            == 401
        ),
        timeout=5,
        message="her old token to be refused",
    )
    page = office.get("/admin/people")
    assert page.status_code == 200
    assert "The Administrator" in page.get_data(as_text=True)


def test_an_administrator_who_moves_herself_sees_her_new_department_named_at_once(signed_in):
    office = signed_in("admin")

    office.post(
        "/admin/people/admin",
        {"name": "Administrator", "department": "FIN", "roles": "admin", "active": "true"},
    )

    assert "Administrator · Finance" in office.get("/").text
