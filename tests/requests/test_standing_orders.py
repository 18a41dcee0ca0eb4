"""Standing orders: a request asked for again on a schedule (API, worker job, pages)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from procurement_common.db import utcnow
from request_service import jobs
from request_service.models import StandingOrder, SupplyRequest, User

TODAY = utcnow().date()


@pytest.fixture
def repeat(api, submitted):
    """Make a standing order from a new request of ``username``'s."""

    def make(every="month", starts=TODAY, username="zhang.wei", **changes) -> dict:
        created = submitted(username, **changes)
        response = api(
            "post",
            f"/requests/{created['id']}/repeat",
            username,
            json={"every": every, "starts": str(starts)},
        )
        assert response.status_code == 201, response.json
        return response.json

    return make


@pytest.fixture
def run_job(database):
    return lambda today=TODAY: jobs.submit_standing_orders(database, today)


def requests_of(database, username="zhang.wei") -> int:
    with database.sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(SupplyRequest)
            .where(SupplyRequest.requester == username)
        )


def test_a_request_repeated_every_month_is_submitted_again_on_its_day(api, repeat, run_job):
    order = repeat("month", starts=TODAY + timedelta(days=1))
    assert order["active"] and order["next_on"] == str(TODAY + timedelta(days=1))
    assert [line["quantity"] for line in order["lines"]] == [5, 2]

    assert run_job(TODAY) == 0  # not due yet
    assert run_job(TODAY + timedelta(days=1)) == 1

    mine = api("get", "/standing-orders").json["items"][0]
    made = api("get", f"/requests/{mine['last_request_id']}").json
    assert made["status"] == "submitted"
    assert [(line["sku"], line["quantity"]) for line in made["lines"]] == [
        ("PAPER-A4", 5),
        ("PEN-GEL-BLK", 2),
    ]
    assert "standing order (every month)" in made["history"][0]["note"]
    assert mine["next_on"] > str(TODAY + timedelta(days=1))


def test_a_due_day_is_submitted_once_however_often_the_job_runs(repeat, run_job, database):
    repeat("week")
    before = requests_of(database)

    assert run_job() == 1
    assert run_job() == 0

    assert requests_of(database) == before + 1


