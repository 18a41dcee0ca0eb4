"""The idempotent consumer.

The pika connection lives in one thread and only turns its I/O loop, so
heartbeats are answered however long a handler takes; handlers run in a
second thread and hand their acks back with ``add_callback_threadsafe``
(pika connections are not thread-safe). A message is acked only after the
transaction that applied it and recorded its event id has committed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pika
from pika.exceptions import AMQPError
from sqlalchemy import Engine, Table, insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .db import reading, utcnow
from .events import Event, InvalidEvent
from .topology import Topology, connection_parameters

log = logging.getLogger(__name__)

Handler = Callable[[Session, Event], None]


class Outcome:
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    POISON = "poison"
    FAILED = "failed"


@dataclass
class _Delivery:
    connection: pika.BlockingConnection
    channel: object
    delivery_tag: int
    body: bytes


class EventConsumer:
    def __init__(
        self,
        name: str,
        engine: Engine,
        processed_events: Table,
        handlers: Mapping[str, Handler],
        amqp_url: str,
        topology: Topology | None = None,
        *,
        prefetch: int = 50,
        on_outcome: Callable[[str], None] | None = None,
    ):
        self.name = name
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.processed = processed_events
        self.handlers = dict(handlers)
        self.amqp_url = amqp_url
        self.topology = topology or Topology()
        self.prefetch = prefetch
        self.on_outcome = on_outcome or (lambda outcome: None)
        self._work: queue.Queue[_Delivery] = queue.Queue()

    # -- applying one message ---------------------------------------------
    def apply(self, body: bytes) -> str:
        """Apply one message in one transaction; say what became of it.

        Raises only for a database outage, which the caller waits out.
        """
        try:
            event = Event.from_json(body)
        except InvalidEvent as exc:
            log.error("%s: poison message: %s", self.name, exc)
            return Outcome.POISON
        handler = self.handlers.get(event.type)
        if handler is None:
            return Outcome.IGNORED
        try:
            with self.sessions.begin() as session:
                session.execute(
                    insert(self.processed).values(
                        consumer=self.name,
                        event_id=event.id,
                        event_type=event.type,
                        processed_at=utcnow(),
                    )
                )
                handler(session, event)
        except IntegrityError as exc:
            if self._already_processed(event.id):
                return Outcome.DUPLICATE
            log.exception("%s: %s %s failed: %s", self.name, event.type, event.id, exc)
            return Outcome.FAILED
        except OperationalError:
            raise
        except Exception:
            log.exception("%s: handler for %s %s failed", self.name, event.type, event.id)
            return Outcome.FAILED
        return Outcome.APPLIED

    def _already_processed(self, event_id: str) -> bool:
        with reading(self.engine) as connection:
            row = connection.execute(
                self.processed.select().where(
                    self.processed.c.consumer == self.name,
                    self.processed.c.event_id == event_id,
                )
            ).first()
        return row is not None

    def apply_until_done(self, body: bytes, stop: threading.Event) -> str | None:
        """Apply, waiting out database outages instead of burning deliveries."""
        backoff = 0.2
        while not stop.is_set():
            try:
                return self.apply(body)
            except (OperationalError, DBAPIError) as exc:
                log.warning("%s: database unavailable (%s); retrying", self.name, exc.orig)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        return None

    # -- the broker side ---------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set, reconnecting with backoff."""
        worker = threading.Thread(target=self._work_loop, args=(stop,), daemon=True)
        worker.start()
        backoff = 0.2
        while not stop.is_set():
            try:
                self._consume(stop)
                backoff = 0.2
            except AMQPError as exc:
                log.warning(
                    "%s: broker unreachable (%s); retrying in %.1fs", self.name, exc, backoff
                )
            if stop.wait(backoff):
                break
            backoff = min(backoff * 2, 5.0)
        worker.join(timeout=10)

    def _consume(self, stop: threading.Event) -> None:
        connection = pika.BlockingConnection(connection_parameters(self.amqp_url))
        try:
            channel = connection.channel()
            self.topology.declare(channel)
            channel.basic_qos(prefetch_count=self.prefetch)

            def on_message(ch, method, _properties, body):
                self._work.put(_Delivery(connection, ch, method.delivery_tag, body))

            channel.basic_consume(self.topology.queue_name(self.name), on_message)
            while not stop.is_set():
                connection.process_data_events(time_limit=0.2)
        finally:
            if connection.is_open:
                with contextlib.suppress(AMQPError):
                    connection.close()

    def _work_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                delivery = self._work.get(timeout=0.2)
            except queue.Empty:
                continue
            outcome = self.apply_until_done(delivery.body, stop)
            if outcome is None:
                return  # stopping: the unacked message goes back to the queue
            self.on_outcome(outcome)
            if outcome in (Outcome.APPLIED, Outcome.DUPLICATE, Outcome.IGNORED):
                settle = functools.partial(delivery.channel.basic_ack, delivery.delivery_tag)
            elif outcome == Outcome.POISON:
                settle = functools.partial(
                    delivery.channel.basic_nack, delivery.delivery_tag, requeue=False
                )
            else:
                # Requeued; the queue's delivery limit dead-letters it in the end.
                settle = functools.partial(
                    delivery.channel.basic_nack, delivery.delivery_tag, requeue=True
                )
            self._settle(delivery.connection, settle)

    @staticmethod
    def _settle(connection: pika.BlockingConnection, settle: Callable[[], None]) -> None:
        def guarded():
            # If the channel is gone the broker redelivers, and we skip it by id.
            with contextlib.suppress(AMQPError):
                settle()

        with contextlib.suppress(AMQPError):
            connection.add_callback_threadsafe(guarded)
