"""Nothing is lost and nothing is applied twice when parts of the system fail.

Each case prints a line: how many requests were sent, accepted and arrived
(reserved at the end of the whole path), and how many were applied twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pika

from procurement_common import events as ev
from procurement_common.db import new_id, utcnow
from procurement_common.events import Event
from procurement_common.topology import Topology, connection_parameters

from support import poll
from system import broker_down
from workload import Workload


def test_rabbitmq_stopped_for_20_seconds_in_the_middle_of_200_submissions(system):
    work = Workload(system)
    work.submit(100)
    poll(lambda: len(work.pending_tasks()) == 100, timeout=60, message="the first tasks")
    with broker_down():
        outage_ends = time.monotonic() + 20
        work.submit(100)  # accepted: the events wait in the outbox
        while time.monotonic() < outage_ends:
            work.approve_pending()  # decisions are taken; their events wait too
    work.approve_all()
    work.wait_for_reservations()
    work.tally("rabbitmq stopped 20 s").assert_nothing_lost_or_doubled()


def test_each_worker_killed_in_the_middle_of_a_stream_and_restarted(system):
    work = Workload(system)
    for worker in ("requests-worker", "approvals-worker", "inventory-worker"):
        work.submit(20)
        work.approve_pending()
        system.kill(worker)  # SIGKILL: no chance to finish or ack anything
        work.submit(20)
        work.approve_pending()
        system.start(worker)
    work.approve_all()
    work.wait_for_reservations()
    work.tally("each worker SIGKILLed").assert_nothing_lost_or_doubled()


def postmaster_started() -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SELECT pg_postmaster_start_time()"],
        capture_output=True, text=True, timeout=30,
    ).stdout.strip()  # fmt: skip


def test_postgresql_restarted_during_load_and_the_services_recover_by_themselves(system):
    work = Workload(system)
    work.submit(30)
    started_before = postmaster_started()
    cluster = subprocess.run(["ls", "/etc/postgresql"], capture_output=True, text=True).stdout
    restart = subprocess.Popen(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster.strip(), "main", "restart"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    work.submit(30)  # some of these meet the restart: 503, retried with the same key
    assert restart.wait(timeout=120) == 0
    assert poll(postmaster_started, message="PostgreSQL back") != started_before
    work.submit(10)
    work.approve_all()
    work.wait_for_reservations()
    work.tally("postgresql restarted").assert_nothing_lost_or_doubled()


class Injector:
    """Publishes straight onto the system's exchange, like a misbehaving peer."""

    def __init__(self, amqp_url: str):
        self.connection = pika.BlockingConnection(connection_parameters(amqp_url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def publish(self, body: str | bytes, routing_key: str) -> None:
        self.channel.basic_publish(
            Topology().exchange,
            routing_key,
            body.encode() if isinstance(body, str) else body,
            pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent),
            mandatory=True,
        )

    def close(self):
        self.connection.close()


def submitted(request_id: str) -> Event:
    return Event.new(
        ev.REQUEST_SUBMITTED,
        {
            "request_id": request_id,
            "round": 1,
            "requester": "zhang.wei",
            "requester_name": "Zhang Wei",
            "department": "FIN",
            "department_name": "Finance",
            "department_head": "li.na",
            "director": "wang.fang",
            "lines": [
                {
                    "sku": "PAPER-A4",
                    "name": "A4 paper",
                    "unit": "ream",
                    "quantity": 1,
                    "unit_cost": "25.00",
                },
            ],
            "total": "25.00",
            "purpose": "injected",
            "urgency": "normal",
            "leader_assigned": False,
            "submitted_at": utcnow(),
        },
        source="requests",
        correlation_id=request_id,
    )


def test_an_event_injected_twice_or_out_of_order_has_one_effect(system):
    work = Workload(system)
    injector = Injector(system.amqp_url)
    twice, cancelled_first = new_id(), new_id()
    try:
        event = submitted(twice)
        injector.publish(event.to_json(), event.type)
        injector.publish(event.to_json(), event.type)
        cancel = Event.new(
            ev.REQUEST_CANCELLED, {"request_id": cancelled_first, "by": "zhang.wei"},
            source="requests", correlation_id=cancelled_first,
        )  # fmt: skip
        injector.publish(cancel.to_json(), cancel.type)
        late = submitted(cancelled_first)
        injector.publish(late.to_json(), late.type)
    finally:
        injector.close()
    # A marker request sent after them: once it has a task, the others were handled.
    work.submit(1)
    poll(
        lambda: any(t["request_id"] == work.submitted[0] for t in work.pending_tasks()),
        message="the marker's task",
    )

    def tasks_for(request_id):
        return work.leader.get("approvals", "/approvals", params={"request_id": request_id})

    twice_tasks = tasks_for(twice).json()["items"]
    late_pending = [
        t for t in tasks_for(cancelled_first).json()["items"] if t["status"] == "pending"
    ]
    print(
        f"faults: injected: twice -> {len(twice_tasks)} task(s); "
        f"cancelled before submitted -> {len(late_pending)} pending task(s)"
    )
    assert len(twice_tasks) == 1
    assert late_pending == []


def test_a_poison_message_is_dead_lettered_later_ones_flow_and_it_can_be_listed(system):
    work = Workload(system)
    injector = Injector(system.amqp_url)
    try:
        injector.publish(b"\x00 this is not an event", ev.REQUEST_SUBMITTED)
        poisoned = json.loads(submitted(new_id()).to_json())
        poisoned["data"]["lines"] = "not a list"
        injector.publish(json.dumps(poisoned), ev.REQUEST_SUBMITTED)
    finally:
        injector.close()
    work.submit(1)
    poll(lambda: work.pending_tasks(), message="the later request's task")

    def listed():
        result = subprocess.run(
            [sys.executable, "-m", "approval_service", "dead-letters", "list"],
            env=system.env("approvals"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout if "2 dead letter(s)" in result.stdout else None

    output = poll(listed, timeout=60, interval=1.0, message="two dead letters listed")
    print(f"faults: poison: {output.strip().splitlines()[-1]}; later request flowed")
    assert poisoned["id"] in output
