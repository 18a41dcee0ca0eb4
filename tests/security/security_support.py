"""The three services in one process, their events carried between them by
hand instead of by RabbitMQ, and the names the security tests share."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from procurement_common.db import utcnow

PACKAGES = {
    "requests": "request_service",
    "inventory": "inventory_service",
    "approvals": "approval_service",
}
# The apps never reach a broker: events travel through ``Office.settle``.
NO_BROKER = "amqp://guest:guest@127.0.0.1:9/%2F"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')

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


def service_of(name: str):
    """The ``Service`` of a service by its short name ("requests", ...)."""
    return importlib.import_module(PACKAGES[name]).service


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
            name: service_of(name).consumer(app.config["SETTINGS"], app.extensions["database"])
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
    delegation: str  # zhao.lei's to li.na, from ten days on: nobody asked holds it
    standing_order: str  # liu.yang's, monthly
    sku: str = "PAPER-A4"
