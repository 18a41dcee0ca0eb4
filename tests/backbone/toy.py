"""A toy service on the shared plumbing: one counter per key, bumped by an event.

If an event were applied twice, its counter would say 2.
"""

from __future__ import annotations

import time

from sqlalchemy import Column, Integer, String, Table, select
from sqlalchemy.orm import Session

from procurement_common import events as ev
from procurement_common.consumer import EventConsumer
from procurement_common.db import make_engine, new_metadata
from procurement_common.events import Event
from procurement_common.outbox import MessagingTables

metadata = new_metadata()
messaging = MessagingTables.define(metadata)
counters = Table(
    "counters",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

SLOW_SECONDS = 8.0
# Events from these senders fail in the handler: a bug that a fix can cure.
FAILING_SENDERS = {"poison"}

# The toy listens where the approvals service would.
QUEUE_OWNER = "approvals"
EVENT_TYPE = ev.REQUEST_CANCELLED


def bump(session: Session, event: Event) -> None:
    if event.data["by"] in FAILING_SENDERS:
        raise RuntimeError("this event cannot be handled")
    if event.data["by"] == "slow":
        time.sleep(SLOW_SECONDS)
    key = event.data["request_id"]
    current = session.scalar(select(counters.c.value).where(counters.c.key == key))
    if current is None:
        session.execute(counters.insert().values(key=key, value=1))
    else:
        session.execute(counters.update().where(counters.c.key == key).values(value=current + 1))


def new_event(key: str, by: str = "someone") -> Event:
    return Event.new(EVENT_TYPE, {"request_id": key, "by": by}, source="toy", correlation_id=key)


def setup_database(url: str):
    engine = make_engine(url)
    metadata.create_all(engine)
    return engine


def consumer(engine, amqp_url: str, cls=EventConsumer, **kwargs) -> EventConsumer:
    return cls(
        QUEUE_OWNER,
        engine,
        messaging.processed_events,
        {EVENT_TYPE: bump},
        amqp_url,
        **kwargs,
    )


def counter(engine, key: str) -> int | None:
    with engine.connect() as connection:
        return connection.scalar(select(counters.c.value).where(counters.c.key == key))
