"""2. Event latency through the whole system at a steady submission rate.

All six processes run as in production. Staff submit at a fixed rate (open
loop); the department leader approves each task as soon as it appears. The
latencies come from the services' own databases afterwards, so measuring
adds no load while the system runs:

- submission to approval task: the ``request.submitted`` outbox row's
  ``created_at`` (written last before the submission commits) to the
  level-1 task's ``created_at`` in approvals;
- approval to reservation: the ``approval.approved`` outbox row's
  ``created_at`` to the reservation's ``created_at`` in inventory.

Both ends are stamped just before their transaction commits, so the
figures leave out one commit at each end, which roughly cancel. Each hop
is also split where the consuming worker began to apply the event (its
``processed_events.processed_at``): what comes before is waiting (relay,
broker, the worker's queue), what comes after is applying.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import Engine, bindparam, create_engine, func, select

from approval_service.models import Task
from approval_service.models import messaging as approvals_messaging
from harness.system import PACKAGES, Launcher, System, wait_until
from inventory_service.models import Reservation
from inventory_service.models import messaging as inventory_messaging
from request_service.models import messaging as requests_messaging

from .cpu import CpuMeter
from .create import BODY, SKU
from .load import Call, Client, Sample, paced
from .memory import PeakSampler, snapshot
from .resources import Resources

STAFF, LEADER, CLERK = "zhang.wei", "li.na", "chen.jie"
MAX_RECEIPT = 10000
# How long the last submissions may take after the load; past it, missing.
SETTLE_SECONDS = 20.0
FIND_MARGIN = timedelta(seconds=0.25)


@dataclass
class Hop:
    """One event's way from its producer's commit to its effect's."""

    latencies: list[float] = field(default_factory=list)  # seconds
    arrivals: list[float] = field(default_factory=list)  # written to the consumer applying it
    missing: int = 0  # no effect within SETTLE_SECONDS after the load


@dataclass
class EventResult:
    database: str
    submissions: Sample
    decisions: Sample
    to_task: Hop
    to_reservation: Hop
    memory_at_rest: dict[str, float]
    memory_under_load: dict[str, float]
    cpu: CpuMeter  # while the submissions were made


def _reader(database_url: str) -> Engine:
    # A plain engine: make_engine's BEGIN IMMEDIATE would take SQLite's write
    # lock for every read and slow down the system being measured. Autocommit:
    # on PostgreSQL a transaction around each of the approver's fifty polls a
    # second would add a BEGIN and a ROLLBACK, two round trips each.
    return create_engine(database_url, isolation_level="AUTOCOMMIT")


class Approver:
    """The leader approves each pending task as soon as it appears.

    Tasks are found by reading the approvals database (listing her inbox
    through the API at this rate would add load that is not on the path
    measured); decisions go through the API, as hers would.
    """

    def __init__(self, port: int, token: str, database_url: str, threads: int = 4):
        self.engine = _reader(database_url)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        self.port = port
        self.sample = Sample()
        self._tasks: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._find, daemon=True)] + [
            threading.Thread(target=self._decide, daemon=True) for _ in range(threads)
        ]

    def __enter__(self) -> Approver:
        self._started = time.perf_counter()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self.sample.elapsed = time.perf_counter() - self._started
        self.engine.dispose()

    def _find(self) -> None:
        seen: set[str] = set()
        # Only tasks opened lately: when decisions fall behind, reading every
        # pending task fifty times a second made the benchmark and PostgreSQL
        # move hundreds of rows a poll, CPU taken from the system measured.
        # The margin covers a task stamped before another and committed after.
        pending = select(Task.id, Task.created_at).where(
            Task.approver == LEADER,
            Task.status == "pending",
            Task.created_at >= bindparam("since"),
        )
        since = datetime.min.replace(tzinfo=UTC)
        while not self._stop.wait(0.02):
            with self.engine.connect() as connection:
                found = connection.execute(pending, {"since": since}).all()
            for task_id, created_at in found:
                if task_id not in seen:
                    seen.add(task_id)
                    self._tasks.put(task_id)
                since = max(since, created_at - FIND_MARGIN)

    def _decide(self) -> None:
        client = Client(self.port)
        body = json.dumps({"decision": "approve"}).encode()
        while not self._stop.is_set():
            try:
                task_id = self._tasks.get(timeout=0.1)
            except queue.Empty:
                continue
            call = Call("POST", f"/api/v1/approvals/{task_id}/decision", body, self.headers)
            self.sample.record(client, call, ok=200, since=time.perf_counter())
        client.close()


