"""Bad input is refused cleanly, whatever the route, and Chinese text comes
back exactly as it was typed, through every service and event."""

from __future__ import annotations

import pytest

from procurement_common.auth import COOKIE_NAME, ROLES

from security_support import COMMENT, CSRF_FIELD, ITEM_NAME, NOTE, PURPOSE, REASON

SERVICES = ["requests", "inventory", "approvals"]
LIMIT = 1024 * 1024  # MAX_CONTENT_LENGTH by default: 1 MiB, as the contract says


def writes(app, under_api: bool, *, reading_a_body: bool = False) -> list[tuple[str, str]]:
    """The routes that take a body, with any path parameter filled in; with
    ``reading_a_body``, only those whose OpenAPI operation reads one."""
    paths = app.test_client().get("/openapi.json").json["paths"] if reading_a_body else {}

    def reads_a_body(rule, method: str) -> bool:
        operation = paths[rule.rule.replace("<", "{").replace(">", "}")][method.lower()]
        return "requestBody" in operation

    return sorted(
        (method, rule.rule.replace("<", "").replace(">", ""))
        for rule in app.url_map.iter_rules()
        for method in rule.methods & {"POST", "PUT", "PATCH"}
        if rule.rule.startswith("/api/") == under_api
        and (not reading_a_body or reads_a_body(rule, method))
    )


@pytest.fixture
def anyone_with_every_role(token_for) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('wang.fang', roles=ROLES)}"}


@pytest.mark.parametrize("service", SERVICES)
def test_a_json_body_over_the_limit_gets_413(service, office, anyone_with_every_role):
    app = office.apps[service]
    body = b'{"purpose": "' + b"x" * LIMIT + b'"}'
    answers = {
        (method, path): app.test_client().open(
            path,
            method=method,
            data=body,
            headers=anyone_with_every_role,
            content_type="application/json",
        )
        for method, path in writes(app, under_api=True)
    }
    assert {route: response.status_code for route, response in answers.items()} == dict.fromkeys(
        answers, 413
    )
    assert all(
        f"limit of {LIMIT} bytes" in response.json["message"] for response in answers.values()
    )


@pytest.mark.parametrize("service", SERVICES)
def test_a_form_over_the_limit_gets_413(service, office, token_for):
    app = office.apps[service]
    client = app.test_client()
    client.set_cookie(COOKIE_NAME, token_for("wang.fang", roles=ROLES))
    statuses = {
        (method, path): client.open(path, method=method, data={"purpose": "x" * LIMIT}).status_code
        for method, path in writes(app, under_api=False)
    }
    assert statuses == dict.fromkeys(statuses, 413)


@pytest.mark.parametrize("service", SERVICES)
def test_malformed_json_gets_400_saying_so(service, office, anyone_with_every_role):
    app = office.apps[service]
    answers = {
        (method, path): app.test_client().open(
            path,
            method=method,
            data='{"purpose": "未闭合',
            headers=anyone_with_every_role,
            content_type="application/json",
        )
        for method, path in writes(app, under_api=True, reading_a_body=True)
    }
    assert {route: response.status_code for route, response in answers.items()} == dict.fromkeys(
        answers, 400
    )
    assert {response.json["message"] for response in answers.values()} == {
        "The body is not valid JSON."
    }


