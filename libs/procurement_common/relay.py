"""The outbox relay: publishes unsent outbox rows with publisher confirms.

A row is marked sent only after the broker confirmed it; a crash between
the confirm and the mark sends it again, which consumers absorb by event id.
Confirms are pipelined (pika's SelectConnection) instead of waiting for each
message in turn, which is what bounds a blocking publisher to about 1,000
messages a second.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import pika
from pika.exceptions import AMQPConnectionError, AMQPError
from sqlalchemy import Engine, Table, select, update
from sqlalchemy.exc import SQLAlchemyError

from .db import utcnow
from .topology import Topology, connection_parameters

log = logging.getLogger(__name__)


@dataclass
class _Batch:
    in_flight: dict[int, tuple[int, str]] = field(default_factory=dict)  # tag -> (row, event)
    returned: set[str] = field(default_factory=set)
    confirmed: list[int] = field(default_factory=list)
    unroutable: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        outbox: Table,
        amqp_url: str,
        topology: Topology | None = None,
        *,
        batch_size: int = 1000,
        idle_interval: float = 0.05,
        max_backoff: float = 5.0,
    ):
        self.engine = engine
        self.outbox = outbox
        self.amqp_url = amqp_url
        self.topology = topology or Topology()
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._batch = _Batch()
        self._next_tag = 0
        self.published = 0

    # -- lifecycle -------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop`` is set, reconnecting with backoff."""
        self._stop = stop
        backoff = 0.2
        while not stop.is_set():
            try:
                self._declare_topology()
                self._run_connection()
                backoff = 0.2
            except AMQPError as exc:
                log.warning("relay: broker unreachable (%s); retrying in %.1fs", exc, backoff)
            if stop.wait(backoff):
                break
            backoff = min(backoff * 2, self.max_backoff)

    def _declare_topology(self) -> None:
        connection = pika.BlockingConnection(connection_parameters(self.amqp_url))
        try:
            self.topology.declare(connection.channel())
        finally:
            connection.close()

    def _run_connection(self) -> None:
        self._batch = _Batch()
        self._next_tag = 0
        opened = threading.Event()

        def on_open(connection):
            opened.set()
            connection.channel(on_open_callback=self._on_channel_open)

        self._connection = pika.SelectConnection(
            connection_parameters(self.amqp_url),
            on_open_callback=on_open,
            on_open_error_callback=lambda conn, exc: conn.ioloop.stop(),
            on_close_callback=self._on_connection_closed,
        )
        self._connection.ioloop.call_later(0.2, self._watch_stop)
        self._connection.ioloop.start()
        if not opened.is_set():
            raise AMQPConnectionError("could not open a connection")

    def _on_connection_closed(self, connection, reason) -> None:
        if not self._stop.is_set():
            log.warning("relay: connection closed: %s", reason)
        self._channel = None
        connection.ioloop.stop()

    def _watch_stop(self) -> None:
        if self._stop.is_set():
            if self._connection.is_open:
                self._connection.close()
            return
        self._connection.ioloop.call_later(0.2, self._watch_stop)

    def _on_channel_open(self, channel) -> None:
        self._channel = channel
        channel.add_on_return_callback(self._on_return)
        channel.add_on_close_callback(lambda ch, reason: self._close_connection())
        channel.confirm_delivery(self._on_confirm, callback=lambda _frame: self._poll())

    def _close_connection(self) -> None:
        if self._connection is not None and self._connection.is_open:
            self._connection.close()

    # -- publishing ------------------------------------------------------
    def _poll(self) -> None:
        if self._stop.is_set() or self._channel is None or not self._channel.is_open:
            return
        try:
            rows = self._fetch_unsent()
        except SQLAlchemyError as exc:
            log.warning("relay: database unavailable (%s)", exc.__class__.__name__)
            self._connection.ioloop.call_later(1.0, self._poll)
            return
        if not rows:
            self._connection.ioloop.call_later(self.idle_interval, self._poll)
            return
        for row_id, event_id, event_type, body in rows:
            self._channel.basic_publish(
                exchange=self.topology.exchange,
                routing_key=event_type,
                body=body.encode(),
                properties=pika.BasicProperties(
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=event_id,
                    type=event_type,
                ),
                mandatory=True,
            )
            self._next_tag += 1
            self._batch.in_flight[self._next_tag] = (row_id, event_id)

    def _fetch_unsent(self):
        query = (
            select(self.outbox.c.id, self.outbox.c.event_id, self.outbox.c.type, self.outbox.c.body)
            .where(self.outbox.c.sent_at.is_(None))
            .order_by(self.outbox.c.id)
            .limit(self.batch_size)
        )
        with self.engine.connect() as connection:
            return connection.execute(query).all()

    def _on_return(self, _channel, _method, properties, _body) -> None:
        # The broker acks an unroutable message too; this tells the two apart.
        self._batch.returned.add(properties.message_id)

    def _on_confirm(self, frame) -> None:
        method = frame.method
        acked = isinstance(method, pika.spec.Basic.Ack)
        tags = (
            [t for t in self._batch.in_flight if t <= method.delivery_tag]
            if method.multiple
            else [method.delivery_tag]
        )
        for tag in tags:
            row_id, event_id = self._batch.in_flight.pop(tag)
            if not acked:
                self._batch.failed.append(row_id)
            elif event_id in self._batch.returned:
                self._batch.unroutable.append(row_id)
            else:
                self._batch.confirmed.append(row_id)
        if not self._batch.in_flight:
            self._finish_batch()

    def _finish_batch(self) -> None:
        batch, self._batch = self._batch, _Batch()
        try:
            self._mark(batch)
        except SQLAlchemyError as exc:
            # The rows stay unsent and go again: consumers drop the duplicates.
            log.warning("relay: could not mark rows sent (%s)", exc.__class__.__name__)
        self.published += len(batch.confirmed)
        delay = 1.0 if batch.failed else 0
        self._connection.ioloop.call_later(delay, self._poll)

    def _mark(self, batch: _Batch) -> None:
        with self.engine.begin() as connection:
            if batch.confirmed:
                connection.execute(
                    update(self.outbox)
                    .where(self.outbox.c.id.in_(batch.confirmed))
                    .values(sent_at=utcnow())
                )
            if batch.unroutable:
                # Every process declares every subscription, so no queue wants
                # this type (stock alerts have no consumer yet): sending it
                # again would not change that. Kept, marked, not retried.
                log.info("relay: %d events had no subscriber", len(batch.unroutable))
                connection.execute(
                    update(self.outbox)
                    .where(self.outbox.c.id.in_(batch.unroutable))
                    .values(sent_at=utcnow(), last_error="unroutable: no queue subscribes")
                )
            if batch.failed:
                log.error("relay: %d events refused by the broker", len(batch.failed))
                connection.execute(
                    update(self.outbox)
                    .where(self.outbox.c.id.in_(batch.failed))
                    .values(attempts=self.outbox.c.attempts + 1, last_error="nacked by the broker")
                )
