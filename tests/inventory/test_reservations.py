"""Reservations from approvals, backorders, cancellations and hand-outs."""

from __future__ import annotations

from inventory_service import service
from inventory_service.stockroom import Stockroom
from procurement_common.consumer import Outcome


def stock_of(client, headers, sku):
    item = client.get(f"/api/v1/items/{sku}", headers=headers).json
    return item["on_hand"], item["reserved"], item["available"]


def held(client, headers, request_id):
    reservation = client.get(f"/api/v1/reservations/{request_id}", headers=headers).json
    return {
        line["sku"]: (
            line["reserved_quantity"],
            line["backordered_quantity"],
            line["issued_quantity"],
        )
        for line in reservation["lines"]
    }


def test_what_is_short_is_backordered_and_stock_reserved_says_both(
    client, clerk, add_item, deliver, approved, published
):
    add_item("TONER", on_hand=5)
    add_item("PAPER", on_hand=50)
    deliver(approved("r-1", {"TONER": 8, "PAPER": 2}))
    assert published("stock.reserved") == [
        {
            "request_id": "r-1",
            "lines": [
                {"sku": "PAPER", "reserved_quantity": 2, "backordered_quantity": 0},
                {"sku": "TONER", "reserved_quantity": 5, "backordered_quantity": 3},
            ],
            "backordered": ["TONER"],
        }
    ]
    assert stock_of(client, clerk, "TONER") == (5, 5, 0)


def test_a_duplicate_delivery_has_one_effect(client, clerk, add_item, deliver, approved, published):
    add_item("PAPER", on_hand=50)
    event = approved("r-1", {"PAPER": 5})
    assert deliver(event) == Outcome.APPLIED
    assert deliver(event) == Outcome.DUPLICATE
    assert stock_of(client, clerk, "PAPER") == (50, 5, 45)
    assert len(published("stock.reserved")) == 1


def test_moved_stock_is_announced_by_the_timed_job_once_per_item_as_it_stands(
    app, database, add_item, approved, published, announce
):
    add_item("PAPER", on_hand=50)
    add_item("PENS", on_hand=20)
    announced_before = len(published("item.changed"))
    consumer = service.consumer(app.config["SETTINGS"], database)
    batch = [approved(f"r-{n}", {"PAPER": 5, "PENS": 1}) for n in range(4)]

    outcomes = consumer.apply_all([event.to_json().encode() for event in batch])

    assert outcomes == [Outcome.APPLIED] * 4
    assert len(published("stock.reserved")) == 4
    assert published("item.changed")[announced_before:] == []
    announce()
    announced = published("item.changed")[announced_before:]
    assert [(item["sku"], item["available"]) for item in announced] == [
        ("PAPER", 30),
        ("PENS", 16),
    ]
    announce()
    assert len(published("item.changed")) == announced_before + 2


def test_an_item_changed_in_work_rolled_back_is_never_announced_by_a_later_commit(
    database, add_item, published
):
    add_item("PAPER", on_hand=50)
    announced_before = len(published("item.changed"))

    with database.sessions() as session:
        with Stockroom(session, by="chen.jie") as room:
            room.change_item("PAPER", {"name": "Paper, renamed by mistake"})
        session.rollback()
        Stockroom(session, by="chen.jie").item("PAPER")  # the session's next transaction
        session.commit()

    assert published("item.changed")[announced_before:] == []


def test_a_second_approval_for_a_request_already_reserved_does_nothing(
    client, clerk, add_item, deliver, approved
):
    add_item("PAPER", on_hand=50)
    deliver(approved("r-1", {"PAPER": 5}))
    assert deliver(approved("r-1", {"PAPER": 5})) == Outcome.APPLIED
    assert stock_of(client, clerk, "PAPER") == (50, 5, 45)


def test_two_approvals_of_one_request_in_one_batch_reserve_once(
    client, clerk, app, database, add_item, approved, published
):
    add_item("PAPER", on_hand=50)
    consumer = service.consumer(app.config["SETTINGS"], database)
    batch = [approved("r-1", {"PAPER": 5}), approved("r-2", {"PAPER": 1})]
    batch.insert(1, approved("r-1", {"PAPER": 5}))

    outcomes = consumer.apply_all([event.to_json().encode() for event in batch])

    assert outcomes == [Outcome.APPLIED] * 3
    assert stock_of(client, clerk, "PAPER") == (50, 6, 44)
    assert [event["request_id"] for event in published("stock.reserved")] == ["r-1", "r-2"]