def test_two_workers_at_once_submit_a_due_day_once(repeat, database):
    repeat("week")
    before = requests_of(database)
    made = []
    workers = [
        threading.Thread(target=lambda: made.append(jobs.submit_standing_orders(database, TODAY)))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert sorted(made) == [0, 1]
    assert requests_of(database) == before + 1


def test_an_item_gone_from_the_catalog_makes_no_request_and_says_why(
    api, repeat, run_job, others, database
):
    order = repeat("week")
    others.change_item(active=False)  # PAPER-A4 is no longer stocked
    before = requests_of(database)

    assert run_job() == 0

    assert requests_of(database) == before
    (shown,) = api("get", "/standing-orders").json["items"]
    assert shown["active"] is True
    assert "Unknown item 'PAPER-A4'" in shown["last_refusal"]
    assert shown["next_on"] == str(TODAY + timedelta(weeks=1))
    assert shown["id"] == order["id"]


def test_the_order_of_someone_who_has_left_stops(api, repeat, run_job, database):
    repeat("week")
    with database.sessions.begin() as session:
        session.execute(update(User).where(User.username == "zhang.wei").values(active=False))

    assert run_job() == 0

    with database.sessions() as session:
        order = session.scalars(select(StandingOrder)).one()
    assert (order.active, order.stopped_by) == (False, "requests")
    assert "no longer works here" in order.last_refusal


def test_a_stopped_order_submits_nothing(api, repeat, run_job, database):
    order = repeat("week")
    stopped = api("post", f"/standing-orders/{order['id']}/stop")
    assert stopped.status_code == 200
    assert stopped.json["active"] is False and stopped.json["stopped_by"] == "zhang.wei"
    assert api("post", f"/standing-orders/{order['id']}/stop").json == stopped.json
    before = requests_of(database)

    assert run_job() == 0
    assert requests_of(database) == before


def test_only_the_requester_may_repeat_or_stop(api, repeat, submitted):
    created = submitted("zhang.wei")
    body = {"every": "month", "starts": str(TODAY)}
    assert (
        api("post", f"/requests/{created['id']}/repeat", "liu.yang", json=body).status_code == 403
    )
    assert api("post", "/requests/nope/repeat", json=body).status_code == 404

    order = repeat()
    assert api("post", f"/standing-orders/{order['id']}/stop", "liu.yang").status_code == 403
    assert api("post", "/standing-orders/nope/stop").status_code == 404
    assert api("get", "/standing-orders", "liu.yang").json["items"] == []


# fmt: off
BAD = [
    ("an unknown interval", {"every": "fortnight", "starts": str(TODAY)}, "every", "Choose every week, month or quarter."),
    ("a first day in the past", {"every": "week", "starts": str(TODAY - timedelta(days=1))}, "starts", "The first day cannot be in the past."),
    ("a first day over a year ahead", {"every": "week", "starts": str(TODAY + timedelta(days=400))}, "starts", "Start within a year."),
    ("no first day", {"every": "week"}, "starts", "Say from which day."),
]
# fmt: on


@pytest.mark.parametrize(("case", "body", "field", "message"), BAD)
def test_a_bad_schedule_is_a_422_naming_the_field(api, submitted, case, body, field, message):
    created = submitted()

    response = api("post", f"/requests/{created['id']}/repeat", json=body)

    assert response.status_code == 422, case
    assert response.json["errors"]["json"][field] == [message], case


def test_a_standing_order_is_made_and_stopped_from_the_pages(submitted, signed_in):
    created = submitted("zhang.wei")
    staff = signed_in("zhang.wei")
    page = staff.get(f"/requests/{created['id']}").get_data(as_text=True)
    assert "Make a standing order" in page

    made = staff.post(
        f"/requests/{created['id']}/repeat",
        {"every": "quarter", "starts": str(TODAY)},
    )
    assert made.status_code == 303
    listing = staff.get(made.location).get_data(as_text=True)
    assert "Standing order made: every quarter" in listing

    order_id = listing.split("/standing-orders/")[1].split("/stop")[0]
    stopped = staff.post(f"/standing-orders/{order_id}/stop", {})
    assert stopped.status_code == 303
    assert "Standing order stopped" in staff.get("/standing-orders").get_data(as_text=True)


def test_a_bad_schedule_on_the_page_is_a_message(submitted, signed_in):
    created = submitted("zhang.wei")
    staff = signed_in("zhang.wei")

    refused = staff.post(
        f"/requests/{created['id']}/repeat",
        {"every": "week", "starts": "2020-01-01"},
    )

    assert refused.status_code == 303
    shown = staff.get(refused.location).get_data(as_text=True)
    assert "Not saved: starts: The first day cannot be in the past." in shown


def test_someone_elses_request_offers_no_standing_order(submitted, signed_in):
    created = submitted("zhang.wei")
    leader = signed_in("li.na")

    assert "Make a standing order" not in leader.get(f"/requests/{created['id']}").get_data(
        as_text=True
    )


def test_everything_that_happened_to_an_order_is_in_its_history(api, repeat, run_job, others):
    order = repeat("week")
    run_job(TODAY)
    others.change_item(active=False)
    run_job(TODAY + timedelta(weeks=1))
    api("post", f"/standing-orders/{order['id']}/stop")

    (shown,) = api("get", "/standing-orders").json["items"]
    history = [(e["action"], e["by"], e["due_on"]) for e in shown["history"]]
    assert history == [
        ("made", "zhang.wei", None),
        ("submitted", "requests", str(TODAY)),
        ("refused", "requests", str(TODAY + timedelta(weeks=1))),
        ("stopped", "zhang.wei", None),
    ]
    assert shown["history"][1]["request_id"] == shown["last_request_id"]
    assert "Unknown item 'PAPER-A4'" in shown["history"][2]["note"]
