"""A harness for the approvals service: feed it events as the consumer
would, act through its API as people would, and read what it published."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from conftest import DEMO_PEOPLE
from flask.testing import FlaskClient
from sqlalchemy import select

from approval_service import service
from approval_service.seed import load_demo_data
from procurement_common import events as ev
from procurement_common.db import new_id, utcnow
from procurement_common.events import Event

# The API tests never touch the broker: events go straight to the consumer's
# apply() and come out of the outbox table. The URL is never connected to.
UNUSED_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/approvals-tests-unused"

DEPARTMENTS = {
    "FIN": ("Finance", "li.na"),
    "SAL": ("Sales", "zhao.lei"),
    "GO": ("General Office", "wang.fang"),
}
DIRECTOR = "wang.fang"
CATALOG = {
    "PAPER-A4": ("A4 paper", "ream", Decimal("25.00")),
    "PEN-GEL-BLK": ("Gel pen, black", "box", Decimal("18.00")),
    "TONER-HP-26A": ("HP 26A toner", "piece", Decimal("420.00")),
}


def submitted_event(
    requester: str = "zhang.wei",
    lines: dict[str, int] | None = None,
    *,
    request_id: str | None = None,
    round: int = 1,
    urgency: str = "normal",
    leader_assigned: bool = False,
    needed_by: date | None = None,
    submitted_at: datetime | None = None,
    director: str | None = DIRECTOR,
    with_names: bool = True,
) -> Event:
    """A ``request.submitted`` as the requests service sends it (without the
    leaders' names, as it sent it before they were carried)."""
    department = DEMO_PEOPLE[requester][0]
    department_name, head = DEPARTMENTS[department]
    lines = lines or {"PAPER-A4": 10}
    data_lines = [
        {
            "sku": sku,
            "name": CATALOG[sku][0],
            "unit": CATALOG[sku][1],
            "quantity": quantity,
            "unit_cost": CATALOG[sku][2],
        }
        for sku, quantity in lines.items()
    ]
    request_id = request_id or new_id()
    data = {
        "request_id": request_id,
        "round": round,
        "requester": requester,
        "requester_name": name_of(requester),
        "department": department,
        "department_name": department_name,
        "department_head": head,
        "director": director,
        "lines": data_lines,
        "total": sum(line["unit_cost"] * line["quantity"] for line in data_lines),
        "purpose": "For the quarterly report",
        "urgency": urgency,
        "leader_assigned": leader_assigned,
        "assigned_by": None,
        "needed_by": needed_by,
        "submitted_at": submitted_at or utcnow(),
    }
    if with_names:
        data["department_head_name"] = name_of(head)
        data["director_name"] = director and name_of(director)
    return Event.new(ev.REQUEST_SUBMITTED, data, source="requests", correlation_id=request_id)


def name_of(username: str) -> str:
    """The demo people's names, as the test tokens also give them: "Li Na" for li.na."""
    return username.replace(".", " ").title()


def cancelled_event(request_id: str, by: str = "zhang.wei") -> Event:
    return Event.new(
        ev.REQUEST_CANCELLED,
        {"request_id": request_id, "by": by},
        source="requests",
        correlation_id=request_id,
    )


@dataclass
class Approvals:
    """The service under test, driven the way the worker and people drive it."""

    app: object
    client: FlaskClient
    token_for: object

    @property
    def database(self):
        return self.app.extensions["database"]

    @property
    def settings(self):
        return self.app.config["SETTINGS"]

    def seed(self) -> None:
        """The demo data: the demo policy, and the demo leaders known."""
        with self.database.sessions.begin() as session:
            load_demo_data(session, self.settings)

    # -- events in ------------------------------------------------------
    def deliver(self, event: Event) -> str:
        consumer = service.consumer(self.settings, self.database)
        return consumer.apply(event.to_json().encode())

    def submit(self, requester: str = "zhang.wei", lines=None, **kwargs) -> str:
        """Deliver a submission; give its request id."""
        event = submitted_event(requester, lines, **kwargs)
        assert self.deliver(event) == "applied"
        return event.data["request_id"]

    # -- events out -----------------------------------------------------
    def published(self, event_type: str | None = None, request_id: str | None = None) -> list:
        outbox = self.database.messaging.outbox
        with self.database.engine.connect() as connection:
            bodies = connection.scalars(select(outbox.c.body).order_by(outbox.c.id)).all()
        found = [json.loads(body) for body in bodies]
        return [
            e
            for e in found
            if (event_type is None or e["type"] == event_type)
            and (request_id is None or e["data"]["request_id"] == request_id)
        ]

    # -- people ---------------------------------------------------------
    def headers(self, username: str, **kwargs) -> dict:
        return {"Authorization": f"Bearer {self.token_for(username, **kwargs)}"}

    def get(self, username: str, path: str, **params):
        return self.client.get(
            f"/api/v1{path}", headers=self.headers(username), query_string=params
        )

    def inbox(self, username: str, **params) -> list[dict]:
        response = self.get(username, "/approvals", status="pending", **params)
        assert response.status_code == 200, response.json
        return response.json["items"]

    def task_for(self, username: str, request_id: str) -> dict:
        (task,) = self.inbox(username, request_id=request_id)
        return task

    def decide(self, username: str, task_id: str, decision: str = "approve", **body):
        return self.client.post(
            f"/api/v1/approvals/{task_id}/decision",
            headers=self.headers(username),
            json={"decision": decision, **body},
        )

    def delegate(self, leader: str, delegate: str, starts: date, ends: date):
        return self.client.post(
            "/api/v1/delegations",
            headers=self.headers(leader),
            json={"delegate": delegate, "starts": str(starts), "ends": str(ends)},
        )
