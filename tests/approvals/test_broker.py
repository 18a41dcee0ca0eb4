"""Through the real broker: events in through the approvals queue, decisions
through the API, events out through the outbox relay."""

from __future__ import annotations

import contextlib
import json
import threading

import pika
import pytest
from approvals_support import Approvals, submitted_event

from approval_service import create_app, service
from procurement_common.topology import Topology, connection_parameters

from support import poll


class Requests:
    """Stands in for the requests service: publishes its events, hears approvals'."""

    def __init__(self, amqp_url: str):
        self.topology = Topology()
        self.connection = pika.BlockingConnection(connection_parameters(amqp_url))
        self.channel = self.connection.channel()
        self.topology.declare(self.channel)
        self.channel.confirm_delivery()
        self.heard = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.heard, self.topology.exchange, routing_key="approval.*")
        self.received: list[dict] = []

    def publish(self, event) -> None:
        self.channel.basic_publish(
            self.topology.exchange,
            event.type,
            event.to_json().encode(),
            pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent),
            mandatory=True,
        )

    def events(self, event_type: str) -> list[dict]:
        while True:
            method, _properties, body = self.channel.basic_get(self.heard, auto_ack=True)
            if method is None:
                break
            self.received.append(json.loads(body))
        return [e for e in self.received if e["type"] == event_type]

    def close(self) -> None:
        with contextlib.suppress(pika.exceptions.AMQPError):
            self.connection.close()


@pytest.fixture
def live(overrides, amqp_url, token_for):
    """The approvals web app and its worker's consumer and relay, on a fresh vhost."""
    app = create_app({**overrides, "AMQP_URL": amqp_url})
    settings, database = app.config["SETTINGS"], app.extensions["database"]
    stop = threading.Event()
    loops = [service.consumer(settings, database).run, service.relay(settings, database).run]
    threads = [threading.Thread(target=loop, args=(stop,), daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    yield Approvals(app=app, client=app.test_client(), token_for=token_for)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    database.engine.dispose()


@pytest.fixture
def requests_service(live, amqp_url):
    stand_in = Requests(amqp_url)
    yield stand_in
    stand_in.close()


def test_a_two_level_approval_with_a_delegate_through_the_broker(
    live, requests_service, today, days
):
    live.seed()
    assert live.delegate("li.na", "zhao.lei", today, today + days(1)).status_code == 201
    event = submitted_event("zhang.wei", {"TONER-HP-26A": 3, "PAPER-A4": 4})  # 1360.00
    request_id = event.data["request_id"]

    requests_service.publish(event)

    first = poll(lambda: live.inbox("zhao.lei", request_id=request_id), message="level-1 task")[0]
    assert first["approver"] == "li.na"
    assert (
        live.decide(
            "zhao.lei", first["id"], lines=[{"sku": "TONER-HP-26A", "approved_quantity": 2}]
        ).json["decision"]["acting_for"]
        == "li.na"
    )
    second = poll(lambda: live.inbox("wang.fang", request_id=request_id), message="level 2")[0]
    assert live.decide("wang.fang", second["id"]).status_code == 200

    (approved,) = poll(
        lambda: requests_service.events("approval.approved"), message="approval.approved"
    )
    assert approved["correlation_id"] == request_id
    assert approved["data"]["by"] == "wang.fang"
    assert approved["data"]["lines"] == [
        {"sku": "TONER-HP-26A", "quantity": 3, "approved_quantity": 2},
        {"sku": "PAPER-A4", "quantity": 4, "approved_quantity": 4},
    ]
    requested = requests_service.events("approval.requested")
    assert [(e["data"]["level"], e["data"]["approver"]) for e in requested] == [
        (1, "li.na"),
        (2, "wang.fang"),
    ]


def test_a_submission_delivered_twice_through_the_broker_makes_one_task(live, requests_service):
    event = submitted_event("zhang.wei")
    request_id = event.data["request_id"]

    requests_service.publish(event)
    requests_service.publish(event)

    # A marker published after the copy: the consumer applies in order, so once
    # the marker's task is announced, the copy has been dealt with.
    marker = submitted_event("liu.yang")
    requests_service.publish(marker)
    announced = poll(
        lambda: [
            e
            for e in requests_service.events("approval.requested")
            if e["correlation_id"] == marker.data["request_id"]
        ],
        message="the marker's task",
    )
    assert announced
    assert len(live.inbox("li.na", request_id=request_id)) == 1
    assert [e["correlation_id"] for e in requests_service.events("approval.requested")] == [
        request_id,
        marker.data["request_id"],
    ]
