"""The outbox relay: publishes unsent outbox rows with publisher confirms.

A row is marked sent only after the broker confirmed it; a crash between
the confirm and the mark sends it again, which consumers absorb by event id.
Confirms are pipelined (pika's SelectConnection): up to ``window`` messages
are out unconfirmed at once, the next rows are read while earlier ones await
their confirms, and confirmed rows are marked in groups. Waiting for each
confirm in turn bounds a blocking publisher to about 1,000 messages a second.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cached_property

import pika
from pika.exceptions import AMQPConnectionError, AMQPError
from sqlalchemy import Engine, Table, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from .db import reading, utcnow
from .topology import Topology, connection_parameters

log = logging.getLogger(__name__)


@dataclass
class _Window:
    """What one connection has published and not yet settled in the outbox."""

    in_flight: dict[int, tuple[int, str]] = field(default_factory=dict)  # tag -> (row, event)
    returned: set[str] = field(default_factory=set)
    confirmed: list[int] = field(default_factory=list)
    unroutable: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    last_row: int = 0  # the newest row published
    next_tag: int = 0
    polling: bool = False
    settling: bool = False
    backlog: bool = False  # the last read filled the window: more rows may wait

    def unsettled(self) -> bool:
        """Rows published on this connection and not yet marked in the outbox."""
        return bool(self.in_flight or self.confirmed or self.unroutable or self.failed)


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        outbox: Table,
        amqp_url: str,
        topology: Topology | None = None,
        *,
        window: int = 5000,
        mark_every: int = 500,
        mark_delay: float = 0.05,
        idle_interval: float = 0.02,
        max_backoff: float = 5.0,
    ):
        self.engine = engine
        self.outbox = outbox
        self.amqp_url = amqp_url
        self.topology = topology or Topology()
        self.window = window
        self.mark_every = mark_every
        self.mark_delay = mark_delay
        self.idle_interval = idle_interval
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._w = _Window()
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
        # A new connection starts from the oldest unsent row: whatever was in
        # flight on the last one is sent again, and consumers drop repeats.
        self._w = _Window()
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
        self._settle()  # what was confirmed need not go again
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
    def _schedule_poll(self, delay: float = 0) -> None:
        if not self._w.polling:
            self._w.polling = True
            self._connection.ioloop.call_later(delay, self._poll)

    def _poll(self) -> None:
        self._w.polling = False
        if self._stop.is_set() or self._channel is None or not self._channel.is_open:
            return
        room = self.window - len(self._w.in_flight)
        if room <= 0:
            return  # confirms will call again as the window empties
        # Ids are not committed in order: a row can appear below one already
        # read. Reading from the start whenever nothing is out or waiting to
        # be marked picks up such stragglers; in between, reading on from the
        # last row keeps the window full without reading rows already out.
        after = self._w.last_row if self._w.unsettled() else 0
        try:
            rows = self._fetch_unsent(after=after, limit=room)
        except SQLAlchemyError as exc:
            log.warning("relay: database unavailable (%s)", exc.__class__.__name__)
            self._schedule_poll(1.0)
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
            self._w.next_tag += 1
            self._w.in_flight[self._w.next_tag] = (row_id, event_id)
            self._w.last_row = row_id
        # With a backlog, read on at once (or, with the window full, as confirms
        # free room); otherwise all there was is out: look again after a pause
        # rather than on every confirm, which at a trickle is a query a message.
        self._w.backlog = len(rows) == room
        self._schedule_poll(0 if self._w.backlog else self.idle_interval)

    @cached_property
    def _unsent(self):
        # Built once: an idle outbox is read fifty times a second, and building
        # the statement and its cache key cost more than running it.
        outbox = self.outbox
        return (
            select(outbox.c.id, outbox.c.event_id, outbox.c.type, outbox.c.body)
            .where(outbox.c.sent_at.is_(None), outbox.c.id > bindparam("after"))
            .order_by(outbox.c.id)
            .limit(bindparam("limit"))
        )

    @cached_property
    def _mark_sent(self):
        outbox = self.outbox
        return (
            update(outbox)
            .where(outbox.c.id.in_(bindparam("ids", expanding=True)))
            .values(sent_at=bindparam("at"))
        )

    def _fetch_unsent(self, after: int, limit: int):
        with reading(self.engine) as connection:
            return connection.execute(self._unsent, {"after": after, "limit": limit}).all()

    def _on_return(self, _channel, _method, properties, _body) -> None:
        # The broker acks an unroutable message too; this tells the two apart.
        self._w.returned.add(properties.message_id)

    def _on_confirm(self, frame) -> None:
        method = frame.method
        acked = isinstance(method, pika.spec.Basic.Ack)
        window = self._w
        tags = (
            [t for t in window.in_flight if t <= method.delivery_tag]
            if method.multiple
            else [method.delivery_tag]
        )
        for tag in tags:
            row_id, event_id = window.in_flight.pop(tag)
            if not acked:
                window.failed.append(row_id)
            elif event_id in window.returned:
                window.returned.discard(event_id)
                window.unroutable.append(row_id)
            else:
                window.confirmed.append(row_id)
        settled = len(window.confirmed) + len(window.unroutable) + len(window.failed)
        if settled >= self.mark_every:
            self._settle()
        elif not window.in_flight and not window.settling:
            # Marking is one write transaction: gather what confirms in the
            # next moment into it instead of writing once per message.
            window.settling = True
            self._connection.ioloop.call_later(self.mark_delay, self._settle)
        if window.backlog and len(window.in_flight) <= self.window // 2:
            self._schedule_poll()

    def _settle(self) -> None:
        window = self._w
        window.settling = False
        if not (window.confirmed or window.unroutable or window.failed):
            return
        confirmed, unroutable, failed = window.confirmed, window.unroutable, window.failed
        window.confirmed, window.unroutable, window.failed = [], [], []
        try:
            self._mark(confirmed, unroutable, failed)
        except SQLAlchemyError as exc:
            # The rows stay unsent and go again: consumers drop the duplicates.
            log.warning("relay: could not mark rows sent (%s)", exc.__class__.__name__)
        self.published += len(confirmed)
        if failed and self._channel is not None:
            self._schedule_poll(1.0)  # refused rows go again once the window empties

    def _mark(self, confirmed: list[int], unroutable: list[int], failed: list[int]) -> None:
        outbox = self.outbox
        with self.engine.begin() as connection:
            if confirmed:
                connection.execute(self._mark_sent, {"ids": confirmed, "at": utcnow()})
            if unroutable:
                # Every process declares every subscription, so no queue wants
                # this type (stock alerts have no consumer yet): sending it
                # again would not change that. Kept, marked, not retried.
                log.info("relay: %d events had no subscriber", len(unroutable))
                connection.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(unroutable))
                    .values(sent_at=utcnow(), last_error="unroutable: no queue subscribes")
                )
            if failed:
                log.error("relay: %d events refused by the broker", len(failed))
                connection.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(failed))
                    .values(attempts=outbox.c.attempts + 1, last_error="nacked by the broker")
                )
