"""Fixtures for the inventory tests: an app on a fresh database with no
broker (events stay in the outbox), a way to deliver events to its
consumer, and helpers to read what it published."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from inventory_service import create_app, jobs, service
from inventory_service.models import Handout
from procurement_common import events as ev
from procurement_common.events import Event

from support import TEST_SECRET

# Nothing listens here: the web app only needs a broker for /readyz.
NO_BROKER = "amqp://guest:guest@127.0.0.1:9/%2F"


def make_app(database_url: str, **settings):
    return create_app(
        {
            "DATABASE_URL": database_url,
            "AUTH_SECRET": TEST_SECRET,
            "AMQP_URL": NO_BROKER,
            **settings,
        }
    )


@pytest.fixture
def app_for():
    """Make inventory apps on given databases; their engines are closed afterwards."""
    apps = []

    def make(database_url: str, **settings):
        apps.append(make_app(database_url, **settings))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["database"].engine.dispose()


@pytest.fixture
def app(app_for, database_url):
    return app_for(database_url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def database(app):
    return app.extensions["database"]


@pytest.fixture
def clerk(auth_header):
    return auth_header("chen.jie")


@pytest.fixture
def staff(auth_header):
    return auth_header("zhang.wei")


@pytest.fixture
def add_item(client, clerk):
    """Add an item with its opening stock through the API."""

    def add(sku, on_hand=0, reorder_level=0, reorder_quantity=10, unit_cost="5.00", **fields):
        body = {
            "sku": sku,
            "name": fields.pop("name", f"Item {sku}"),
            "unit": fields.pop("unit", "piece"),
            "unit_cost": unit_cost,
            "reorder_level": reorder_level,
            "reorder_quantity": reorder_quantity,
            "on_hand": on_hand,
            **fields,
        }
        response = client.post("/api/v1/items", json=body, headers=clerk)
        assert response.status_code == 201, response.json
        return response.json

    return add


@pytest.fixture
def deliver(app, database):
    """Hand one event to the inventory consumer, as the broker would."""
    consumer = service.consumer(app.config["SETTINGS"], database)

    def deliver(event: Event) -> str:
        return consumer.apply(event.to_json().encode())

    return deliver


@pytest.fixture
def announce(app, database):
    """Run the worker's job that announces what is available of items whose stock moved."""
    (job,) = jobs.timed_jobs(app.config["SETTINGS"], database)
    return job.run


def outbox_data(database, event_type: str | None = None) -> list[dict]:
    """The data of the events in a database's outbox, oldest first; optionally of one type."""
    outbox = database.messaging.outbox
    with database.engine.connect() as connection:
        bodies = connection.execute(select(outbox.c.body).order_by(outbox.c.id)).scalars()
        events = [json.loads(body) for body in bodies]
    return [e["data"] for e in events if event_type is None or e["type"] == event_type]


@pytest.fixture
def published_for():
    return outbox_data


@pytest.fixture
def published(database):
    """The data of the events the app's outbox holds, oldest first; optionally of one type."""
    return lambda event_type=None: outbox_data(database, event_type)


def make_approval(
    request_id: str,
    lines: dict[str, int],
    *,
    urgency: str = "normal",
    leader_assigned: bool = False,
    needed_by: str | None = None,
    submitted_at: str = "2024-05-01T09:00:00+00:00",
    department: str = "FIN",
    department_name: str | None = None,
    **more,
) -> Event:
    """``more``: data that later approvals carry (``requester_name``, ``purpose``)."""
    return Event.new(
        ev.APPROVAL_APPROVED,
        {
            "request_id": request_id,
            "round": 1,
            "by": "li.na",
            "lines": [
                {"sku": sku, "quantity": quantity, "approved_quantity": quantity}
                for sku, quantity in lines.items()
            ],
            "requester": "zhang.wei",
            "department": department,
            "department_name": department_name,
            "urgency": urgency,
            "leader_assigned": leader_assigned,
            "needed_by": needed_by,
            "submitted_at": datetime.fromisoformat(submitted_at).astimezone(UTC),
            **more,
        },
        source="approvals",
        correlation_id=request_id,
    )


def make_closed(event_type: str, request_id: str) -> Event:
    return Event.new(event_type, {"request_id": request_id, "by": "zhang.wei"}, source="requests")


@pytest.fixture
def approved():
    """``approved(request_id, {sku: quantity}, urgency=..., ...)``: an approval.approved event."""
    return make_approval


@pytest.fixture
def cancelled():
    return lambda request_id: make_closed(ev.REQUEST_CANCELLED, request_id)


@pytest.fixture
def received():
    return lambda request_id: make_closed(ev.REQUEST_RECEIVED, request_id)


@pytest.fixture
def hand_out(client, clerk, deliver, approved, database):
    """Approve, reserve and hand out a request for a department, at a chosen moment."""

    def hand_out(request_id, lines, at, department="FIN", department_name=None):
        deliver(approved(request_id, lines, department=department, department_name=department_name))
        response = client.post("/api/v1/handouts", json={"request_id": request_id}, headers=clerk)
        assert response.status_code == 200, response.json
        with database.engine.begin() as connection:
            connection.execute(
                update(Handout).where(Handout.request_id == request_id).values(at=at)
            )

    return hand_out