def test_chinese_text_round_trips_through_every_service(office, world):
    # The purpose and the leader's comment went round in the world already.
    request = office.call("requests", "get", f"/requests/{world.reserved_request}", "liu.yang").json
    assert request["purpose"] == PURPOSE
    assert f"Approved: {COMMENT}" in [entry["note"] for entry in request["history"]]
    task = office.call("approvals", "get", f"/approvals/{world.decided_task}", "zhao.lei").json
    assert task["decision"]["comment"] == COMMENT

    item = {"sku": "PEN-BLUE", "name": ITEM_NAME, "unit": "支", "unit_cost": "2.50"}
    item |= {"category": "书写工具", "reorder_level": 10, "reorder_quantity": 50}
    assert office.call("inventory", "post", "/items", "chen.jie", json=item).status_code == 201
    count = {"sku": "PEN-BLUE", "counted_quantity": 0, "reason": REASON}
    assert (
        office.call("inventory", "post", "/adjustments", "chen.jie", json=count).status_code == 201
    )
    stored = office.call("inventory", "get", "/items/PEN-BLUE", "chen.jie").json
    assert (stored["name"], stored["unit"], stored["category"]) == (ITEM_NAME, "支", "书写工具")
    ledger = office.call("inventory", "get", "/items/PEN-BLUE/ledger", "chen.jie").json
    assert REASON in [entry["note"] for entry in ledger["items"]]

    office.settle()  # the requests service's catalog copy hears of the new item
    catalog = office.call("requests", "get", "/catalog?per_page=100", "liu.yang").json
    assert ITEM_NAME in [entry["name"] for entry in catalog["items"]]
    cancel = office.call(
        "requests",
        "post",
        f"/requests/{world.pending_request}/cancel",
        "liu.yang",
        json={"note": NOTE},
    )
    assert cancel.json["history"][-1]["note"] == NOTE


@pytest.mark.parametrize(
    ("service", "person", "page"),
    [
        # The director may see every request; zhao.lei has liu.yang's pending task.
        ("requests", "wang.fang", "/requests/{world.reserved_request}"),
        ("approvals", "zhao.lei", "/"),
    ],
)
def test_chinese_text_shows_on_the_pages(service, person, page, office, world, token_for):
    client = office.clients[service]
    client.set_cookie(COOKIE_NAME, token_for(person))
    assert PURPOSE in client.get(page.format(world=world)).text


def create_from_json_text(client, body: str, headers: dict):
    """Create a request from JSON text as typed, escapes and all."""
    return client.post(
        "/api/v1/requests", data=body, headers=headers, content_type="application/json"
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('{"purpose": "a\\u0000b", "lines": [{"sku": "PAPER-A4", "quantity": 1}]}', "NUL"),
        ('{"purpose": "ok", "lines": [{"sku": "PAPER-A4\\u0000", "quantity": 1}]}', "NUL"),
        ('{"purpose\\u0000": "ok", "lines": [{"sku": "PAPER-A4", "quantity": 1}]}', "NUL"),
        ('{"purpose": "a\\ud800b", "lines": [{"sku": "PAPER-A4", "quantity": 1}]}', "U+D800"),
        ('{"purpose": "a\\uDFFF", "lines": [{"sku": "PAPER-A4", "quantity": 1}]}', "U+DFFF"),
    ],
    ids=["NUL in a value", "NUL nested in a list", "NUL in a key", "high half", "low half"],
)
def test_a_nul_or_half_a_surrogate_pair_in_a_json_body_is_refused_and_nothing_is_stored(
    body, says, office, anyone_with_every_role
):
    client = office.apps["requests"].test_client()
    before = client.get("/api/v1/requests", headers=anyone_with_every_role).json["total"]

    response = create_from_json_text(client, body, anyone_with_every_role)

    assert response.status_code == 400
    assert says in response.json["message"]
    assert client.get("/api/v1/requests", headers=anyone_with_every_role).json["total"] == before


def test_a_whole_surrogate_pair_is_a_character_and_is_kept(office, anyone_with_every_role):
    client = office.apps["requests"].test_client()
    body = '{"purpose": "Stickers \\ud83d\\ude00", "lines": [{"sku": "PAPER-A4", "quantity": 1}]}'

    response = create_from_json_text(client, body, anyone_with_every_role)

    assert response.status_code == 201
    assert response.json["purpose"] == "Stickers \U0001f600"


def test_a_nul_character_in_a_form_or_query_is_refused(office, token_for):
    client = office.apps["requests"].test_client()
    csrf = CSRF_FIELD.search(client.get("/login").text)[1]
    client.set_cookie(COOKIE_NAME, token_for("zhang.wei"))

    for response in (
        client.get("/?status=sub%00mitted"),
        client.post(
            "/login", data={"csrf_token": csrf, "username": "zhang\x00wei", "password": "x"}
        ),
    ):
        assert response.status_code == 400
        assert "NUL" in response.get_data(as_text=True)
