"""1. Creating a supply request, ours against the floor.

Only the two web processes run (no worker relays either outbox), both under
gunicorn.conf.py on the same kind of database, so the ratio compares the
work each does per request and nothing else. The two are loaded in turns,
several rounds each, so that whatever else the machine is doing weighs on
both alike.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from harness.system import Launcher, System, answers, port_of, wait_until
from procurement_common.db import make_engine, utcnow
from request_service.models import CatalogItem

from . import floor
from .cpu import CpuMeter, CpuUse
from .load import Call, Sample, saturate
from .memory import PeakSampler, is_web_worker
from .resources import Resources

SKU = "PAPER-A4"
BODY = json.dumps(
    {"lines": [{"sku": SKU, "quantity": 1}], "purpose": "Benchmark", "urgency": "normal"}
).encode()
WARM_UP_SECONDS = 2.0


@dataclass
class CreateResult:
    database: str
    ours: Sample
    floor: Sample
    web_worker_peak_mb: float
    # Where each target's load went: its web process, the database server, the generator.
    cpu: dict[str, CpuUse]

    @property
    def ratio(self) -> float:
        return self.ours.throughput / self.floor.throughput


def stock_catalog_copy(database_url: str) -> None:
    """The item, as inventory's ``item.changed`` would have put it in the copy."""
    engine = make_engine(database_url)
    with Session(engine) as session, session.begin():
        session.add(
            CatalogItem(
                sku=SKU,
                name="A4 copy paper",
                unit="ream",
                category="Paper",
                unit_cost=Decimal("25.00"),
                available=200,
                changed_at=utcnow(),
            )
        )
    engine.dispose()


def measure(kind: str, seconds: float, rounds: int, connections: int) -> CreateResult:
    with ExitStack() as stack:
        resources = Resources(stack)
        ours_db = resources.database(kind, "requests")
        floor_db = resources.database(kind, "floor")
        amqp_url = resources.virtual_host()
        floor.prepare(floor_db)
        with Launcher(resources.directory("logs")) as launcher:
            system = System(launcher, amqp_url, {"requests": ours_db})
            system.seed("requests")
            stock_catalog_copy(ours_db)
            system.start_web("requests")
            floor_socket = launcher.socket()
            floor_port = port_of(floor_socket)
            launcher.start_web(
                "floor-web",
                "bench.floor:create_app()",
                floor_socket,
                {**os.environ, "DATABASE_URL": floor_db},
            )
            system.wait_ready("requests")
            floor_health = f"http://127.0.0.1:{floor_port}/healthz"
            wait_until(lambda: answers(floor_health), timeout=60, what="the floor app")

            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {system.token('zhang.wei')}",
            }
            call = Call("POST", "/api/v1/requests", BODY, headers)
            targets = {"ours": system.port("requests"), "floor": floor_port}
            for port in targets.values():
                saturate(port, call, connections, WARM_UP_SECONDS, ok=201)
            samples = {name: Sample() for name in targets}
            cpu = {name: CpuUse() for name in targets}
            with PeakSampler(launcher.pids) as memory:
                for _ in range(rounds):
                    for name, port in targets.items():
                        with CpuMeter(launcher.pids) as meter:
                            samples[name].add(saturate(port, call, connections, seconds, ok=201))
                        cpu[name].add(meter)
    peak = max(
        mb
        for name, mb in memory.peak.items()
        if is_web_worker(name) and name.startswith("requests")
    )
    return CreateResult(kind, samples["ours"], samples["floor"], peak, cpu)
