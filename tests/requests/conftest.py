"""Fixtures for the requests service: an app on a fresh database with the demo
people and a small catalog, a signed-in browser-like client, the events
other services would send, and servers on free ports."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from procurement_common import events as ev
from procurement_common.events import Event
from request_service import create_app, seed, service
from request_service.models import CatalogItem, SupplyRequest
from tests.conftest import TEST_SECRET

CATALOG = [
    # sku, name, unit, unit cost, available
    ("PAPER-A4", "A4 copy paper", "ream", "25.00", 200),
    ("PEN-GEL-BLK", "Gel pens, black", "box", "18.00", 60),
    ("TONER-HP-26A", "HP 26A toner", "piece", "420.00", 6),
]
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def config(database_url) -> dict:
    return {"DATABASE_URL": database_url, "AUTH_SECRET": TEST_SECRET}


@pytest.fixture
def app(config, monkeypatch):
    # The demo passwords hashed cheaply: seven real scrypt hashes cost a second per test.
    monkeypatch.setattr(
        seed, "generate_password_hash", partial(generate_password_hash, method="pbkdf2:sha256:1")
    )
    app = create_app(config)
    service.seed_if_empty(service.settings(config))
    add_catalog(app.extensions["database"])
    yield app
    app.extensions["database"].engine.dispose()


def add_catalog(database, items=CATALOG) -> None:
    with database.sessions.begin() as session:
        for sku, name, unit, cost, available in items:
            session.add(
                CatalogItem(
                    sku=sku,
                    name=name,
                    unit=unit,
                    unit_cost=Decimal(cost),
                    available=available,
                    changed_at=datetime.now(UTC),
                )
            )


@pytest.fixture
def database(app):
    return app.extensions["database"]


@pytest.fixture
def stored_requests(database):
    """How many requests the database holds: bad input must leave it unchanged."""

    def count() -> int:
        with database.sessions() as session:
            return session.scalar(select(func.count()).select_from(SupplyRequest))

    return count


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client, auth_header):
    """JSON calls as a demo person: ``api("post", "/requests", "zhang.wei", json=...)``."""

    def call(method: str, path: str, username: str = "zhang.wei", **kwargs):
        headers = {**auth_header(username), **kwargs.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method.upper(), headers=headers, **kwargs)

    return call


def request_body(**changes) -> dict:
    body = {
        "lines": [{"sku": "PAPER-A4", "quantity": 5}, {"sku": "PEN-GEL-BLK", "quantity": 2}],
        "purpose": "Quarterly report printing",
        "urgency": "normal",
        "leader_assigned": False,
        "needed_by": (datetime.now(UTC).date() + timedelta(days=7)).isoformat(),
    }
    return {**body, **changes}


@pytest.fixture
def submitted(api):
    """Submit a request through the API as ``username``; returns its JSON."""

    def submit(username: str = "zhang.wei", **changes) -> dict:
        response = api("post", "/requests", username, json=request_body(**changes))
        assert response.status_code == 201, response.json
        return response.json

    return submit


class Visitor:
    """A person using the pages through the test client, CSRF token and all."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def csrf_token(self, page: str = "/login") -> str:
        return CSRF_FIELD.search(self.client.get(page).text)[1]

    def post(self, path: str, data: dict, *, csrf: bool = True, **kwargs):
        data = {"csrf_token": self.csrf_token(), **data} if csrf else data
        return self.client.post(path, data=data, **kwargs)

    def sign_in(self, username: str, password: str = "demo-pass", next_url: str = "/"):
        return self.post("/login", {"username": username, "password": password, "next": next_url})


@pytest.fixture
def visitor(client) -> Visitor:
    return Visitor(client)


@pytest.fixture
def signed_in(app):
    """A visitor signed in through the sign-in form, each with a client of their own."""

    def sign_in(username: str) -> Visitor:
        person = Visitor(app.test_client())
        assert person.sign_in(username).status_code == 303
        return person

    return sign_in


def new_request_form(**changes) -> dict:
    form = {
        "lines-0-sku": "PAPER-A4",
        "lines-0-quantity": "5",
        "lines-1-sku": "PEN-GEL-BLK",
        "lines-1-quantity": "2",
        "purpose": "Printing the quarterly report",
        "urgency": "normal",
        "assigned_by": "",
        "needed_by": "",
    }
    return {**form, **changes}


class OtherServices:
    """The events approvals and inventory send, applied as the worker would."""

    def __init__(self, consumer):
        self.consumer = consumer

    def deliver(self, event: Event) -> str:
        return self.consumer.apply(event.to_json().encode())

    def send(self, type_: str, data: dict, source: str, *, at: datetime | None = None) -> Event:
        event = Event.new(type_, data, source=source, correlation_id=data.get("request_id"))
        if at is not None:
            event = replace(event, occurred_at=at)
        assert self.deliver(event) == "applied"
        return event

    def approve(self, request: dict, by="li.na", round=1, cut=None, comment=None) -> Event:
        cut = cut or {}
        lines = [
            {
                "sku": line["sku"],
                "quantity": line["quantity"],
                "approved_quantity": cut.get(line["sku"], line["quantity"]),
            }
            for line in request["lines"]
        ]
        return self.send(
            ev.APPROVAL_APPROVED,
            {
                "request_id": request["id"],
                "round": round,
                "by": by,
                "comment": comment,
                "lines": lines,
                "requester": request["requester"],
                "department": request["department"],
                "urgency": request["urgency"],
                "leader_assigned": request["leader_assigned"],
                "needed_by": request["needed_by"] and date.fromisoformat(request["needed_by"]),
                "submitted_at": datetime.fromisoformat(request["created_at"]),
            },
            "approvals",
        )

    def close(self, request: dict, outcome: str, comment: str, by="li.na", round=1) -> Event:
        data = {"request_id": request["id"], "round": round, "by": by, "comment": comment}
        return self.send(outcome, data, "approvals")

    def reserve(self, request: dict, reserved: dict[str, int], short=None) -> Event:
        """Reserve ``reserved`` per item; ``short`` lists what is still missing."""
        short = short or {}
        lines = [
            {
                "sku": line["sku"],
                "reserved_quantity": reserved.get(line["sku"], 0),
                "backordered_quantity": short.get(line["sku"], 0),
            }
            for line in request["lines"]
        ]
        data = {"request_id": request["id"], "lines": lines, "backordered": sorted(short)}
        return self.send(ev.STOCK_RESERVED, data, "inventory")

    def issue(self, request: dict, issued: dict[str, int], complete=True) -> Event:
        lines = [{"sku": sku, "issued_quantity": quantity} for sku, quantity in issued.items()]
        data = {"request_id": request["id"], "by": "chen.jie", "lines": lines, "complete": complete}
        return self.send(ev.STOCK_ISSUED, data, "inventory")

    def change_item(self, at: datetime | None = None, **item) -> Event:
        data = {
            "sku": "PAPER-A4",
            "name": "A4 copy paper",
            "unit": "ream",
            "unit_cost": "25.00",
            "available": 200,
            "reorder_level": 40,
            "reorder_quantity": 100,
            **item,
        }
        return self.send(ev.ITEM_CHANGED, data, "inventory", at=at)


@pytest.fixture
def others(config, database) -> OtherServices:
    return OtherServices(service.consumer(service.settings(config), database))


@contextmanager
def serving(wsgi_app) -> Iterator[str]:
    """Serve ``wsgi_app`` on a free local port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
