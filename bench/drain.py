"""3. Relay drain rate: a backlog in an outbox, as after a broker outage.

20,000 ``request.submitted`` rows wait in a fresh outbox; an ``OutboxRelay``
starts, and the clock runs until every row is marked sent, which the relay
does only after the broker confirmed it. The queue's depth is checked
afterwards, so a count of rows marked sent is also a count of messages held.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date

import pika
from sqlalchemy import create_engine, func, insert, select

from harness.system import wait_until
from procurement_common.db import make_engine, new_metadata, utcnow
from procurement_common.events import REQUEST_SUBMITTED, Event
from procurement_common.outbox import MessagingTables
from procurement_common.relay import OutboxRelay
from procurement_common.topology import Topology, connection_parameters

from .resources import Resources

EVENTS = 20_000
INSERT_CHUNK = 2_000


@dataclass
class DrainResult:
    database: str
    events: int
    seconds: float
    queued: int  # messages in the consuming queue afterwards

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def _submitted(n: int) -> Event:
    """An event the size of a real one-line submission (about 700 bytes)."""
    data = {
        "request_id": f"bench-{n}",
        "round": 1,
        "requester": "zhang.wei",
        "requester_name": "Zhang Wei",
        "department": "FIN",
        "department_name": "Finance",
        "department_head": "li.na",
        "director": "wang.fang",
        "lines": [
            {"sku": "PAPER-A4", "name": "A4 copy paper", "unit": "ream", "quantity": 1},
        ],
        "total": "25.00",
        "purpose": "Benchmark",
        "urgency": "normal",
        "leader_assigned": False,
        "assigned_by": None,
        "needed_by": date.today().isoformat(),
        "submitted_at": utcnow().isoformat(),
    }
    return Event(REQUEST_SUBMITTED, data, "requests", correlation_id=f"bench-{n}")


def _fill(engine, outbox, count: int) -> None:
    now = utcnow()
    with engine.begin() as connection:
        for start in range(0, count, INSERT_CHUNK):
            events = [_submitted(n) for n in range(start, min(start + INSERT_CHUNK, count))]
            connection.execute(
                insert(outbox),
                [
                    {
                        "event_id": event.id,
                        "type": event.type,
                        "body": event.to_json(),
                        "created_at": now,
                        "attempts": 0,
                    }
                    for event in events
                ],
            )


def _queue_depth(amqp_url: str, queue: str) -> int:
    connection = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        declared = connection.channel().queue_declare(queue, passive=True)
        return declared.method.message_count
    finally:
        connection.close()


def measure(kind: str, events: int = EVENTS) -> DrainResult:
    with ExitStack() as stack:
        resources = Resources(stack)
        amqp_url = resources.virtual_host()
        url = resources.database(kind, "outbox")
        engine = make_engine(url)
        # Polled with a plain engine: make_engine's BEGIN IMMEDIATE would take
        # SQLite's write lock for each look and hold up the relay's marking.
        reader = create_engine(url)
        stack.callback(engine.dispose)
        stack.callback(reader.dispose)
        messaging = MessagingTables.define(new_metadata())
        messaging.outbox.metadata.create_all(engine)
        _fill(engine, messaging.outbox, events)
        topology = Topology()
        unsent = select(func.count()).where(messaging.outbox.c.sent_at.is_(None))

        def drained() -> bool:
            with reader.connect() as connection:
                return connection.scalar(unsent) == 0

        stop = threading.Event()
        relay = OutboxRelay(engine, messaging.outbox, amqp_url, topology)
        thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
        started = time.perf_counter()
        thread.start()
        try:
            wait_until(drained, timeout=120, what="the outbox to drain")
            seconds = time.perf_counter() - started
        finally:
            stop.set()
            thread.join(timeout=15)
        queued = _queue_depth(amqp_url, topology.queue_name("approvals"))
        return DrainResult(kind, events, seconds, queued)
