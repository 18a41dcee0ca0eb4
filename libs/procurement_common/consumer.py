"""The idempotent consumer.

The pika connection lives in one thread and only turns its I/O loop, so
heartbeats are answered however long a handler takes; handlers run in a
second thread and hand their acks back with ``add_callback_threadsafe``
(pika connections are not thread-safe). A message is acked only after the
transaction that applied it and recorded its event id has committed.

When messages queue up, the handler thread takes what has arrived (up to
``batch_size``) and applies it in one transaction: one commit, one
statement that records the event ids and so finds the duplicates, and one
wake-up of the I/O thread for the lot, instead of one of each per message.
If anything in such a batch fails, the batch is rolled back and its
messages are applied one at a time, so one bad message costs only itself.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import pika
from pika.exceptions import AMQPError
from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .db import utcnow
from .events import Event, InvalidEvent
from .topology import Topology, connection_parameters

log = logging.getLogger(__name__)

Handler = Callable[[Session, Event], None]


def _batch_size(engine: Engine) -> int:
    """How many waiting messages one transaction applies at most.

    On SQLite ten already save most of the per-transaction cost, and a
    longer batch holds the file's only write lock long enough to keep the
    relay's marks and the web's writes waiting (an event p99 of 260-370 ms
    at 50, 140-220 at 10). PostgreSQL has no such lock, and there a worker
    that has fallen behind catches up sooner in batches of up to the
    prefetch: at 50 submissions/s on a saturated two-core machine the
    submission-to-task p99 was 0.56-0.70 s in four runs, against 1.0-3.2 s
    in four runs at ten.
    """
    return 10 if engine.dialect.name == "sqlite" else 50


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
        batch_size: int | None = None,
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
        self.batch_size = batch_size or _batch_size(engine)
        self.on_outcome = on_outcome or (lambda outcome: None)
        self._work: queue.Queue[_Delivery] = queue.Queue()

    # -- applying messages -------------------------------------------------
    def apply(self, body: bytes) -> str:
        """Apply one message in one transaction; say what became of it.

        Raises only for a database outage, which the caller waits out.
        """
        return self.apply_all([body])[0]

    def apply_all(self, bodies: Sequence[bytes]) -> list[str]:
        """Apply messages in their order; say what became of each.

        Raises only for a database outage, which the caller waits out.
        """
        outcomes: list[str] = [Outcome.IGNORED] * len(bodies)
        events: list[tuple[int, Event]] = []
        for index, body in enumerate(bodies):
            try:
                event = Event.from_json(body)
            except InvalidEvent as exc:
                log.error("%s: poison message: %s", self.name, exc)
                outcomes[index] = Outcome.POISON
                continue
            if event.type in self.handlers:
                events.append((index, event))
        if len(events) > 1:
            try:
                outcomes_together = self._apply_together([event for _, event in events])
            except OperationalError:
                raise
            except Exception as exc:
                log.info(
                    "%s: a batch of %d failed (%r); one at a time", self.name, len(events), exc
                )
            else:
                for (index, _), outcome in zip(events, outcomes_together, strict=True):
                    outcomes[index] = outcome
                return outcomes
        for index, event in events:
            outcomes[index] = self._apply_one(event)
        return outcomes

    def _apply_together(self, events: list[Event]) -> list[str]:
        """All in one transaction, or nothing: any exception rolls it all back."""
        first = {}
        for event in events:
            first.setdefault(event.id, event)
        with self.sessions.begin() as session:
            recorded = set(self._record(session, first.values()))
            outcomes = []
            for event in events:
                if event.id in recorded:
                    recorded.discard(event.id)  # a second copy in the batch is a duplicate
                    self.handlers[event.type](session, event)
                    outcomes.append(Outcome.APPLIED)
                else:
                    outcomes.append(Outcome.DUPLICATE)
        return outcomes

    def _apply_one(self, event: Event) -> str:
        try:
            with self.sessions.begin() as session:
                if not self._record(session, [event]):
                    return Outcome.DUPLICATE
                self.handlers[event.type](session, event)
        except OperationalError:
            raise
        except Exception:
            log.exception("%s: %s %s failed", self.name, event.type, event.id)
            return Outcome.FAILED
        return Outcome.APPLIED

    def _record(self, session: Session, events: Iterable[Event]) -> list[str]:
        """Record the events as processed; the ids of those not recorded before.

        One statement is the duplicate check and the record: an id already
        there (committed, or being committed by a racing delivery, which the
        insert waits for) is skipped and not returned.
        """
        rows = [
            {
                "consumer": self.name,
                "event_id": event.id,
                "event_type": event.type,
                "processed_at": utcnow(),
            }
            for event in events
        ]
        return list(session.scalars(self._record_new, rows))

    @cached_property
    def _record_new(self):
        # Built once: a busy consumer runs it for every batch, and building a
        # statement and its cache key costs about as much as running it.
        dialect = {"postgresql": postgresql, "sqlite": sqlite}[self.engine.dialect.name]
        processed = self.processed
        return dialect.insert(processed).on_conflict_do_nothing().returning(processed.c.event_id)

    def apply_until_done(self, bodies: Sequence[bytes], stop: threading.Event) -> list[str] | None:
        """Apply, waiting out database outages instead of burning deliveries."""
        backoff = 0.2
        while not stop.is_set():
            try:
                return self.apply_all(bodies)
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
                batch = [self._work.get(timeout=0.2)]
            except queue.Empty:
                continue
            # Only what has already arrived: waiting for a fuller batch would
            # add latency when the queue is short.
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._work.get_nowait())
                except queue.Empty:
                    break
            outcomes = self.apply_until_done([delivery.body for delivery in batch], stop)
            if outcomes is None:
                return  # stopping: the unacked messages go back to the queue
            for outcome in outcomes:
                self.on_outcome(outcome)
            self._settle(list(zip(batch, outcomes, strict=True)))

    @staticmethod
    def _settle(settled: list[tuple[_Delivery, str]]) -> None:
        """Ack or nack each delivery, with one wake-up of each connection's I/O thread."""
        by_connection: dict[int, list[tuple[_Delivery, str]]] = {}
        for delivery, outcome in settled:
            by_connection.setdefault(id(delivery.connection), []).append((delivery, outcome))
        for group in by_connection.values():

            def settle_group(group=group):
                for delivery, outcome in group:
                    # If the channel is gone the broker redelivers, and we skip it by id.
                    with contextlib.suppress(AMQPError):
                        _settle_one(delivery, outcome)

            with contextlib.suppress(AMQPError):
                group[0][0].connection.add_callback_threadsafe(settle_group)


def _settle_one(delivery: _Delivery, outcome: str) -> None:
    tag = delivery.delivery_tag
    if outcome in (Outcome.APPLIED, Outcome.DUPLICATE, Outcome.IGNORED):
        delivery.channel.basic_ack(tag)
    elif outcome == Outcome.POISON:
        delivery.channel.basic_nack(tag, requeue=False)
    else:
        # Requeued; the queue's delivery limit dead-letters it in the end.
        delivery.channel.basic_nack(tag, requeue=True)
