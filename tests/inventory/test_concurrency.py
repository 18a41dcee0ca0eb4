"""Never oversell: concurrent work on one item, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from inventory_service import service
from inventory_service.checks import stock_differences
from inventory_service.models import Item, ReservationLine
from procurement_common.consumer import Outcome

BACKENDS = ["sqlite", "postgresql"]


def run_together(count: int, work):
    """Run ``work(i)`` in ``count`` threads released at the same moment."""
    start = threading.Barrier(count)

    def task(i):
        start.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_twenty_concurrent_reservations_of_one_against_five_reserve_exactly_five(
    backend, new_database_url, app_for, auth_header, approved
):
    app = app_for(new_database_url(backend))
    client = app.test_client()
    clerk = auth_header("chen.jie")
    client.post(
        "/api/v1/items",
        json={
            "sku": "TONER",
            "name": "Toner",
            "unit": "piece",
            "unit_cost": "420.00",
            "reorder_level": 1,
            "reorder_quantity": 5,
        },
        headers=clerk,
    )
    client.post("/api/v1/receipts", json={"sku": "TONER", "quantity": 5}, headers=clerk)
    database = app.extensions["database"]
    consumer = service.consumer(app.config["SETTINGS"], database)
    events = [approved(f"r-{i}", {"TONER": 1}) for i in range(20)]

    outcomes = run_together(20, lambda i: consumer.apply(events[i].to_json().encode()))

    assert outcomes == [Outcome.APPLIED] * 20
    with database.sessions() as session:
        item = session.get(Item, "TONER")
        assert (item.on_hand, item.reserved) == (5, 5)
        lines = session.scalars(select(ReservationLine)).all()
        assert sum(line.reserved for line in lines) == 5
        assert sum(line.backordered for line in lines) == 15
        assert stock_differences(session) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_clerks_handing_out_the_same_request_at_once_hand_it_out_once(
    backend, new_database_url, app_for, auth_header, approved
):
    app = app_for(new_database_url(backend))
    clerk = auth_header("chen.jie")
    client = app.test_client()
    client.post(
        "/api/v1/items",
        json={
            "sku": "PAPER",
            "name": "Paper",
            "unit": "ream",
            "unit_cost": "25.00",
            "reorder_level": 1,
            "reorder_quantity": 5,
        },
        headers=clerk,
    )
    client.post("/api/v1/receipts", json={"sku": "PAPER", "quantity": 10}, headers=clerk)
    service.consumer(app.config["SETTINGS"], app.extensions["database"]).apply(
        approved("r-1", {"PAPER": 4}).to_json().encode()
    )

    statuses = run_together(
        2,
        lambda i: (
            app.test_client()
            .post("/api/v1/handouts", json={"request_id": "r-1"}, headers=clerk)
            .status_code
        ),
    )

    assert sorted(statuses) == [200, 409]
    item = client.get("/api/v1/items/PAPER", headers=clerk).json
    assert (item["on_hand"], item["reserved"]) == (6, 0)
