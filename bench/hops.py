"""A submission's way through the three services, step by step, in one process.

For ``bench.instructions``: each step is the code a process of the system
runs for it (a web view through a Flask test client, or a worker's
consumer applying an event alone, as on a quiet system), without HTTP,
the relays or the broker. The events are the ones the services recorded
in their outboxes, handed on as RabbitMQ would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import select

from approval_service import create_app as approvals_app
from approval_service import service as approvals_service
from approval_service.models import Task
from harness.system import SECRET
from inventory_service import create_app as inventory_app
from inventory_service import service as inventory_service
from procurement_common import events as ev
from procurement_common.consumer import Outcome
from request_service import create_app as requests_app
from request_service import service as requests_service

from .create import BODY

NOT_USED = "amqp://guest:guest@127.0.0.1:5672/not-used"  # every event stays in an outbox
APPS = {"requests": requests_app, "approvals": approvals_app, "inventory": inventory_app}
SERVICES = {
    "requests": requests_service,
    "approvals": approvals_service,
    "inventory": inventory_service,
}
# (step, what it is): in the order a submission takes them.
STEPS = (
    ("create", "requests web: POST /api/v1/requests"),
    ("task", "approvals worker: request.submitted"),
    ("waiting", "requests worker: approval.requested"),
    ("decision", "approvals web: POST /api/v1/approvals/{id}/decision"),
    ("reservation", "inventory worker: approval.approved"),
    ("approved", "requests worker: approval.approved"),
    ("reserved", "requests worker: stock.reserved"),
    ("catalog", "requests worker: item.changed of the reservation"),
)


class Chain:
    """The three services' apps and consumers, on the given databases, seeded."""

    def __init__(self, database_urls: dict[str, str]):
        self.apps = {
            name: make(
                {"DATABASE_URL": database_urls[name], "AUTH_SECRET": SECRET, "AMQP_URL": NOT_USED}
            )
            for name, make in APPS.items()
        }
        self.databases = {name: app.extensions["database"] for name, app in self.apps.items()}
        self.consumers = {
            name: SERVICES[name].consumer(app.config["SETTINGS"], self.databases[name])
            for name, app in self.apps.items()
        }
        self.clients = {name: app.test_client() for name, app in self.apps.items()}
        self.staff = {**self._signed_in("zhang.wei"), "Content-Type": "application/json"}
        self.leader = self._signed_in("li.na")
        self._read_up_to = {name: self._last_row(name) for name in self.apps}

    def _signed_in(self, username: str) -> dict[str, str]:
        answer = self.clients["requests"].post(
            "/api/v1/auth/token", json={"username": username, "password": "demo-pass"}
        )
        return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}

    def _last_row(self, service: str) -> int:
        outbox = self.databases[service].messaging.outbox
        with self.databases[service].engine.connect() as connection:
            return connection.scalar(select(outbox.c.id).order_by(outbox.c.id.desc())) or 0

    def recorded(self, service: str) -> dict[str, list[bytes]]:
        """The events the service recorded since this was last asked, by type."""
        outbox = self.databases[service].messaging.outbox
        with self.databases[service].engine.connect() as connection:
            rows = connection.execute(
                select(outbox.c.id, outbox.c.type, outbox.c.body)
                .where(outbox.c.id > self._read_up_to[service])
                .order_by(outbox.c.id)
            ).all()
        if rows:
            self._read_up_to[service] = rows[-1].id
        by_type: dict[str, list[bytes]] = {}
        for row in rows:
            by_type.setdefault(row.type, []).append(row.body.encode())
        return by_type

    def apply(self, service: str, bodies: list[bytes]) -> None:
        for body in bodies:
            outcome = self.consumers[service].apply(body)
            if outcome != Outcome.APPLIED:
                raise RuntimeError(f"{service} did not apply an event: {outcome}")

    def create(self, count: int) -> None:
        for _ in range(count):
            answer = self.clients["requests"].post(
                "/api/v1/requests", data=BODY, headers=self.staff
            )
            if answer.status_code != 201:
                raise RuntimeError(f"create: {answer.status_code} {answer.text}")

    def decide_pending(self) -> None:
        with self.databases["approvals"].engine.connect() as connection:
            pending = connection.scalars(
                select(Task.id).where(Task.status == "pending").order_by(Task.created_at)
            ).all()
        for task_id in pending:
            answer = self.clients["approvals"].post(
                f"/api/v1/approvals/{task_id}/decision",
                json={"decision": "approve"},
                headers=self.leader,
            )
            if answer.status_code != 200:
                raise RuntimeError(f"decision: {answer.status_code} {answer.text}")

    def steps(self, submissions: int) -> Iterator[tuple[str, Callable[[], None]]]:
        """Each step for ``submissions`` submissions at once, in order; the
        caller runs each before asking for the next."""

        def each(recorded: dict[str, list[bytes]], event_type: str) -> list[bytes]:
            bodies = recorded.get(event_type, [])
            if len(bodies) != submissions:
                raise RuntimeError(f"{len(bodies)} {event_type} for {submissions} submissions")
            return bodies

        yield "create", lambda: self.create(submissions)
        submitted = each(self.recorded("requests"), ev.REQUEST_SUBMITTED)
        yield "task", lambda: self.apply("approvals", submitted)
        requested = each(self.recorded("approvals"), ev.APPROVAL_REQUESTED)
        yield "waiting", lambda: self.apply("requests", requested)
        yield "decision", self.decide_pending
        approved = each(self.recorded("approvals"), ev.APPROVAL_APPROVED)
        yield "reservation", lambda: self.apply("inventory", approved)
        yield "approved", lambda: self.apply("requests", approved)
        stock = self.recorded("inventory")
        reserved = each(stock, ev.STOCK_RESERVED)
        yield "reserved", lambda: self.apply("requests", reserved)
        # Before session 14 every reservation also announced its item's stock;
        # since, a timed job does, once a second for all that moved.
        if announced := stock.get(ev.ITEM_CHANGED):
            yield "catalog", lambda: self.apply("requests", announced)