def test_a_cancel_that_arrives_before_the_approval_means_nothing_is_reserved(
    client, clerk, add_item, deliver, approved, cancelled, published
):
    add_item("PAPER", on_hand=50)
    deliver(cancelled("r-1"))
    deliver(approved("r-1", {"PAPER": 5}))
    assert stock_of(client, clerk, "PAPER") == (50, 0, 50)
    assert published("stock.reserved") == []


def test_cancelling_releases_what_was_reserved_and_fills_waiting_backorders(
    client, clerk, add_item, deliver, approved, cancelled, published
):
    add_item("PAPER", on_hand=10)
    deliver(approved("r-1", {"PAPER": 10}))
    deliver(approved("r-2", {"PAPER": 4}))
    assert held(client, clerk, "r-2") == {"PAPER": (0, 4, 0)}

    deliver(cancelled("r-1"))
    assert held(client, clerk, "r-1") == {"PAPER": (0, 0, 0)}
    assert held(client, clerk, "r-2") == {"PAPER": (4, 0, 0)}
    assert stock_of(client, clerk, "PAPER") == (10, 4, 6)
    assert published("stock.reserved")[-1]["request_id"] == "r-2"
    kinds = [
        e["kind"] for e in client.get("/api/v1/items/PAPER/ledger", headers=clerk).json["items"]
    ]
    assert kinds[:2] == ["reservation", "release"]

    response = client.post("/api/v1/handouts", json={"request_id": "r-1"}, headers=clerk)
    assert response.status_code == 409


def test_receipts_fill_backorders_most_pressing_first_each_fill_announced(
    client, clerk, add_item, deliver, approved, published
):
    add_item("TONER", on_hand=0)
    deliver(approved("old", {"TONER": 2}, submitted_at="2024-05-01T09:00:00+00:00"))
    deliver(approved("new", {"TONER": 2}, submitted_at="2024-05-03T09:00:00+00:00"))
    deliver(
        approved("urgent", {"TONER": 2}, urgency="urgent", submitted_at="2024-05-04T09:00:00+00:00")
    )
    deliver(
        approved(
            "leader", {"TONER": 2}, leader_assigned=True, submitted_at="2024-05-05T09:00:00+00:00"
        )
    )
    before = len(published("stock.reserved"))

    client.post("/api/v1/receipts", json={"sku": "TONER", "quantity": 5}, headers=clerk)

    assert held(client, clerk, "leader") == {"TONER": (2, 0, 0)}
    assert held(client, clerk, "urgent") == {"TONER": (2, 0, 0)}
    assert held(client, clerk, "old") == {"TONER": (1, 1, 0)}
    assert held(client, clerk, "new") == {"TONER": (0, 2, 0)}
    fills = published("stock.reserved")[before:]
    assert sorted(fill["request_id"] for fill in fills) == ["leader", "old", "urgent"]
    assert stock_of(client, clerk, "TONER") == (5, 5, 0)


def test_an_upward_count_fills_backorders_too(client, clerk, add_item, deliver, approved):
    add_item("TONER", on_hand=1)
    deliver(approved("r-1", {"TONER": 3}))
    client.post(
        "/api/v1/adjustments",
        json={"sku": "TONER", "counted_quantity": 4, "reason": "found a box"},
        headers=clerk,
    )
    assert held(client, clerk, "r-1") == {"TONER": (3, 0, 0)}


def test_a_count_below_what_is_reserved_backorders_the_least_pressing_first(
    client, clerk, add_item, deliver, approved, published
):
    add_item("TONER", on_hand=6)
    deliver(approved("urgent", {"TONER": 3}, urgency="urgent"))
    deliver(approved("normal", {"TONER": 3}))
    response = client.post(
        "/api/v1/adjustments",
        json={"sku": "TONER", "counted_quantity": 4, "reason": "two were broken"},
        headers=clerk,
    )
    assert response.status_code == 201
    assert held(client, clerk, "urgent") == {"TONER": (3, 0, 0)}
    assert held(client, clerk, "normal") == {"TONER": (1, 2, 0)}
    assert stock_of(client, clerk, "TONER") == (4, 4, 0)
    assert published("stock.reserved")[-1]["backordered"] == ["TONER"]