def _stock_up(system: System, units: int) -> None:
    """Enough stock that every approval reserves rather than backorders."""
    headers = {"Authorization": f"Bearer {system.token(CLERK)}"}
    while units > 0:
        quantity = min(units, MAX_RECEIPT)
        response = requests.post(
            f"{system.url('inventory')}/api/v1/receipts",
            json={"sku": SKU, "quantity": quantity, "note": "benchmark stock"},
            headers=headers,
            timeout=10,
        )
        response.raise_for_status()
        units -= quantity


def _catalog_has_sku(system: System, token: str) -> bool:
    response = requests.get(
        f"{system.url('requests')}/api/v1/catalog",
        params={"per_page": 100},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return response.ok and any(item["sku"] == SKU for item in response.json()["items"])


def _outbox_times(engine: Engine, outbox, event_type: str) -> dict[str, tuple[str, datetime]]:
    """Request id to (event id, written) of each outbox row of ``event_type``."""
    rows = select(outbox.c.body, outbox.c.event_id, outbox.c.created_at).where(
        outbox.c.type == event_type
    )
    with engine.connect() as connection:
        return {
            json.loads(body)["correlation_id"]: (event_id, created)
            for body, event_id, created in connection.execute(rows)
        }


def _arrival_times(engine: Engine, processed, consumer: str) -> dict[str, datetime]:
    """Event id to when ``consumer`` began to apply it."""
    rows = select(processed.c.event_id, processed.c.processed_at).where(
        processed.c.consumer == consumer
    )
    return _times(engine, rows)


def _times(engine: Engine, query) -> dict[str, datetime]:
    """A query's rows of (key, moment) as a dict."""
    with engine.connect() as connection:
        return dict(connection.execute(query).all())


def _hop(
    causes: dict[str, tuple[str, datetime]],
    arrivals: dict[str, datetime],
    effects: dict[str, datetime],
) -> Hop:
    hop = Hop()
    for request_id, (event_id, written) in causes.items():
        if event_id in arrivals:
            hop.arrivals.append((arrivals[event_id] - written).total_seconds())
        if request_id in effects:
            hop.latencies.append((effects[request_id] - written).total_seconds())
        else:
            hop.missing += 1
    return hop


def _count(engine: Engine, query) -> int:
    with engine.connect() as connection:
        return connection.scalar(query)


def measure(kind: str, rate: float, seconds: float, connections: int) -> EventResult:
    with ExitStack() as stack:
        resources = Resources(stack)
        urls = {service: resources.database(kind, service) for service in PACKAGES}
        amqp_url = resources.virtual_host()
        readers = {service: _reader(url) for service, url in urls.items()}
        for engine in readers.values():
            stack.callback(engine.dispose)
        with Launcher(resources.directory("logs")) as launcher:
            system = System(launcher, amqp_url, urls)
            system.start_all()
            _stock_up(system, int(rate * seconds) + 100)
            token = system.token(STAFF)
            wait_until(lambda: _catalog_has_sku(system, token), 60, "the catalog copy")
            at_rest = snapshot(launcher.pids())

            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            call = Call("POST", "/api/v1/requests", BODY, headers)
            with (
                PeakSampler(launcher.pids) as memory,
                Approver(system.port("approvals"), system.token(LEADER), urls["approvals"]) as ap,
            ):
                with CpuMeter(launcher.pids) as cpu:
                    submissions = paced(
                        system.port("requests"), call, rate, seconds, connections, ok=201
                    )
                # Let the last submissions through before the approver stops.
                expected = len(submissions.latencies)
                deadline = time.monotonic() + SETTLE_SECONDS
                reservations = select(func.count()).select_from(Reservation)
                while (
                    _count(readers["inventory"], reservations) < expected
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.2)

        to_task = _hop(
            _outbox_times(readers["requests"], requests_messaging.outbox, "request.submitted"),
            _arrival_times(readers["approvals"], approvals_messaging.processed_events, "approvals"),
            _times(
                readers["approvals"],
                select(Task.request_id, func.min(Task.created_at))
                .where(Task.level == 1)
                .group_by(Task.request_id),
            ),
        )
        to_reservation = _hop(
            _outbox_times(readers["approvals"], approvals_messaging.outbox, "approval.approved"),
            _arrival_times(readers["inventory"], inventory_messaging.processed_events, "inventory"),
            _times(readers["inventory"], select(Reservation.request_id, Reservation.created_at)),
        )
        return EventResult(
            kind, submissions, ap.sample, to_task, to_reservation, at_rest, memory.peak, cpu
        )
