"""The JSON API of the requests service, as scripts and the other services use it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests as http
from sqlalchemy import func, select, update

from procurement_common import events as ev
from request_service.models import User, messaging
from tests.requests.conftest import request_body, serving


def test_a_submitted_request_answers_with_the_contract_fields(api):
    response = api("post", "/requests", json=request_body(purpose="Printing"))

    assert response.status_code == 201
    created = response.json
    assert isinstance(created["id"], str)
    assert created["status"] == "submitted"
    assert created["requester"] == "zhang.wei"
    assert created["department"] == "FIN"
    assert created["total"] == "161.00"  # 5 x 25.00 + 2 x 18.00
    assert [(line["sku"], line["quantity"]) for line in created["lines"]] == [
        ("PAPER-A4", 5),
        ("PEN-GEL-BLK", 2),
    ]
    assert {"approved_quantity", "reserved_quantity", "issued_quantity"} <= set(created["lines"][0])
    assert [entry["status"] for entry in created["history"]] == ["submitted"]
    assert set(created["history"][0]) >= {"status", "at", "by", "note"}
    assert created["actions"] == ["cancel"]


def test_chinese_text_is_stored_and_returned_as_typed(api):
    created = api("post", "/requests", json=request_body(purpose="打印季度报告用纸")).json

    fetched = api("get", f"/requests/{created['id']}")

    assert fetched.json["purpose"] == "打印季度报告用纸"
    assert "打印季度报告用纸".encode() in fetched.data  # not \u escapes


# -- idempotency --------------------------------------------------------------
def outbox_events(database, type_=ev.REQUEST_SUBMITTED) -> int:
    with database.engine.connect() as connection:
        table = messaging.outbox
        return connection.scalar(
            select(func.count()).select_from(table).where(table.c.type == type_)
        )


def test_a_retried_post_with_the_same_key_returns_the_first_result(api, database, stored_requests):
    key = {"Idempotency-Key": "order-42"}
    first = api("post", "/requests", json=request_body(), headers=key)
    retry = api("post", "/requests", json=request_body(), headers=key)

    assert retry.status_code == first.status_code == 201
    assert retry.json["id"] == first.json["id"]
    assert stored_requests() == 1
    assert outbox_events(database) == 1


def test_the_same_key_from_two_people_makes_two_requests(api, stored_requests):
    key = {"Idempotency-Key": "shared"}
    mine = api("post", "/requests", "zhang.wei", json=request_body(), headers=key)
    theirs = api("post", "/requests", "liu.yang", json=request_body(), headers=key)

    assert mine.json["id"] != theirs.json["id"]
    assert stored_requests() == 2


def test_retries_racing_each_other_create_one_request(app, auth_header, database, stored_requests):
    racers = 6
    start = threading.Barrier(racers)
    answers: list[http.Response] = []

    def post(base_url):
        start.wait()
        answers.append(
            http.post(
                f"{base_url}/api/v1/requests",
                json=request_body(),
                headers={**auth_header("zhang.wei"), "Idempotency-Key": "double-click"},
                timeout=30,
            )
        )

    with serving(app) as base_url:
        threads = [threading.Thread(target=post, args=(base_url,)) for _ in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert [answer.status_code for answer in answers] == [201] * racers
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert stored_requests() == 1
    assert outbox_events(database) == 1


def test_an_overlong_idempotency_key_is_refused(api, stored_requests):
    response = api("post", "/requests", json=request_body(), headers={"Idempotency-Key": "k" * 201})

    assert response.status_code == 400
    assert stored_requests() == 0


# -- listing --------------------------------------------------------------------
def test_the_list_pages_through_my_requests_newest_first(api, submitted):
    ids = [submitted(purpose=f"Request {n}")["id"] for n in range(5)]
    submitted("liu.yang")  # someone else's: never in my list

    first = api("get", "/requests?per_page=2").json
    last = api("get", "/requests?per_page=2&page=3").json

    assert (first["total"], first["page"], first["per_page"]) == (5, 1, 2)
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    assert [item["id"] for item in last["items"]] == ids[:1]


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "status=lost"])
def test_a_bad_page_or_filter_is_a_422(api, query):
    response = api("get", f"/requests?{query}")

    assert response.status_code == 422
    assert response.json["message"]


def test_the_list_filters_by_status(api, submitted):
    kept = submitted()
    cancelled = submitted()
    api("post", f"/requests/{cancelled['id']}/cancel")

    listed = api("get", "/requests?status=submitted").json

    assert [item["id"] for item in listed["items"]] == [kept["id"]]


def test_a_leader_lists_her_department_but_not_another(api, submitted):
    finance = submitted("zhang.wei")
    submitted("liu.yang")

    own = api("get", "/requests?department=FIN", "li.na")
    other = api("get", "/requests?department=SAL", "li.na")

    assert [item["id"] for item in own.json["items"]] == [finance["id"]]
    assert other.status_code == 403


def test_staff_cannot_list_a_department_but_clerks_can_list_any(api, submitted):
    submitted("liu.yang")

    assert api("get", "/requests?department=FIN", "zhang.wei").status_code == 403
    assert api("get", "/requests?department=SAL", "chen.jie").json["total"] == 1


# -- bad input stores nothing ---------------------------------------------------
YESTERDAY = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "PAPER-A4", "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "PAPER-A4", "quantity": -3}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "PAPER-A4", "quantity": 10001}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "PAPER-A4", "quantity": 10**30}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "PAPER-A4", "quantity": "lots"}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "NO-SUCH-ITEM", "quantity": 1}]}, "lines.0.sku"),
        ({"lines": [{"sku": "PAPER-A4", "quantity": 1}] * 2}, "lines"),
        ({"needed_by": YESTERDAY}, "needed_by"),
        ({"needed_by": "next week"}, "needed_by"),
        ({"purpose": ""}, "purpose"),
        ({"purpose": "   "}, "purpose"),
        ({"purpose": "文" * 1001}, "purpose"),
        ({"purpose": "Ring me\x07"}, "purpose"),
        ({"lines": [{"sku": "PAPER-A4\x7f", "quantity": 1}]}, "lines.0.sku"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"assigned_by": "zhang.wei"}, "assigned_by"),
    ],
)
def test_bad_input_is_a_clear_422_and_stores_nothing(
    api, database, stored_requests, changes, field
):
    response = api("post", "/requests", json=request_body(**changes))

    assert response.status_code == 422
    assert field in response.json["message"]
    assert stored_requests() == 0
    assert outbox_events(database) == 0


def test_a_control_character_is_named_in_the_message(api, stored_requests):
    response = api("post", "/requests", json=request_body(purpose="Toner\x0c for the printer"))

    assert response.status_code == 422
    assert response.json["errors"]["json"]["purpose"] == [
        "Must not contain a control character (found U+000C)."
    ]
    assert stored_requests() == 0


def test_tabs_and_line_breaks_are_kept_in_a_purpose(api):
    purpose = "For the launch:\n\t- banners\r\n\t- pens"

    response = api("post", "/requests", json=request_body(purpose=purpose))

    assert response.status_code == 201
    assert api("get", f"/requests/{response.json['id']}").json["purpose"] == purpose


def test_a_missing_body_or_malformed_json_is_a_400(api, stored_requests):
    malformed = api("post", "/requests", data="{not json", content_type="application/json")

    assert malformed.status_code == 400
    assert malformed.json["message"] == "The body is not valid JSON."
    assert stored_requests() == 0


def test_a_body_over_one_mebibyte_is_a_413(api, stored_requests):
    response = api("post", "/requests", json=request_body(purpose="x" * (1024 * 1024)))

    assert response.status_code == 413
    assert stored_requests() == 0


def test_no_token_is_a_401(client):
    assert client.post("/api/v1/requests", json=request_body()).status_code == 401


# -- cancel, receive, resubmit ----------------------------------------------------
def test_the_requester_cancels_a_submitted_request_once_or_twice(api, submitted):
    created = submitted()

    first = api("post", f"/requests/{created['id']}/cancel", json={"note": "Not needed"})
    again = api("post", f"/requests/{created['id']}/cancel")

    assert first.status_code == again.status_code == 200
    assert again.json["status"] == "cancelled"
    assert [entry["note"] for entry in again.json["history"]][-1] == "Not needed"


def test_an_approved_request_can_no_longer_be_cancelled(api, submitted, others):
    created = submitted()
    others.approve(created)

    response = api("post", f"/requests/{created['id']}/cancel")

    assert response.status_code == 409
    assert "approved" in response.json["message"]


def test_only_an_issued_request_can_be_received(api, submitted, others):
    created = submitted()
    assert api("post", f"/requests/{created['id']}/receive").status_code == 409

    others.approve(created)
    others.reserve(created, {"PAPER-A4": 5, "PEN-GEL-BLK": 2})
    others.issue(created, {"PAPER-A4": 5, "PEN-GEL-BLK": 2})
    received = api("post", f"/requests/{created['id']}/receive")

    assert received.status_code == 200
    assert received.json["status"] == "received"


def test_a_returned_request_is_edited_and_resubmitted_for_a_new_round(api, submitted, others):
    created = submitted()
    assert api("put", f"/requests/{created['id']}", json=request_body()).status_code == 409

    others.close(created, ev.APPROVAL_RETURNED, "Two reams will do")
    edited = api(
        "put",
        f"/requests/{created['id']}",
        json=request_body(lines=[{"sku": "PAPER-A4", "quantity": 2}]),
    )

    assert edited.status_code == 200
    assert (edited.json["status"], edited.json["round"]) == ("submitted", 2)
    assert [(line["sku"], line["quantity"]) for line in edited.json["lines"]] == [("PAPER-A4", 2)]
    assert edited.json["total"] == "50.00"


@pytest.mark.parametrize(
    ("method", "action"),
    [("post", "/cancel"), ("post", "/receive"), ("put", ""), ("get", "")],
)
def test_someone_elses_request_is_a_403_and_an_unknown_one_a_404(api, submitted, method, action):
    created = submitted("zhang.wei")
    kwargs = {"json": request_body()} if method == "put" else {}

    theirs = api(method, f"/requests/{created['id']}{action}", "liu.yang", **kwargs)
    unknown = api(method, f"/requests/no-such-request{action}", "zhang.wei", **kwargs)

    assert theirs.status_code == 403
    assert unknown.status_code == 404
    assert theirs.json["message"] and unknown.json["message"]


def test_the_department_leader_and_the_clerk_may_look_but_not_act(api, submitted):
    created = submitted("zhang.wei")

    for viewer in ("li.na", "chen.jie", "wang.fang"):
        assert api("get", f"/requests/{created['id']}", viewer).status_code == 200
    assert api("get", f"/requests/{created['id']}", "zhao.lei").status_code == 403
    assert api("post", f"/requests/{created['id']}/cancel", "li.na").status_code == 403


def test_a_request_cannot_say_it_was_assigned_by_a_leader_who_has_left(
    api, database, stored_requests
):
    with database.sessions.begin() as session:
        session.execute(update(User).where(User.username == "li.na").values(active=False))

    response = api("post", "/requests", json=request_body(assigned_by="li.na"))

    assert response.status_code == 422
    assert "assigned_by" in response.json["message"]
    assert stored_requests() == 0


@pytest.mark.parametrize(
    ("role", "people"),
    [
        ("leader", ["li.na", "wang.fang", "zhao.lei"]),
        ("director", ["wang.fang"]),
        ("lead", []),
        ("e", []),
    ],
)
def test_people_are_listed_by_a_whole_role_never_part_of_one(api, role, people):
    response = api("get", f"/users?role={role}&per_page=100")

    assert response.status_code == 200
    assert [person["username"] for person in response.json["items"]] == people
