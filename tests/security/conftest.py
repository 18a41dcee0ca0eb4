"""The three services in one process, on fresh databases with the demo data,
their events carried between them by hand instead of by RabbitMQ; and a
small office world in them, so that every path names something real.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from procurement_common.db import utcnow
from request_service import seed as request_seed

from support import TEST_SECRET

PACKAGES = {
    "requests": "request_service",
    "inventory": "inventory_service",
    "approvals": "approval_service",
}
# The apps never reach a broker: events travel through ``Office.settle``.
NO_BROKER = "amqp://guest:guest@127.0.0.1:9/%2F"

# One demo person for each role of the contract.
PERSON_OF_ROLE = {
    "staff": "zhang.wei",
    "leader": "li.na",
    "director": "wang.fang",
    "clerk": "chen.jie",
    "admin": "admin",
}
# Chinese text in every free-text field a person can type.
PURPOSE = "季度报告打印用纸"
NOTE = "已收到，谢谢！"
COMMENT = "数量太多，请减半后重新提交。"
REASON = "盘点时发现两包受潮损坏"
ITEM_NAME = "中性笔（蓝色，0.5毫米）"


@dataclass
class Office:
    """The three apps, and the events between them."""

    apps: dict[str, Flask]
    token: Callable[[str], str]  # a valid bearer token for a demo person

    def __post_init__(self):
        self.clients: dict[str, FlaskClient] = {
            name: app.test_client() for name, app in self.apps.items()
        }
        self.consumers = {
            name: importlib.import_module(PACKAGES[name]).service.consumer(
                app.config["SETTINGS"], app.extensions["database"]
            )
            for name, app in self.apps.items()
        }

    def settle(self) -> None:
        """Deliver every unsent event to the other services until none is left, as the relays would."""
        while True:
            sent = 0
            for name, app in self.apps.items():
                database = app.extensions["database"]
                outbox = database.messaging.outbox
                with database.engine.begin() as connection:
                    rows = connection.execute(
                        select(outbox.c.id, outbox.c.body).where(outbox.c.sent_at.is_(None))
                    ).all()
                    connection.execute(
                        update(outbox)
                        .where(outbox.c.id.in_([row.id for row in rows]))
                        .values(sent_at=utcnow())
                    )
                for row in rows:
                    for other, consumer in self.consumers.items():
                        if other != name:
                            assert consumer.apply(row.body.encode()) in ("applied", "ignored")
                sent += len(rows)
            if not sent:
                return

    def call(self, service: str, method: str, path: str, username: str, **kwargs):
        """A JSON API call as a demo person, with a valid token."""
        headers = {"Authorization": f"Bearer {self.token(username)}", **kwargs.pop("headers", {})}
        return self.clients[service].open(
            f"/api/v1{path}", method=method.upper(), headers=headers, **kwargs
        )


@dataclass(frozen=True)
class World:
    """What the office holds once the demo data is in and a few requests went round."""

    pending_request: str  # liu.yang's, waiting for zhao.lei's decision
    pending_task: str
    reserved_request: str  # liu.yang's, approved and reserved in the stock room
    decided_task: str
    sku: str = "PAPER-A4"


@pytest.fixture
def cheap_password_hashes(monkeypatch):
    # The demo passwords hashed cheaply: seven real scrypt hashes cost a second.
    monkeypatch.setattr(
        request_seed,
        "generate_password_hash",
        partial(generate_password_hash, method="pbkdf2:sha256:1"),
    )


@pytest.fixture
def service_config(new_database_url):
    """The settings of one service on a fresh database of its own."""

    def config(service: str, **settings) -> dict:
        return {
            "DATABASE_URL": new_database_url(package=PACKAGES[service]),
            "AUTH_SECRET": TEST_SECRET,
            "AMQP_URL": NO_BROKER,
            # The live alert stream ends at once instead of holding the client 20 s.
            "ALERT_STREAM_SECONDS": 0,
            **settings,
        }

    return config


@pytest.fixture
def office(service_config, token_for, cheap_password_hashes):
    apps = {}
    for name, package in PACKAGES.items():
        service = importlib.import_module(package).service
        config = service_config(name)
        apps[name] = service.create_app(config)
        service.seed_if_empty(service.settings(config))
    office = Office(apps, token_for)
    office.settle()  # the requests service's catalog copy fills from inventory's items
    yield office
    for app in apps.values():
        app.extensions["database"].engine.dispose()


@pytest.fixture
def world(office) -> World:
    def submit(purpose: str) -> str:
        body = {"lines": [{"sku": "PAPER-A4", "quantity": 3}], "purpose": purpose}
        response = office.call("requests", "post", "/requests", "liu.yang", json=body)
        assert response.status_code == 201, response.json
        return response.json["id"]

    def task_of(request_id: str) -> str:
        office.settle()
        response = office.call(
            "approvals", "get", f"/approvals?request_id={request_id}", "zhao.lei"
        )
        return response.json["items"][0]["id"]

    reserved, pending = submit(PURPOSE), submit("Printer paper for the sales fair")
    decided = task_of(reserved)
    response = office.call(
        "approvals",
        "post",
        f"/approvals/{decided}/decision",
        "zhao.lei",
        json={"decision": "approve", "comment": COMMENT},
    )
    assert response.status_code == 200, response.json
    office.settle()
    return World(
        pending_request=pending,
        pending_task=task_of(pending),
        reserved_request=reserved,
        decided_task=decided,
    )