def test_a_partial_hand_out_then_the_rest(client, clerk, add_item, deliver, approved, published):
    add_item("PAPER", on_hand=50)
    add_item("PEN", on_hand=50)
    deliver(approved("r-1", {"PAPER": 5, "PEN": 2}))

    response = client.post(
        "/api/v1/handouts",
        json={"request_id": "r-1", "lines": [{"sku": "PAPER", "quantity": 3}]},
        headers=clerk,
    )
    assert response.status_code == 200
    assert response.json["status"] == "open"
    assert held(client, clerk, "r-1") == {"PAPER": (2, 0, 3), "PEN": (2, 0, 0)}
    assert published("stock.issued")[-1]["complete"] is False

    response = client.post("/api/v1/handouts", json={"request_id": "r-1"}, headers=clerk)
    assert response.json["status"] == "issued"
    assert [len(handout["lines"]) for handout in response.json["handouts"]] == [1, 2]
    assert published("stock.issued")[-1] == {
        "request_id": "r-1",
        "by": "chen.jie",
        "lines": [{"sku": "PAPER", "issued_quantity": 5}, {"sku": "PEN", "issued_quantity": 2}],
        "complete": True,
    }
    assert stock_of(client, clerk, "PAPER") == (45, 0, 45)


def test_a_hand_out_with_nothing_reserved_is_refused_and_changes_nothing(
    client, clerk, add_item, deliver, approved, published
):
    add_item("TONER", on_hand=0)
    deliver(approved("short", {"TONER": 2}))
    add_item("PAPER", on_hand=5)
    deliver(approved("r-1", {"PAPER": 2}))
    events = len(published())

    for body in (
        {"request_id": "unknown"},
        {"request_id": "short"},
        {"request_id": "r-1", "lines": [{"sku": "PAPER", "quantity": 3}]},
        {"request_id": "r-1", "lines": [{"sku": "TONER", "quantity": 1}]},
    ):
        response = client.post("/api/v1/handouts", json=body, headers=clerk)
        assert response.status_code == 409, body
        assert response.json["message"]
    assert (
        "Nothing is reserved"
        in client.post("/api/v1/handouts", json={"request_id": "short"}, headers=clerk).json[
            "message"
        ]
    )
    assert stock_of(client, clerk, "PAPER") == (5, 2, 3)
    assert len(published()) == events


def test_receipt_of_a_request_releases_what_is_left(
    client, clerk, add_item, deliver, approved, received
):
    add_item("PAPER", on_hand=50)
    deliver(approved("r-1", {"PAPER": 5}))
    client.post(
        "/api/v1/handouts",
        json={"request_id": "r-1", "lines": [{"sku": "PAPER", "quantity": 4}]},
        headers=clerk,
    )
    deliver(received("r-1"))
    assert held(client, clerk, "r-1") == {"PAPER": (0, 0, 4)}
    assert stock_of(client, clerk, "PAPER") == (46, 0, 46)


def test_an_approval_for_an_unknown_item_fails_and_reserves_nothing(
    client, clerk, add_item, deliver, approved
):
    add_item("PAPER", on_hand=50)
    assert deliver(approved("r-1", {"PAPER": 1, "NO-SUCH": 1})) == Outcome.FAILED
    assert stock_of(client, clerk, "PAPER") == (50, 0, 50)


def test_reservations_are_listed_and_looked_up(client, staff, add_item, deliver, approved):
    add_item("PAPER", on_hand=50)
    deliver(approved("r-1", {"PAPER": 1}))
    deliver(approved("r-2", {"PAPER": 1}))
    page = client.get("/api/v1/reservations?request_id=r-2", headers=staff).json
    assert [r["request_id"] for r in page["items"]] == ["r-2"]
    assert client.get("/api/v1/reservations", headers=staff).json["total"] == 2
    response = client.get("/api/v1/reservations/nope", headers=staff)
    assert response.status_code == 404
    assert "nope" in response.json["message"]
